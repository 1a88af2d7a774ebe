#!/bin/bash
# The virt-launcher pod as KubeVirt v1.6.2 renders it, with tether's changes
# (images/pods/kubevirt/virt-launcher.yaml), played under podman with this suite as virt-handler.
# shellcheck disable=SC2034 # read by the sourced cases
RENDERING=kubevirt
. "$(dirname "$0")/launcher_cases.sh"
