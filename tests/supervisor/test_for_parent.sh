#!/bin/bash
# tether-supervise --for-parent: started by (a stand-in for) virt-launcher
# in place of its daemon goroutines.  The parent's pid in the daemon's
# LIBVIRT_UNIX_SOCKET_AUTH_PID, Deckhouse's one-variable environment, the
# parent's death (SIGKILL) or TERM ending the daemons in order, no
# subreaper, events; then the real daemons, and the stand-in launcher of
# images/launcher.c (--patched) under the monitor drop-in.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/lib.sh"

LAUNCHER=$TETHER_BUILD/images/launcher

suite_setUp() {
	fakes_setUp
	# A daemon given only LIBVIRT_UNIX_SOCKET_AUTH_PID reads these.
	env | grep '^FAKE_' >"$T/bin/fake.env"
	# virt-launcher's SetupLibvirt has written the configs before it
	# starts tether-supervise.
	: >"$T/run/virtlogd.conf"
	: >"$T/run/virtqemud.conf"
	FP_OPTS=("${SUP_OPTS[@]}" --grace 2)
	PARENT=
}

suite_tearDown() {
	[ -n "$PARENT" ] && kill -KILL "$PARENT" 2>/dev/null
	[ -n "$PARENT" ] && wait "$PARENT" 2>/dev/null
	local sup
	for sup in $(pgrep -f "tether-supervise --for-parent .*$T/"); do
		kill -KILL "$sup"
	done
	fakes_tearDown
}

# parent_start [OPTIONS...]: a bash standing in for virt-launcher starts
# tether-supervise --for-parent and waits for it (its exit code is then
# the parent's); SUP_PID is the supervisor.
parent_start() {
	bash -c '"$@" & wait $!' parent "$SUP" --for-parent "${FP_OPTS[@]}" "$@" 2>"$T/log" &
	PARENT=$!
	until_true 5 eval 'SUP_PID=$(pgrep -P $PARENT) && [ -n "$SUP_PID" ]' || fail "no supervisor"
}

test_auth_pid_is_the_parents_and_alone() {
	KEEP_ME=yes parent_start
	wait_ready || fail "virtqemud never became ready: $(tail -3 "$T/log")"
	assertEquals "AUTH_PID is the parent's" "$PARENT" "$(field virtqemud auth)"
	assertEquals "exactly one variable" "LIBVIRT_UNIX_SOCKET_AUTH_PID=$PARENT" "$(cat "$T/virtqemud.env")"
	assertTrue "virtlogd inherits the environment" "grep -q '^KEEP_ME=yes$' '$T/virtlogd.env'"
	assertEquals "the daemons are the supervisor's children" "$SUP_PID $SUP_PID" \
		"$(field virtlogd ppid) $(field virtqemud ppid)"
	assertEquals "virtqemud CapAmb" 0000000000000400 "$(field virtqemud capamb)"
	assertFalse "no MAIN" "[ -e '$T/main.log' ]"
	kill -TERM "$SUP_PID"
	wait "$PARENT"
	assertEquals "exit code" 0 $?
	PARENT=
}

test_inherit_environment_option() {
	KEEP_ME=yes parent_start --virtqemud-env inherit
	wait_ready || fail "not ready"
	assertTrue "inherited" "grep -q '^KEEP_ME=yes$' '$T/virtqemud.env'"
	assertEquals "one auth variable, the parent's" "LIBVIRT_UNIX_SOCKET_AUTH_PID=$PARENT" \
		"$(grep '^LIBVIRT_UNIX_SOCKET_AUTH_PID=' "$T/virtqemud.env")"
	kill -TERM "$SUP_PID"
	wait "$PARENT"
	PARENT=
	parent_start --virtqemud-env auth-pid-only --auth-pid none
	wait_ready || fail "not ready"
	assertEquals "none: an empty environment" 0 "$(wc -c <"$T/virtqemud.env")"
	kill -TERM "$SUP_PID"
	wait "$PARENT"
	PARENT=
}

# The parent dies (SIGKILL, as a crashed virt-launcher): its pidfd tells
# at once; virtqemud is stopped before virtlogd, within the grace period.
test_parent_killed_ends_the_daemons_in_order() {
	export FAKE_IGNORE_TERM_virtlogd=1
	env | grep '^FAKE_' >"$T/bin/fake.env"
	parent_start --grace 0.5
	wait_ready || fail "not ready"
	local q l t0 ms
	q=$(field virtqemud pid)
	l=$(field virtlogd pid)
	t0=$(date +%s%N)
	kill -KILL "$PARENT"
	wait "$PARENT" 2>/dev/null
	PARENT=
	gone_within 5 "$SUP_PID"
	local rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	assertEquals "the supervisor is gone" 0 $rc
	assertFalse "virtqemud is gone" "kill -0 $q 2>/dev/null"
	assertFalse "virtlogd is gone" "kill -0 $l 2>/dev/null"
	assertTrue "noticed" "grep -q 'the parent (pid [0-9]*) has exited' '$T/log'"
	assertTrue "virtqemud stopped before virtlogd" \
		"[ $(stamp virtqemud signal) -lt $(stamp virtlogd signal) ]"
	assertTrue "virtlogd (ignoring TERM) killed after the grace" \
		"grep -q 'virtlogd exited (killed by SIGKILL)' '$T/log'"
	# The grace (0.5 s) and at most 300 ms more (scaled): 2x the grace fails.
	assertTrue "within the grace period and a bit ($ms ms)" "[ $ms -lt $((500 + $(slow 300))) ]"
	assertTrue "no restart" "! grep -q restarting '$T/log'"
}

test_parent_term_stops_in_order() {
	parent_start
	wait_ready || fail "not ready"
	kill -TERM "$SUP_PID"
	wait "$PARENT"
	assertEquals "exit code" 0 $?
	PARENT=
	assertTrue "virtqemud stopped before virtlogd" \
		"[ $(stamp virtqemud signal) -lt $(stamp virtlogd signal) ]"
	assertFalse "no SIGKILL needed" "grep -q 'grace period over' '$T/log'"
}

# No subreaper: QEMU, daemonised by virtqemud, goes to the pod's PID 1
# (here the PID namespace's init), where virt-handler looks for it.
test_not_a_subreaper() {
	export FAKE_SPAWN_virtqemud=$T/bin/qemu-system-x86_64
	env | grep '^FAKE_' >"$T/bin/fake.env"
	unshare --pid --fork --mount-proc bash -c '"$@" & wait $!' init \
		bash -c '"$@" & wait $!' parent "$SUP" --for-parent "${FP_OPTS[@]}" 2>"$T/log" &
	PARENT=$!
	wait_log "$T/qemu_system_x86_64.log" '^start' || fail "no QEMU"
	assertEquals "QEMU's parent is PID 1" 1 "$(field qemu_system_x86_64 ppid)"
	kill -KILL "$PARENT"
	wait "$PARENT" 2>/dev/null
	PARENT=
}

test_events_from_the_parent() {
	parent_start --no-virtlogd --no-virtqemud
	wait_log "$T/log" 'events on' || fail "no event socket"
	"$SUP" --send-event "$T/ev.sock" '{"event":"SHUTDOWN","data":{"guest":true,"reason":"guest-shutdown"}}'
	assertEquals "accepted" 0 $?
	kill -KILL "$PARENT"
	wait "$PARENT" 2>/dev/null
	PARENT=
	gone_within 5 "$SUP_PID"
	assertEquals "byte-exact, and nothing else" \
		'{"event":"SHUTDOWN","details":"{\"guest\":true,\"reason\":\"guest-shutdown\"}"}' "$(cat "$T/tl")"
}

# --output-fd: virt-launcher hands a pipe's write end (its ExtraFiles) and
# parses libvirt's lines itself, as it did from virtqemud's stderr; each
# daemon writes there directly, nothing of it reaches our log.
test_output_fd_gets_the_daemons_raw_output() {
	export FAKE_LINE_virtqemud=100 FAKE_LINE_virtlogd=50
	env | grep '^FAKE_' >"$T/bin/fake.env"
	bash -c 'exec 5>"$1"; shift; "$@" --output-fd 5 & wait $!' parent "$T/raw" \
		"$SUP" --for-parent "${FP_OPTS[@]}" 2>"$T/log" &
	PARENT=$!
	wait_ready || fail "not ready: $(tail -3 "$T/log")"
	until_true 5 eval "[ \$(grep -c '^BEGIN' '$T/raw') -eq 2 ]" || fail "raw lines: $(cat "$T/raw")"
	assertEquals "virtqemud's line, as it wrote it" 100 "$(grep -m1 "^BEGINx\{92\}END$" "$T/raw" | tr -d '\n' | wc -c)"
	assertEquals "virtlogd's line, as it wrote it" 50 "$(grep -m1 "^BEGINx\{42\}END$" "$T/raw" | tr -d '\n' | wc -c)"
	assertFalse "not in our log" "grep -q BEGIN '$T/log'"
	assertTrue "our own lines stay ours" "grep -q '\"started virtqemud as pid' '$T/log'"
	assertEquals "virtqemud's stderr is the parent's fd" "$T/raw" "$(readlink "/proc/$(field virtqemud pid)/fd/2")"
	assertEquals "and its stdout" "$T/raw" "$(readlink "/proc/$(field virtqemud pid)/fd/1")"
	# Moved to our fd 3, held once: the parent's fd 5 is not kept twice.
	local sup
	sup=$(pgrep -P "$PARENT")
	assertEquals "held as fd 3" "$T/raw" "$(readlink "/proc/$sup/fd/3")"
	assertEquals "held once" 1 "$(find "/proc/$sup/fd" -lname "$T/raw" | wc -l)"
	kill -TERM "$sup"
	wait "$PARENT"
	assertEquals "exit code" 0 $?
	PARENT=
}

# Under virt-launcher no crash budget ends the pod (its goroutines
# restarted the daemons for ever, and the guest lived on).
test_no_crash_budget_for_the_parent() {
	export FAKE_CRASH_virtqemud=13
	env | grep '^FAKE_' >"$T/bin/fake.env"
	parent_start --backoff 0.001 --backoff-max 0.001
	wait_ready 20 || fail "virtqemud never became ready: $(tail -3 "$T/log")"
	assertEquals "13 crashes, then a 14th start" 14 "$(grep -c '^start' "$T/virtqemud.log")"
	assertTrue "still running" "kill -0 $SUP_PID"
	assertFalse "no budget" "grep -q 'crash budget' '$T/log'"
	kill -TERM "$SUP_PID"
	wait "$PARENT"
	assertEquals "exit code" 0 $?
	PARENT=
}

# ... and no restart waits longer than virt-launcher's second.
test_backoff_at_most_a_second_for_the_parent() {
	export FAKE_CRASH_virtqemud=7
	env | grep '^FAKE_' >"$T/bin/fake.env"
	parent_start
	wait_ready 20 || fail "virtqemud never became ready: $(tail -3 "$T/log")"
	local delays
	delays=$(grep -o 'virtqemud exited (exit code 3), restarting in [0-9]* ms' "$T/log" |
		grep -o '[0-9]* ms' | tr -d ' ms' | tr '\n' ' ')
	assertEquals "the delays" "100 200 400 800 1000 1000 " "$delays"
	local c6 s7
	c6=$(stamp virtqemud crash 6); s7=$(stamp virtqemud start 7)
	assertTrue "the 7th start 1 s after the 6th crash ($(((s7 - c6) / 1000000)) ms)" \
		"[ $((s7 - c6)) -lt $((1000000000 + $(slow 300000000))) ]"
	kill -TERM "$SUP_PID"
	wait "$PARENT"
	PARENT=
}

test_bad_usage() {
	local want
	for want in "runs no program|--for-parent -- $T/bin/main" \
		"--for-parent runs no MAIN|--for-parent --auth-pid main" \
		"--auth-pid parent needs|--auth-pid parent -- $T/bin/main" \
		"one placement at a time|--for-parent --monitor" \
		"--virtqemud-env takes inherit or auth-pid-only|--for-parent --virtqemud-env all" \
		"--output-fd needs|--output-fd 9 -- $T/bin/main" \
		"--output-fd takes a file descriptor number from 3|--for-parent --output-fd 2" \
		"no such open file descriptor|--for-parent --output-fd 99" \
		"not open for writing|--for-parent --output-fd 8"; do
		# shellcheck disable=SC2086
		"$SUP" --event-socket "$T/ev.sock" ${want#*|} 2>"$T/err" 9>/dev/null 8</dev/null
		assertEquals "exit code for ${want#*|}" 2 $?
		assertTrue "message for ${want#*|}: $(cat "$T/err")" "grep -qF -- '${want%%|*}' '$T/err'"
		assertFalse "no socket" "[ -e '$T/ev.sock' ]"
	done
}

# --- the real daemons: virtlogd and libvirtd (standing in for virtqemud) ---

# real_stack CMD...: CMD is PID 1 of private PID, mount and network
# namespaces with tmpfs on the daemons' paths, /etc/libvirt-init holding
# the daemon's config; sets REAL_OPTS, tether-supervise's paths there.
real_stack() {
	[ -x /usr/sbin/libvirtd ] && [ -x /usr/sbin/virtlogd ] || { skip_test "libvirt daemons not installed"; return 1; }
	REAL_OPTS=(--virtqemud /usr/sbin/libvirtd --virtqemud-conf /run/libvirt/virtqemud.conf
		--virtqemud-socket /run/libvirt/libvirt-sock --termination-log "$T/tl"
		--event-socket /run/kubevirt-private/tether-events.sock)
	cat >"$T/inner.sh" <<EOS
set -e
for d in /run /var/log /var/lib/libvirt /var/cache/libvirt /etc/libvirt; do
	mount -t tmpfs tmpfs \$d
done
mkdir -p /run/libvirt /run/kubevirt-private /etc/libvirt-init
: >/etc/libvirt/virtlogd.conf
printf 'log_outputs = "3:stderr"\n' >/etc/libvirt-init/virtqemud.conf
exec "\$@"
EOS
	real_cmd=("$@")
}

real_run() {
	unshare --mount --pid --fork --mount-proc --net bash "$T/inner.sh" "${real_cmd[@]}" "$@" 2>"$T/log" &
	PARENT=$!
}

INIT='import os, sys
if os.fork() == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
try:
    while True:
        os.wait()
except ChildProcessError:
    pass'

# in_ns PATTERN: the pid of the process of our PID namespace whose command
# line matches PATTERN.
in_ns() {
	local ns p
	ns=$(readlink "/proc/$(pgrep -P "$PARENT")/ns/pid") || return 1
	for p in $(pgrep -f -- "$1"); do
		[ "$(readlink "/proc/$p/ns/pid")" = "$ns" ] && { echo "$p"; return 0; }
	done
	return 1
}

stopped_in_order() {
	grep -o 'virtqemud exited (exit code 0)\|stopping virtlogd' "$T/log" | tr '\n' ' ' |
		grep -q '^virtqemud exited (exit code 0) stopping virtlogd'
}

test_real_daemons_for_a_parent_that_dies() {
	# PID 1 reaps until nothing is left (a bash would end with its job).
	real_stack python3 -c "$INIT" \
		bash -c 'cp /etc/libvirt-init/virtqemud.conf /run/libvirt/; "$@" & wait $!' parent \
		"$SUP" --for-parent || return 0 # skipped (shunit2 fails a test that returns non-zero)
	real_run "${REAL_OPTS[@]}"
	wait_log "$T/log" 'virtqemud is ready' 30 || fail "libvirtd never became ready: $(tail -3 "$T/log")"
	local parent qemud logd sup
	sup=$(in_ns "^$SUP --for-parent")
	parent=$(ps -o ppid= -p "$sup" | tr -d ' ')
	qemud=$(pgrep -P "$sup" -x libvirtd)
	logd=$(pgrep -P "$sup" -x virtlogd)
	assertEquals "libvirtd's environment: the parent's pid, alone" \
		"LIBVIRT_UNIX_SOCKET_AUTH_PID=$(awk '/^NSpid/ {print $NF}' /proc/$parent/status)" \
		"$(tr '\0' '\n' </proc/$qemud/environ)"
	nsenter -t "$sup" -m -n virsh -c qemu:///system version >"$T/virsh" 2>&1
	local rc=$?
	assertEquals "virsh version: $(cat "$T/virsh")" 0 $rc
	local t0 ms
	t0=$(date +%s%N)
	kill -KILL "$parent"
	gone_within 10 "$sup"
	ms=$((($(date +%s%N) - t0) / 1000000))
	assertFalse "libvirtd gone" "kill -0 $qemud 2>/dev/null"
	assertFalse "virtlogd gone" "kill -0 $logd 2>/dev/null"
	assertTrue "within the 5 s grace ($ms ms)" "[ $ms -lt 5000 ]"
	assertTrue "libvirtd stopped before virtlogd" stopped_in_order
	assertFalse "no SIGKILL needed" "grep -q 'grace period over' '$T/log'"
	wait "$PARENT" 2>/dev/null
	PARENT=
}

# The stand-in for the patched virt-launcher, under the monitor drop-in
# as PID 1: it starts tether-supervise --for-parent, connects to libvirtd
# as the one pid that one admits, then (SIGUSR1) sends SHUTDOWN and exits,
# or (SIGUSR2) dies.
stand_in() {
	real_stack "$SUP" --monitor --no-istio-quit --launcher "$LAUNCHER" -- || return 1
	local args=(--patched --config /etc/libvirt-init/virtqemud.conf
		--socket /run/libvirt/libvirt-sock --supervise "$SUP") a
	for a in "${REAL_OPTS[@]}"; do args+=(--supervise-arg "$a"); done
	real_run "${args[@]}"
	wait_log "$T/log" 'has LIBVIRT_UNIX_SOCKET_AUTH_PID=[0-9]*: this launcher' 30 ||
		{ fail "the launcher was not admitted: $(grep -v '"virtqemud"' "$T/log" | tail -5)"; return 1; }
}

# stand_in_ends SIGNAL: sends it to the stand-in; RC is then the
# monitor's exit code.
stand_in_ends() {
	kill -"$1" "$(in_ns "^$LAUNCHER --patched")"
	wait "$PARENT"
	RC=$?
	PARENT=
}

test_stand_in_launcher_sends_shutdown_and_exits() {
	stand_in || return 0 # skipped, or failed already
	stand_in_ends USR1
	assertEquals "the monitor's exit code: the launcher's" 0 "$RC"
	assertTrue "the event went out" "grep -q 'sending SHUTDOWN' '$T/log'"
	assertEquals "the termination log" \
		'{"event":"SHUTDOWN","details":"{\"guest\":true,\"reason\":\"guest-shutdown\"}"}' "$(cat "$T/tl")"
	assertTrue "libvirtd stopped before virtlogd" stopped_in_order
	assertTrue "the launcher waited for tether-supervise" "grep -q 'tether-supervise has stopped' '$T/log'"
}

test_stand_in_launcher_dies() {
	stand_in || return 0 # skipped, or failed already
	stand_in_ends USR2
	assertEquals "the monitor's exit code for a killed launcher" 255 "$RC"
	assertTrue "noticed" "grep -q 'the parent (pid [0-9]*) has exited' '$T/log'"
	assertTrue "libvirtd stopped before virtlogd" stopped_in_order
}

. "$TETHER_ROOT/tests/lib/run.sh"
