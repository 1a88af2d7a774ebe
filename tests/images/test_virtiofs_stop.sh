#!/bin/bash
# The virtiofs placeholder in KubeVirt's real shape, under podman: the image of images/build.sh
# (`virtiofs`), run as PR #14115 renders the container (uid 107, every capability dropped,
# allowPrivilegeEscalation false = no_new_privs, read-only root), and the real C virtiofsd
# started into it as root from the host. `podman stop` sends SIGTERM to the placeholder, which
# may not signal a root process: the stop channel carries it to virtiofsd, virtiofsd exits on
# its own, and the container's status is virtiofsd's (not 143 at once with virtiofsd SIGKILLed).
#
# Two launchers: by hand (nsenter, then tests/helpers/vfs_register plays tether-enter's
# registration with the channel), and tether-enter itself with the dispatcher's command line.
#
# Runs under tests/run with the podman lock and the test lock held (podman first).

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$ROOT/tests/lib/common.sh"
. "$ROOT/images/lib.sh"

IMAGE=localhost/tether-virtiofs:latest
CTR=tether-test-virtiofs-stop
VIRTIOFSD=/usr/lib/qemu/virtiofsd
REGISTER=$TETHER_BUILD/helpers/vfs_register
ENTER=$TETHER_BUILD/tether-enter

oneTimeSetUp() {
	img_env
	UNAVAILABLE=$(img_unavailable_reason) || UNAVAILABLE=
	[ -z "$UNAVAILABLE" ] || return 0
	[ -x "$VIRTIOFSD" ] || { UNAVAILABLE="no C virtiofsd at $VIRTIOFSD"; return 0; }
	TETHER_IMAGE_BUILD=${TETHER_IMAGE_BUILD:-$ROOT/build} "$ROOT/images/build.sh" virtiofs >/dev/null ||
		setup_failed "images/build.sh virtiofs failed"
}

suite_setUp() {
	[ -z "$UNAVAILABLE" ] || { skip_test "$UNAVAILABLE"; return; }
	S=
	chmod 755 "$T"
	mkdir -m 777 "$T/run"
	mkdir -m 755 "$T/share"
	echo hello >"$T/share/file"
}

suite_tearDown() {
	[ -z "$UNAVAILABLE" ] || return 0
	podman rm --force --time 0 "$CTR" >/dev/null 2>&1
	if [ -n "$S" ]; then kill "$S" 2>/dev/null; wait "$S" 2>/dev/null; fi
	return 0
}

# start_placeholder: the container as PR #14115 renders it; PH is its PID 1 on the host. The
# tmpfs at /var/run/virtiofsd is for the test image's C virtiofsd 7.2, which takes its lock there
# (with a read-only root it exits at once: "fv_socket_lock: Failed to create directory
# /var/run/virtiofsd: Read-only file system"); KubeVirt's Rust virtiofsd needs none. The e2e pods
# get the same (tests/e2e/pods.py).
start_placeholder() {
	podman run -d --name "$CTR" --user 107:107 --cap-drop ALL \
		--security-opt no-new-privileges --read-only --tmpfs /var/run/virtiofsd \
		-v "$T/run:/run/vfs" -v "$T/share:/share" \
		"$IMAGE" --socket /run/vfs/ph.sock -v >/dev/null || return 1
	ctr_wait_log "$CTR" "listening on /run/vfs/ph.sock" 10 || return 1
	PH=$(ctr_pid "$CTR")
	[ -n "$PH" ] && [ "$PH" != 0 ]
}

# trace_signals PID: records the signals PID receives, with their siginfo, in $T/strace.
trace_signals() {
	command -v strace >/dev/null || return 0
	strace -p "$1" -f -e trace=none -e signal=TERM,INT,KILL -o "$T/strace" 2>/dev/null &
	S=$!
	until grep -q 'TracerPid:.*[1-9]' "/proc/$1/status" 2>/dev/null; do
		kill -0 "$S" 2>/dev/null || return 0
	done
}

# stop_and_check VFS-PID: podman stop, then virtiofsd's own exit is the container's status.
stop_and_check() {
	local t0=$SECONDS code logged
	podman stop --time 10 "$CTR" >/dev/null
	assertEquals "exited" "$(ctr_state "$CTR")"
	assertTrue "before podman's SIGKILL (took $((SECONDS - t0)) s)" "[ $((SECONDS - t0)) -lt 8 ]"
	code=$(ctr_exit_code "$CTR")
	logged=$(ctr_logs "$CTR" 2>&1 | sed -n 's/.*virtiofsd (pid [0-9]*) exited with code \([0-9]*\).*/\1/p')
	assertEquals "the container's status is virtiofsd's" "$logged" "$code"
	assertNotEquals "virtiofsd was not killed (SIGKILL)" 137 "$code"
	assertNotEquals "the placeholder did not give up (EPERM)" 143 "$code"
	assertNotContains "no EPERM" "$(ctr_logs "$CTR" 2>&1)" "exiting instead"
	assertContains "virtiofsd was waiting and got interrupted" "$(cat "$T/vfs.err" 2>/dev/null; ctr_logs "$CTR" 2>&1)" \
		"Interrupted system call"
	assertFalse "virtiofsd is gone" "kill -0 $1 2>/dev/null"
	if [ -n "$S" ]; then
		wait "$S" 2>/dev/null
		S=
		# si_code 1 (POLL_IN, which strace prints as 0x1 for SIGTERM): the kernel's SIGIO
		# of the pipe, not a kill() (SI_USER).
		assertTrue "SIGTERM arrived as the channel's SIGIO: $(cat "$T/strace")" \
			"grep -Eq 'SIGTERM \{si_signo=SIGTERM, si_code=(POLL_IN|0x1),' '$T/strace'"
	fi
	assertFalse "the placeholder removed its socket" "[ -e '$T/run/ph.sock' ]"
}

test_podman_stop_reaches_root_virtiofsd_launched_by_hand() {
	isSkipping && return 0
	start_placeholder || { fail "the placeholder did not start: $(ctr_logs "$CTR" 2>&1)"; return; }
	assertEquals "uid 107" 107 "$(awk '/^Uid:/ {print $2}' /proc/$PH/status)"
	assertEquals "no capabilities" "0000000000000000" "$(awk '/^CapBnd:/ {print $2}' /proc/$PH/status)"
	assertEquals "no_new_privs" 1 "$(awk '/^NoNewPrivs:/ {print $2}' /proc/$PH/status)"
	# Root, in the container's PID namespace, an orphan: the placeholder's child.
	nsenter -t "$PH" -p -- sh -c '"$@" </dev/null 2>"$0" & exit 0' "$T/vfs.err" \
		"$VIRTIOFSD" --socket-path="$T/run/vfs.sock" -o source="$T/share" -o sandbox=chroot
	until_true 5 pgrep -P "$PH" >/dev/null
	local v=$(pgrep -P "$PH")
	wait_for_line "$T/vfs.err" "Waiting for vhost-user socket connection" 10
	assertEquals "virtiofsd runs as root" 0 "$(awk '/^Uid:/ {print $2}' /proc/$v/status)"
	assertContains "registered with the channel" "$("$REGISTER" --channel "$T/run/ph.sock" "$v")" "OK"
	assertTrue "the placeholder took the channel" \
		"ctr_wait_log '$CTR' 'virtiofsd registered: pid [0-9]+, with a stop channel' 5"
	trace_signals "$v"
	stop_and_check "$v"
}

# As virt-handler runs it (PR #14115's dispatcher command line): tether-enter registers the
# program with its stop channel.  (Both used to be skipped while the enter branch was not
# merged; it is, so a usage error or a registration without the channel is a failure.)
test_podman_stop_reaches_root_virtiofsd_launched_by_tether_enter() {
	isSkipping && return 0
	start_placeholder || { fail "the placeholder did not start: $(ctr_logs "$CTR" 2>&1)"; return; }
	local out rc v
	out=$(timeout -s KILL 30 "$ENTER" --pid "$PH" --socket-path /run/vfs/vfs.sock --shared-dir /share 2>&1)
	rc=$?
	assertEquals "tether-enter: $out" 0 $rc
	v=$(pgrep -P "$PH")
	assertNotNull "virtiofsd is the placeholder's child: $(ctr_logs "$CTR" 2>&1 | tail -5)" "$v"
	assertTrue "tether-enter registered virtiofsd with a stop channel" \
		"ctr_wait_log '$CTR' 'virtiofsd registered: pid [0-9]+, with a stop channel' 5" || return
	ctr_wait_log "$CTR" "Waiting for vhost-user socket connection" 10
	trace_signals "$v"
	stop_and_check "$v"
}

. "$ROOT/tests/lib/run.sh"
