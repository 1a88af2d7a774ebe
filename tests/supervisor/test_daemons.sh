#!/bin/bash
# tether-supervise with fake daemons: start order, argv, environment,
# capabilities, restricted-flags detection, restarts, back-off, crash
# budget, stop order, exit codes, output forwarding.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/lib.sh"

suite_setUp() { fakes_setUp; }
suite_tearDown() { fakes_tearDown; }

stop_and_wait() {
	kill -TERM "$SUP_PID"
	sup_wait
}

test_start_order_argv_env_caps() {
	export FAKE_CHECK_virtqemud=$T/run/virtlogd-sock
	LIBVIRT_UNIX_SOCKET_AUTH_PID=999 KEEP_ME=yes sup_start
	wait_ready || fail "virtqemud never became ready"
	local main_pid
	main_pid=$(field main pid)
	assertEquals "virtlogd argv" "-f,$T/run/virtlogd.conf,--no-admin-srv" "$(field virtlogd argv)"
	assertEquals "virtqemud argv" "-f,$T/run/virtqemud.conf,--no-admin-srv,--no-ro-srv" "$(field virtqemud argv)"
	assertTrue "MAIN started before virtlogd" "[ $(stamp main start) -lt $(stamp virtlogd start) ]"
	assertEquals "virtlogd's socket existed when virtqemud started" 1 "$(field virtqemud check)"
	assertEquals "auth pid is MAIN's" "$main_pid" "$(field virtqemud auth)"
	assertEquals "one auth variable" 1 "$(grep -c '^LIBVIRT_UNIX_SOCKET_AUTH_PID=' "$T/virtqemud.env")"
	assertTrue "virtqemud inherits the environment" "grep -q '^KEEP_ME=yes$' '$T/virtqemud.env'"
	assertEquals "virtlogd keeps the inherited value" 999 "$(field virtlogd auth)"
	assertEquals "virtqemud and MAIN are all the parent's children" "$SUP_PID $SUP_PID $SUP_PID" \
		"$(field main ppid) $(field virtlogd ppid) $(field virtqemud ppid)"
	assertEquals "MAIN CapAmb" 0000000000000400 "$(field main capamb)"
	assertEquals "virtqemud CapAmb" 0000000000000400 "$(field virtqemud capamb)"
	assertEquals "virtlogd CapAmb" 0000000000000000 "$(field virtlogd capamb)"
	stop_and_wait
	assertEquals "exit code" 0 "$RC"
}

test_auth_pid_option() {
	sup_start --auth-pid 4242
	wait_ready || fail "not ready"
	assertEquals 4242 "$(field virtqemud auth)"
	stop_and_wait
	sup_start --auth-pid none
	wait_ready || fail "not ready"
	assertEquals "none: not set" - "$(field virtqemud auth 2)"
	stop_and_wait
}

test_no_net_bind_service_warns() {
	setpriv --bounding-set -net_bind_service --inh-caps -net_bind_service \
		"$SUP" "${SUP_OPTS[@]}" -- "$T/bin/main" 2>"$T/log" &
	SUP_PID=$!
	wait_ready || fail "not ready"
	assertTrue "warning" "grep -q 'CAP_NET_BIND_SERVICE is not in the permitted set' '$T/log'"
	assertEquals "no ambient caps" 0000000000000000 "$(field virtqemud capamb)"
	stop_and_wait
	assertEquals 0 "$RC"
}

test_daemons_wait_for_their_configs() {
	mkfifo "$T/gate"
	export FAKE_GATE_main=$T/gate
	sup_start
	wait_log "$T/log" 'virtqemud waits for its config' || fail "no wait line"
	wait_log "$T/log" 'virtlogd waits for its config' || fail "no wait line"
	assertFalse "virtlogd not started" "[ -e '$T/virtlogd.log' ]"
	echo >"$T/gate"
	wait_ready || fail "not ready after the configs appeared"
	stop_and_wait
}

test_config_in_a_directory_made_later() {
	sup_start --virtqemud-conf "$T/late/a/b/virtqemud.conf"
	wait_log "$T/log" 'virtqemud waits for its config' || fail "no wait line"
	wait_log "$T/log" 'virtlogd is ready' || fail "virtlogd not ready"
	mkdir -p "$T/late/a"
	mkdir "$T/late/a/b"
	assertFalse "not started yet" "[ -e '$T/virtqemud.log' ]"
	touch "$T/late/a/b/virtqemud.conf"
	wait_ready || fail "the config was not seen"
	kill -CHLD "$SUP_PID"
	assertTrue "a stray SIGCHLD is harmless" "kill -0 $SUP_PID"
	stop_and_wait
	assertEquals 0 "$RC"
}

test_virtqemud_waits_for_virtlogd_socket() {
	mkfifo "$T/gate"
	export FAKE_GATE_virtlogd=$T/gate FAKE_CHECK_virtqemud=$T/run/virtlogd-sock
	sup_start
	wait_log "$T/virtlogd.log" '^start' || fail "virtlogd did not start"
	wait_log "$T/log" 'virtqemud accepts' || fail "no probe"
	wait_log "$T/log" "virtqemud waits for virtlogd to create $T/run/virtlogd-sock" ||
		fail "the wait is not logged"
	assertFalse "virtqemud waits" "[ -e '$T/virtqemud.log' ]"
	echo >"$T/gate"
	wait_ready || fail "not ready"
	assertEquals "socket was there" 1 "$(field virtqemud check)"
	stop_and_wait
}

test_restricted_flags_detected_missing() {
	export FAKE_REJECT_FLAGS=1
	sup_start
	wait_ready || fail "not ready"
	assertEquals "-f,$T/run/virtlogd.conf" "$(field virtlogd argv)"
	assertEquals "-f,$T/run/virtqemud.conf" "$(field virtqemud argv)"
	assertTrue "reported" "grep -q 'virtqemud does not accept the restricted flags --no-admin-srv --no-ro-srv' '$T/log'"
	stop_and_wait
	assertEquals 0 "$RC"
}

# MAIN writes the daemons' configs only after both daemons were refused (it is held at a gate
# until then) and outlives its TERM (until --main-grace's KILL): a refused daemon must never
# start, also when its config appears while MAIN is still stopping. (It used to be a race: the
# configs came after the refusal now and then, and both daemons ran without the flags.)
test_strict_refuses_missing_flags() {
	export FAKE_REJECT_FLAGS=1 FAKE_IGNORE_TERM_main=1
	mkfifo "$T/gate"
	export FAKE_GATE_main=$T/gate
	sup_start --strict --main-grace 3
	# The first refusal stops the pod; the other daemon is frozen then, its
	# probe's answer read or not.
	wait_log "$T/log" 'does not accept .*--strict' || fail "no daemon refused"
	wait_log "$T/log" 'stopping: restricted flags unsupported' || fail "the stop did not begin"
	# MAIN can get the TERM before the fake blocks signals (the refusals come within a
	# millisecond): it then dies before its gate and writes no config, which the log tells.
	local early=
	timeout 5 sh -c 'echo >"$1"' sh "$T/gate" ||
		early=$(grep -o 'MAIN (pid [0-9]*) was killed by SIGTERM' "$T/log") ||
		fail "MAIN neither waited at its gate nor died of the TERM"
	sup_wait
	assertEquals "exit code" 4 "$RC"
	assertTrue "error line" "grep -q '\"level\":\"error\".*does not accept.*--strict' '$T/log'"
	assertTrue "MAIN stopped" "grep -q 'stopping: restricted flags unsupported' '$T/log'"
	assertTrue "MAIN reaped" "grep -q 'MAIN (pid [0-9]*) \(exited\|was killed\)' '$T/log'"
	if [ -z "$early" ]; then
		assertTrue "MAIN wrote the configs" "[ -e '$T/run/virtqemud.conf' ] && [ -e '$T/run/virtlogd.conf' ]"
	else
		echo "    $early before its gate: no config appeared late in this run"
	fi
	assertFalse "virtqemud never ran" "[ -e '$T/virtqemud.log' ]"
	assertFalse "virtlogd never ran" "[ -e '$T/virtlogd.log' ]"
	assertTrue "own event" "grep -q '^{\"event\":\"TETHER_SUPERVISE\",\"details\":\"{\\\\\"reason\\\\\":\\\\\"restricted-flags-unsupported' '$T/tl'"
}

# A --strict refusal is final: a config that appears while MAIN takes its
# time to stop does not start the daemon without the flags after all.
test_strict_refusal_is_final() {
	export FAKE_REJECT_FLAGS=1 FAKE_IGNORE_TERM_main=1
	unset FAKE_WRITE_main
	# SIGTERM ignored from MAIN's exec on (it inherits our ignored TERM through
	# tether-supervise): the stop's TERM may come before the fake's own
	# handler is in place, and MAIN must outlive it.
	(trap '' TERM; exec "$SUP" "${SUP_OPTS[@]}" --strict --no-virtqemud -- "$T/bin/main") 2>"$T/log" &
	SUP_PID=$!
	wait_log "$T/log" 'stopping: restricted flags unsupported' || fail "no refusal"
	: >"$T/run/virtlogd.conf"
	# Forwarded after the config's inotify event is read (one loop, in order).
	kill -USR1 "$SUP_PID"
	wait_log "$T/log" 'forwarding SIGUSR1 to MAIN' || fail "USR1 not forwarded"
	assertFalse "virtlogd was not started" "grep -q 'started virtlogd' '$T/log'"
	wait_log "$T/main.log" '^signal 10' || fail "MAIN did not get USR1"
	kill -KILL "$(field main pid)"
	sup_wait
	assertEquals "exit code" 4 "$RC"
	assertFalse "no daemon ran" "[ -e '$T/virtlogd.log' ]"
}

test_no_restricted_flags_option() {
	sup_start --no-restricted-flags --virtqemud-arg --extra --virtqemud-arg x
	wait_ready || fail "not ready"
	assertEquals "-f,$T/run/virtqemud.conf,--extra,x" "$(field virtqemud argv)"
	stop_and_wait
}

test_disabled_daemon() {
	sup_start --no-virtlogd
	wait_ready || fail "virtqemud did not start without virtlogd"
	assertFalse "[ -e '$T/virtlogd.log' ]"
	stop_and_wait
	assertEquals 0 "$RC"
}

test_restart_at_once_then_backoff() {
	export FAKE_CRASH_virtqemud=3
	sup_start --backoff 0.2
	wait_log "$T/virtqemud.log" '^listening' 10 || fail "never stayed up"
	local c1 s2 c2 s3 c3 s4
	c1=$(stamp virtqemud crash 1); s2=$(stamp virtqemud start 2)
	c2=$(stamp virtqemud crash 2); s3=$(stamp virtqemud start 3)
	c3=$(stamp virtqemud crash 3); s4=$(stamp virtqemud start 4)
	# "At once": within 30 ms (scaled; and SAN_MS), the new daemon's start
	# included (the bench: 1-5 ms); the back-offs within 300 ms (scaled)
	# of theirs.
	assertTrue "first restart at once ($(((s2 - c1) / 1000)) us)" "[ $((s2 - c1)) -lt $((($(slow 30) + SAN_MS) * 1000000)) ]"
	assertTrue "second after >= 200 ms" "[ $((s3 - c2)) -ge 200000000 ]"
	assertTrue "second within 200 + $(slow 300) ms" "[ $((s3 - c2)) -lt $((200000000 + $(slow 300000000))) ]"
	assertTrue "third after >= 400 ms" "[ $((s4 - c3)) -ge 400000000 ]"
	assertTrue "third within 400 + $(slow 300) ms" "[ $((s4 - c3)) -lt $((400000000 + $(slow 300000000))) ]"
	assertTrue "log line" "grep -q 'virtqemud exited (exit code 3), restarting' '$T/log'"
	stop_and_wait
	assertEquals 0 "$RC"
}

test_crash_budget_ends_the_pod() {
	export FAKE_CRASH_virtlogd=1000
	sup_start --crash-budget 3 --backoff 0.01
	sup_wait
	assertEquals "exit code" 3 "$RC"
	assertEquals "4 runs" 4 "$(grep -c '^start' "$T/virtlogd.log")"
	assertTrue "reason logged" "grep -q 'crash budget spent' '$T/log'"
	assertEquals "own event" '{"event":"TETHER_SUPERVISE","details":"{\"reason\":\"crash-budget\",\"daemon\":\"virtlogd\",\"crashes\":4,\"window_ms\":600000}"}' "$(cat "$T/tl")"
	assertTrue "MAIN stopped" "grep -q 'stopping: crash budget spent' '$T/log'"
	assertTrue "MAIN reaped" "grep -q 'MAIN (pid [0-9]*) \(exited\|was killed\)' '$T/log'"
}

test_stop_order_and_cleanup() {
	export FAKE_SPAWN_main=$T/bin/qemu-system-x86_64
	python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$T/disks/disk_0.sock"
	echo keep >"$T/disks/file.sock"
	sup_start
	wait_ready || fail "not ready"
	wait_log "$T/qemu_system_x86_64.log" '^start' || fail "no qemu"
	assertEquals "QEMU re-parented to the supervisor" "$SUP_PID" "$(field qemu_system_x86_64 ppid)"
	stop_and_wait
	assertEquals 0 "$RC"
	local m q v l
	m=$(stamp main signal); q=$(stamp qemu_system_x86_64 signal)
	v=$(stamp virtqemud signal); l=$(stamp virtlogd signal)
	assertTrue "MAIN before QEMU" "[ $m -lt $q ]"
	assertTrue "QEMU before virtqemud" "[ $q -lt $v ]"
	assertTrue "virtqemud before virtlogd" "[ $v -lt $l ]"
	assertFalse "socket removed" "[ -e '$T/disks/disk_0.sock' ]"
	assertTrue "non-socket kept" "[ -f '$T/disks/file.sock' ]"
	local pid left=0
	for pid in $(sed -n 's/^start pid=\([0-9]*\) .*/\1/p' "$T"/*.log); do
		kill -0 "$pid" 2>/dev/null && left=$((left + 1))
	done
	assertEquals "nothing left" 0 "$left"
}

test_qemu_killed_after_timeout_exit_1() {
	export FAKE_SPAWN_main=$T/bin/qemu-system-x86_64 FAKE_IGNORE_TERM_qemu_system_x86_64=1
	sup_start --qemu-timeout 0.3
	wait_log "$T/qemu_system_x86_64.log" '^start' || fail "no qemu"
	wait_ready || fail "not ready"
	stop_and_wait
	assertEquals "exit code" 1 "$RC"
	assertTrue "grep -q 'QEMU outlived' '$T/log'"
	assertTrue "virtqemud stopped after QEMU" "grep -q '^signal 15' '$T/virtqemud.log'"
}

test_no_restart_once_main_has_gone() {
	export FAKE_SPAWN_main=$T/bin/qemu-system-x86_64 FAKE_IGNORE_TERM_qemu_system_x86_64=1
	sup_start --qemu-timeout 3
	wait_log "$T/qemu_system_x86_64.log" '^start' || fail "no qemu"
	wait_ready || fail "not ready"
	kill -TERM "$SUP_PID"
	wait_log "$T/log" 'leftover QEMU' || fail "no QEMU step"
	kill -KILL "$(field virtqemud pid)"
	wait_log "$T/log" 'virtqemud exited \(killed by SIGKILL\)' || fail "not reaped"
	kill -KILL "$(field qemu_system_x86_64 pid)"
	sup_wait
	assertEquals "virtqemud ran once" 1 "$(grep -c '^start' "$T/virtqemud.log")"
	assertFalse "no restart line" "grep -q 'restarting' '$T/log'"
}

test_daemon_ignoring_term_is_killed() {
	export FAKE_IGNORE_TERM_virtlogd=1
	sup_start --grace 0.5
	wait_ready || fail "not ready"
	local t0=$(date +%s%N)
	stop_and_wait
	local ms=$((($(date +%s%N) - t0) / 1000000))
	assertEquals 0 "$RC"
	assertTrue "virtlogd got KILL after grace" "grep -q 'virtlogd exited (killed by SIGKILL)' '$T/log'"
	# The grace and at most 300 ms more (scaled): 2x the grace fails.
	assertTrue "took ${ms} ms, about the grace" "[ $ms -ge 500 ] && [ $ms -lt $((500 + $(slow 300))) ]"
}

test_exit_code_is_mains() {
	export FAKE_EXIT_main=7
	sup_start
	sup_wait
	assertEquals 7 "$RC"
	assertFalse "nothing in the termination log" "[ -s '$T/tl' ]"
}

test_main_killed_by_signal() {
	sup_start
	wait_ready || fail "not ready"
	kill -KILL "$(field main pid)"
	sup_wait
	assertEquals 137 "$RC"
	assertEquals '{"event":"TETHER_SUPERVISE","details":"{\"reason\":\"main-killed\",\"signal\":\"SIGKILL\"}"}' "$(cat "$T/tl")"
}

test_main_not_found() {
	"$SUP" "${SUP_OPTS[@]}" -- "$T/bin/nope" 2>"$T/log"
	assertEquals 127 $?
	"$SUP" "${SUP_OPTS[@]}" -- "$T/bin" 2>"$T/log"
	assertEquals "a directory cannot be executed" 126 $?
}

test_signals_forwarded() {
	sup_start
	wait_ready || fail "not ready"
	kill -HUP "$SUP_PID"
	wait_log "$T/main.log" '^signal 1 ' || fail "HUP not forwarded"
	kill -USR1 "$SUP_PID"
	wait_log "$T/main.log" '^signal 10 ' || fail "USR1 not forwarded"
	assertTrue "still running" "kill -0 $SUP_PID"
	kill -INT "$SUP_PID"
	sup_wait
	assertTrue "INT forwarded" "grep -q '^signal 2 ' '$T/main.log'"
	assertEquals 0 "$RC"
}

test_long_lines_forwarded_whole() {
	export FAKE_LINE_virtlogd=524288 FAKE_LINE_virtqemud=300000
	sup_start
	wait_ready || fail "not ready"
	stop_and_wait
	python3 - "$T/log" <<'PY' || fail "lines not whole"
import json, sys
seen = {}
for raw in open(sys.argv[1], encoding="utf-8"):
    o = json.loads(raw)  # every line is one JSON object
    m = o["msg"]
    if m.startswith("BEGIN"):
        assert m.endswith("END"), (o["component"], len(m))
        seen[o["component"]] = len(m)
assert seen == {"virtlogd": 524288, "virtqemud": 300000}, seen
empty = [1 for raw in open(sys.argv[1]) if json.loads(raw)["msg"] == ""]
assert not empty, "a 512 KiB line left an empty line behind"
PY
}

test_runs_as_pid1() {
	unshare --pid --fork --mount-proc "$SUP" "${SUP_OPTS[@]}" -- "$T/bin/main" 2>"$T/log" &
	SUP_PID=$!
	wait_ready || fail "not ready"
	assertEquals "virtqemud's parent is PID 1" 1 "$(field virtqemud ppid)"
	assertEquals "MAIN is pid 2" 2 "$(field main pid)"
	kill -TERM "$(pgrep -P "$SUP_PID")"
	sup_wait
	assertEquals 0 "$RC"
}

# An inherited SIG_IGN for SIGCHLD would have the kernel reap MAIN unseen
# (the audit's command hung for ever); MAIN and the daemons get it back.
test_inherited_ignored_sigchld() {
	mkdir "$T/x"
	timeout -s KILL 10 bash -c "(trap '' CHLD; exec $SUP --no-virtlogd --no-virtqemud --no-termination-log \
		--no-prepare --no-seed --no-cleanup --event-socket $T/x/ev.sock \
		-- sh -c 'exit 7')" 2>"$T/log"
	assertEquals "MAIN's code" 7 $?
	local mask
	( trap '' CHLD; exec "$SUP" "${SUP_OPTS[@]}" -- "$T/bin/main" 2>"$T/log" ) &
	SUP_PID=$!
	wait_ready || fail "not ready"
	mask=$(field virtqemud sigign)
	assertEquals "virtqemud inherits SIGCHLD ignored ($mask)" 1 $(((0x$mask >> 16) & 1))
	mask=$(field main sigign)
	assertEquals "MAIN too" 1 $(((0x$mask >> 16) & 1))
	kill -TERM "$SUP_PID"
	timeout 5 tail --pid="$SUP_PID" -f /dev/null
	assertFalse "MAIN's exit was seen: the supervisor is gone" "kill -0 $SUP_PID 2>/dev/null"
	kill -KILL "$SUP_PID" 2>/dev/null
	sup_wait
	assertEquals 0 "$RC"
}

. "$TETHER_ROOT/tests/lib/run.sh"
