#!/bin/bash
# The hotplug attachment pod, run for real with podman kube play, with this suite in
# virt-handler's place: /path/hp.sock names the --manage holder (whose mount namespace
# virt-handler reads), each sidecar's socket names its holder and /proc/<pid>/root/disk/disk.img,
# the manager logs the sidecars as they come, and deleting the pod ends all of them at once.
. "$(dirname "$0")/../lib/common.sh"
. "$TETHER_ROOT/images/lib.sh"
. "$TETHER_ROOT/tests/e2e/lib.sh"

POD=tether-e2e-hp
YAML_SRC=$TETHER_ROOT/images/pods/hotplug.yaml
SIDECARS="hotplug-container-disk-0:data0 hotplug-container-disk-1:data1"

oneTimeSetUp() {
	e2e_setup hotplug container-disk-demo pause
	[ -n "$E2E" ] || return 0
	if ! img_exists localhost/tether-hotplug:latest; then
		UNAVAILABLE="container-disk is not built yet, so there is no hotplug image"
		return 0
	fi
	pod_yaml "$YAML_SRC" "$E2E/hp.yaml" tether-hp "$POD" || UNAVAILABLE="cannot write the pod YAML"
	HP_DIR=
}

oneTimeTearDown() {
	[ -n "${E2E:-}" ] && rm -rf "$E2E"
	[ -z "$UNAVAILABLE" ] || return 0
	img_cleanup
}

suite_setUp() {
	[ -z "$UNAVAILABLE" ] || skip_test "$UNAVAILABLE"
}

suite_tearDown() {
	[ -z "$UNAVAILABLE" ] || return 0
	img_cleanup
}

start_pod() {
	local s
	pod_play "$E2E/hp.yaml" && pod_wait_running "$POD" 30 || { fail "the hotplug pod did not start"; return 1; }
	for s in hotplug-disk ${SIDECARS//:data[0-9]/}; do
		ctr_wait_log "$POD-$s" 'listening on' 10 || { fail "$s never listened"; return 1; }
	done
	HP_DIR=$(vol_path "$POD-hotplug-disks")
}

test_sidecars_are_found_and_managed() {
	isSkipping && return 0
	start_pod || return 0
	local hp cred pid s ctr vol log
	hp=$(peer_pid "$HP_DIR/hp.sock")
	assertEquals "/path/hp.sock names the manager" "$(ctr_pid "$POD-hotplug-disk")" "$hp"
	assertEquals "PID 1 of its container" 1 "$(awk '/^NSpid:/ { print $NF }' "/proc/$hp/status")"
	assertTrue "its mount table shows /path (virt-handler's findmnt)" \
		"awk '\$5 == \"/path\"' /proc/$hp/mountinfo | grep -q ."
	for s in $SIDECARS; do
		ctr=${s%%:*} vol=${s#*:}
		cred=$("$E2E_PEERCRED" "$HP_DIR/hotplug-container-disk-$vol.sock")
		pid=${cred%% *}
		assertEquals "$vol's socket names $ctr as 107" "$(ctr_pid "$POD-$ctr") 107 107" "$cred"
		assertTrue "$ctr holds its disk" "[ -f /proc/$pid/root/disk/disk.img ]"
	done
	log=$(ctr_logs "$POD-hotplug-disk" 2>&1)
	for s in $SIDECARS; do
		vol=${s#*:}
		assertContains "the manager saw $vol" "$log" "/path/hotplug-container-disk-$vol.sock"
	done
}

test_deleting_the_pod_ends_every_container_at_once() {
	isSkipping && return 0
	start_pod || return 0
	local pids c t0 ms
	pids=$(for c in $(pod_ctrs "$POD"); do ctr_pid "$c"; done)
	t0=$(date +%s%N)
	pod_down "$E2E/hp.yaml" 10
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "    pod stop + kube down took $ms ms"
	assertTrue "well before podman's 10 s SIGKILL ($ms ms)" "[ $ms -lt 5000 ]"
	assertFalse "pod gone" "podman pod exists $POD"
	assertEquals "its volume gone" "" "$(podman volume ls -q | grep "^$POD-")"
	for c in $pids; do
		assertFalse "pid $c gone" "[ -d /proc/$c ]"
	done
}

test_stop_exit_codes_and_the_manager_clears_the_sockets() {
	isSkipping && return 0
	start_pod || return 0
	local c
	pod_stop "$POD" 10
	for c in $(pod_ctrs "$POD"); do
		assertEquals "$c exits 0" 0 "$(ctr_exit_code "$c")"
	done
	assertEquals "no socket left in /path" "" "$(ls "$HP_DIR")"
	# A sidecar leaves on its own SIGTERM or, when the manager was faster, because the manager
	# removed its socket: either way at once, and with 0.
	local s
	for s in ${SIDECARS//:data[0-9]/}; do
		ctr_logs "$POD-$s" 2>&1 | grep -q 'SIGTERM\|does not exist anymore'
		assertTrue "$s left on SIGTERM or on its socket's removal" $?
	done
}

. "$TETHER_ROOT/tests/lib/run.sh"
