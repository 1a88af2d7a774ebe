#!/bin/bash
# The hotplug attachment pod as KubeVirt v1.6.2 renders it for a hotplugged PVC, with tether's
# change (images/pods/kubevirt/hotplug.yaml): the hp holder runs as PID 1 itself, not under a
# shell. This suite plays virt-handler (pkg/virt-handler/hotplug-disk/mount.go:45-49).
# shellcheck disable=SC2034 # read by the sourced cases
RENDERING=kubevirt
. "$(dirname "$0")/hotplug_cases.sh"

test_hp_sock_names_the_holder_and_its_mounts() {
	isSkipping && return 0
	start_pod hotplug-disk || return 0
	holder_at "$(emptydir "$UID_" hotplug-disks)/hp.sock" hotplug-disk /usr/bin/container-disk 107 || return 0
	assertTrue "its mount table has /path (virt-handler's findmnt)" "mounted $PID /path"
	assertTrue "and the hotplugged PVC at /hpvol" "mounted $PID /hpvol"
	assertEquals "hotplug-disks holds hp.sock only" hp.sock "$(ls -A "$(emptydir "$UID_" hotplug-disks)")"
}

test_stop_exit_codes_and_nothing_left() {
	isSkipping && return 0
	start_pod hotplug-disk || return 0
	stop_and_leave_nothing hotplug-disks
}

. "$TETHER_ROOT/tests/lib/run.sh"
