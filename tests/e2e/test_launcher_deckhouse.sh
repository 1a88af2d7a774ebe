#!/bin/bash
# The virt-launcher pod as Deckhouse (3p-kubevirt v1.6.2-virtualization) renders it, with tether's changes
# (images/pods/deckhouse/virt-launcher.yaml), played under podman with this suite as virt-handler.
# shellcheck disable=SC2034 # read by the sourced cases
RENDERING=deckhouse
. "$(dirname "$0")/launcher_cases.sh"
