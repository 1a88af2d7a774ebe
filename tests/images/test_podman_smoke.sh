#!/bin/bash
# podman kube play runs a FROM-scratch image the way tether's pods need it: uid 107, read-only
# root, no capabilities, an emptyDir and a hostPath volume. Seen from the host, as virt-handler
# sees it: the program is PID 1, its socket appears in the hostPath directory, SO_PEERCRED on it
# names a host PID whose /proc/<pid>/root is the image, and stopping the pod sends SIGTERM to
# PID 1 and keeps its exit code.
#
# Runs alone (bash tests/images/test_podman_smoke.sh; exit 77 = skipped) or under tests/run when
# tests/lib exists (each test is then recorded as skipped, with the reason).

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
if [ -f "$ROOT/tests/lib/common.sh" ]; then
	. "$ROOT/tests/lib/common.sh"
else
	setUp() { T=$(mktemp -d /tmp/tether-test.XXXXXX); [ -z "${SETUP_FAILED:-}" ] || fail "$SETUP_FAILED"; suite_setUp; }
	tearDown() { suite_tearDown; rm -rf "$T"; }
	skip_test() { echo "SKIP: $1"; startSkipping; }
	setup_failed() { SETUP_FAILED=$1; UNAVAILABLE=$1; }
fi
. "$ROOT/images/lib.sh"

IMAGE=localhost/tether-test-smoke:latest
POD=tether-test-smoke
CTR=$POD-smoke

oneTimeSetUp() {
	img_env
	UNAVAILABLE=$(img_unavailable_reason) || UNAVAILABLE=
	[ -z "$UNAVAILABLE" ] || return 0
	command -v musl-gcc >/dev/null || { UNAVAILABLE="musl-gcc is not installed"; return 0; }
	BIN=$(mktemp -d /tmp/tether-smoke.XXXXXX)
	img_cc "$BIN/smoke" "$HERE/smoke.c" &&
		img_cc "$BIN/peercred" "$HERE/peercred.c" &&
		printf 'FROM scratch\nCOPY smoke /smoke\nENTRYPOINT ["/smoke"]\n' >"$BIN/Containerfile" &&
		img_build "$IMAGE" "$BIN" || setup_failed "could not build $IMAGE"
}

oneTimeTearDown() {
	[ -z "$UNAVAILABLE" ] || return 0
	img_cleanup
	img_rm "$IMAGE"
	rm -rf "$BIN"
}

suite_setUp() {
	[ -z "$UNAVAILABLE" ] || { skip_test "$UNAVAILABLE"; return; }
	mkdir "$T/host" && chown 107:107 "$T/host"
	write_pod "$T/pod.yaml" "$T/host"
	PID=
	if ! pod_play "$T/pod.yaml" || ! pod_wait_running "$POD" 20 ||
	    ! ctr_wait_log "$CTR" 'listening on' 10; then
		fail "the smoke pod did not start"
		startSkipping
		return
	fi
	PID=$(ctr_pid "$CTR")
}

suite_tearDown() {
	[ -z "$UNAVAILABLE" ] || return 0
	img_cleanup
}

# write_pod FILE HOSTDIR
write_pod() {
	cat >"$1" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $POD
spec:
  restartPolicy: Never
  containers:
  - name: smoke
    image: $IMAGE
    imagePullPolicy: Never
    args: ["/host/smoke.sock"]
    securityContext:
      runAsUser: 107
      runAsGroup: 107
      runAsNonRoot: true
      readOnlyRootFilesystem: true
      allowPrivilegeEscalation: false
      capabilities:
        drop: ["ALL"]
    volumeMounts:
    - {name: tether-test-smoke-scratch, mountPath: /scratch}
    - {name: host, mountPath: /host}
  - name: idle
    image: $TETHER_INFRA_IMAGE
    imagePullPolicy: Never
  volumes:
  - name: tether-test-smoke-scratch
    emptyDir: {}
  - name: host
    hostPath: {path: $2, type: Directory}
YAML
}

test_the_program_is_pid_1() {
	isSkipping && return 0
	assertEquals "NSpid of the container's PID 1" "1" \
		"$(awk '/^NSpid:/ { print $NF }' "/proc/$PID/status")"
	assertEquals "/smoke" "$(readlink "/proc/$PID/exe")"
	assertContains "$(ctr_logs "$CTR" 2>/dev/null)" "smoke: pid=1 "
	assertEquals "both containers run" "2" "$(pod_ctrs "$POD" | wc -l)"
}

test_security_context_is_applied() {
	local status
	isSkipping && return 0
	status=$(cat "/proc/$PID/status")
	assertContains "$status" "$(printf 'Uid:\t107\t107\t107\t107')"
	assertContains "$status" "$(printf 'Gid:\t107\t107\t107\t107')"
	assertContains "$status" "$(printf 'CapEff:\t0000000000000000')"
	assertContains "$status" "$(printf 'CapBnd:\t0000000000000000')"
	assertContains "$status" "$(printf 'NoNewPrivs:\t1')"
	assertContains "root read-only, emptyDir writable" "$(ctr_logs "$CTR" 2>/dev/null)" \
		"uid=107 rootfs_ro=1 scratch_rw=1"
}

test_socket_peercred_leads_to_the_container() {
	local cred
	isSkipping && return 0
	assertTrue "socket in the hostPath dir" "[ -S '$T/host/smoke.sock' ]"
	cred=$("$BIN/peercred" "$T/host/smoke.sock")
	assertEquals "SO_PEERCRED: host pid, uid, gid" "$PID 107 107" "$cred"
	assertTrue "/proc/<pid>/root holds the image's file" \
		"cmp -s '$BIN/smoke' '/proc/${cred%% *}/root/smoke'"
}

test_stop_sends_sigterm_and_keeps_the_exit_code() {
	isSkipping && return 0
	pod_stop "$POD" 10
	assertEquals "exited" "$(ctr_state "$CTR")"
	assertEquals 42 "$(ctr_exit_code "$CTR")"
	assertContains "$(ctr_logs "$CTR" 2>/dev/null)" "smoke: signal 15, exiting 42"
	assertContains "stderr kept apart" "$(ctr_logs "$CTR" 2>&1 >/dev/null)" "listening on"
	assertFalse "the program removed its socket" "[ -e '$T/host/smoke.sock' ]"
}

test_pod_down_leaves_nothing() {
	isSkipping && return 0
	pod_down "$T/pod.yaml" 10
	assertFalse "pod gone" "podman pod exists $POD"
	assertFalse "emptyDir volume gone" "podman volume exists tether-test-smoke-scratch"
	assertFalse "process gone" "[ -d /proc/$PID ]"
}

if [ -f "$ROOT/tests/lib/run.sh" ]; then
	. "$ROOT/tests/lib/run.sh"
else
	# Alone, a machine without podman is a skip of the whole suite: say why, exit 77.
	img_env
	if reason=$(img_unavailable_reason); then
		echo "SKIP $(basename "$0" .sh): $reason"
		exit 77
	fi
	# shellcheck disable=SC2034 # read by shunit2
	SHUNIT_COLOR=none
	. /usr/bin/shunit2
fi
