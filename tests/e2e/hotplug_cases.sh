# shellcheck shell=bash
# Shared by test_hotplug_<rendering>.sh (RENDERING set): the hotplug attachment pod of
# images/pods/<rendering>/hotplug.yaml played under podman, each test with a pod of its own, and
# virt-handler's view of it (kubelet_view, emptydir). The test file defines the tests and then
# sources tests/lib/run.sh.
. "$(dirname "$0")/../lib/common.sh"
. "$TETHER_ROOT/images/lib.sh"
. "$TETHER_ROOT/tests/e2e/lib.sh"

YAML_SRC=$TETHER_ROOT/images/pods/$RENDERING/hotplug.yaml
POD=tether-e2e-hp-$RENDERING
LAUNCHER_IMAGE=localhost/tether-launcher:latest
DISK_IMAGE=localhost/tether-disk-demo:latest

oneTimeSetUp() {
	e2e_setup pause launcher disk-demo
	[ -z "$UNAVAILABLE" ] || return 0
	if ! img_exists "$LAUNCHER_IMAGE" || ! img_exists "$DISK_IMAGE"; then
		setup_failed "the launcher image is not built (it needs tether, tether-supervise and container-disk)"
	fi
}

oneTimeTearDown() {
	[ -z "$UNAVAILABLE" ] && img_cleanup
	[ -n "${E2E:-}" ] && rm -rf "$E2E"
}

suite_setUp() {
	[ -z "$UNAVAILABLE" ] || skip_test "$UNAVAILABLE"
}

suite_tearDown() {
	[ -z "$UNAVAILABLE" ] || return 0
	img_cleanup
}

# start_pod CONTAINER...: plays the pod, waits until each CONTAINER listens, and builds
# virt-handler's view of it: UID_ is the pod's UID there.
start_pod() {
	local c
	pod_yaml "$YAML_SRC" "$E2E/hp.yaml" "$POD" && pod_up "$E2E/hp.yaml" && pod_wait_running "$POD" 60 ||
		{ fail "the hotplug pod did not start"; return 1; }
	for c in "$@"; do
		ctr_wait_log "$POD-$c" 'listening on' 10 || { fail "$c never listened"; return 1; }
	done
	UID_=$(kubelet_view "$POD" "$E2E/hp.yaml") || { fail "no kubelet view of the pod"; return 1; }
}

# holder_at SOCKET CONTAINER EXE GID: what virt-handler learns from SOCKET is CONTAINER's PID 1,
# running EXE as uid 107 and gid GID; PID is that pid. The hotplug containers set runAsUser only
# and the pod no securityContext, so the gid is 107's group in the image's /etc/passwd (the
# launcher image's) or 0 (a disk image has none).
holder_at() {
	local cred
	assertTrue "$(basename "$1") where virt-handler looks" "[ -S '$1' ]"
	cred=$("$E2E_PEERCRED" "$1")
	PID=${cred%% *}
	assertEquals "$(basename "$1") names $2, uid 107, gid $4" "$(ctr_pid "$POD-$2") 107 $4" "$cred"
	[ -n "$PID" ] || return 1
	assertEquals "PID 1 of its container" 1 "$(awk '/^NSpid:/ { print $NF }' "/proc/$PID/status")"
	assertEquals "the holder itself (no shell)" "$3" "$(readlink "/proc/$PID/exe")"
	assertEquals "no capabilities" 0000000000000000 "$(awk '$1 == "CapEff:" { print $2 }' "/proc/$PID/status")"
	assertEquals "/path mounted HostToContainer" rslave "$(propagation "$POD-$2" /path)"
}

# mounted PID PATH: PATH is a mount point in PID's mount table (virt-handler's findmnt).
mounted() {
	awk -v p="$2" '$5 == p { found = 1 } END { exit !found }' "/proc/$1/mountinfo"
}

# stop_and_leave_nothing: pod stop (every container exits 0, no socket left in DIRS...), then
# kube down leaves no pod, volume or process.
stop_and_leave_nothing() {
	local c pids d
	pids=$(for c in $(pod_ctrs "$POD"); do ctr_pid "$c"; done)
	pod_stop "$POD" 10
	for c in $(pod_ctrs "$POD"); do
		assertEquals "$c exits 0" 0 "$(ctr_exit_code "$c")"
	done
	for d in "$@"; do
		assertEquals "no socket left in $d" "" "$(find "$(emptydir "$UID_" "$d")/" -type s)"
	done
	# shellcheck disable=SC2086 # one pid a word
	assert_gone "$E2E/hp.yaml" "$POD" $pids
}
