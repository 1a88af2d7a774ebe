#!/bin/bash
# The hotplug attachment pod as Deckhouse (3p-kubevirt v1.6.2-virtualization) renders it for two
# hotplugged containerDisks, with tether's changes (images/pods/deckhouse/hotplug.yaml): the hp
# holder's /path is the hotplug-disks emptyDir, the sidecars' /path the hotplug-container-disks
# one, where virt-handler looks for their sockets (3p pkg/container-disk/container-disk.go:
# 161-180, 416-417); the hp holder mounts that emptyDir too and manages it (--manage-dir), so the
# sidecars end when it does.
# shellcheck disable=SC2034 # read by the sourced cases
RENDERING=deckhouse
. "$(dirname "$0")/hotplug_cases.sh"

SIDECARS="hotplug-container-disk-3:hpdisk0 hotplug-container-disk-4:hpdisk1"
CTRS="d8v-hotplug-disk hotplug-container-disk-3 hotplug-container-disk-4"

test_every_socket_is_where_virt_handler_looks() {
	isSkipping && return 0
	start_pod $CTRS || return 0
	local s ctr vol bin log hp
	holder_at "$(emptydir "$UID_" hotplug-disks)/hp.sock" d8v-hotplug-disk /usr/bin/container-disk 107 || return 0
	hp=$PID
	assertTrue "the hp holder's mount table has /path" "mounted $hp /path"
	assertTrue "and the sidecars' emptyDir" "mounted $hp /hotplug-container-disks"
	assertEquals "hotplug-disks holds hp.sock only" hp.sock "$(ls -A "$(emptydir "$UID_" hotplug-disks)")"
	assertEquals "the init container that brings the holder exited 0" 0 "$(died_code "$POD-d8v-container-disk-binary")"
	bin=$(emptydir "$UID_" virt-bin-share-dir)/container-disk
	for s in $SIDECARS; do
		ctr=${s%%:*} vol=${s#*:}
		holder_at "$(emptydir "$UID_" hotplug-container-disks)/hotplug-container-disk-$vol.sock" \
			"$ctr" /init/usr/bin/container-disk 0 || continue
		assertTrue "$ctr runs the copy in virt-bin-share-dir" \
			"[ \"\$(stat -L -c %d:%i /proc/$PID/exe)\" = \"\$(stat -L -c %d:%i '$bin')\" ]"
		assertEquals "$ctr holds its disk (/disk of its image)" disk.img "$(ls -A "/proc/$PID/root/disk")"
	done
	log=$(ctr_logs "$POD-d8v-hotplug-disk" 2>&1)
	assertContains "the manager names the directory it manages" "$log" \
		"listening on /path/hp.sock (managing the sockets of /hotplug-container-disks)"
	for s in $SIDECARS; do
		vol=${s#*:}
		assertContains "the manager saw $vol's socket" "$log" "/hotplug-container-disks/hotplug-container-disk-$vol.sock"
	done
}

test_the_sidecars_end_at_once_when_the_hp_container_ends() {
	isSkipping && return 0
	start_pod $CTRS || return 0
	local s ctr t0 ms
	t0=$(date +%s%N)
	podman stop --time 10 "$POD-d8v-hotplug-disk" >/dev/null
	assertEquals "the hp container exits 0" 0 "$(ctr_exit_code "$POD-d8v-hotplug-disk")"
	for s in $SIDECARS; do
		ctr=${s%%:*}
		assertTrue "$ctr left because its socket went" \
			"ctr_wait_log '$POD-$ctr' 'does not exist anymore' 2"
		assertEquals "$ctr exited 0" 0 "$(died_code "$POD-$ctr")"
	done
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "    hp container stopped, both sidecars gone: $ms ms"
	assertTrue "well before podman's 10 s SIGKILL ($ms ms)" "[ $ms -lt 5000 ]"
	pod_gone "$E2E/hp.yaml" 10
}

test_stop_exit_codes_and_nothing_left() {
	isSkipping && return 0
	start_pod $CTRS || return 0
	stop_and_leave_nothing hotplug-disks hotplug-container-disks
}

. "$TETHER_ROOT/tests/lib/run.sh"
