#!/bin/bash
# tether-enter's side of the registration with the placeholder: the
# program's pidfd and a stop channel; anything but "OK" is a failure and
# the program is killed (audit F4, tether-enter's half); with --pid, the
# placeholder's own socket is found and used.
. "$(dirname "$0")/../lib/common.sh"
. "$TETHER_ROOT/tests/virtiofs/lib.sh"

FAKE_PH=$TETHER_ROOT/tests/helpers/fake_placeholder.py

suite_setUp() {
	X=
}

suite_tearDown() {
	if [ -n "$X" ]; then kill -KILL "$X" 2>/dev/null; fi
	stop_container
}

# started_pid: the program's host pid, from tether-enter's log in $T/err.
started_pid() {
	sed -n 's/.*started [^ ]*: pid \([0-9]*\).*/\1/p' "$T/err"
}

# fake_ph ANSWER: the placeholder's side played by fake_placeholder.py,
# as PID 1 (uid 107, no capabilities) of its own namespaces; its record
# is $T/run/ph.rec.
fake_ph() {
	chmod 755 "$T"; mkdir -m 777 "$T/run"
	SOCK=$T/run/ph.sock
	unshare --pid --fork --mount --mount-proc setpriv --reuid 107 --regid 107 --clear-groups \
		--inh-caps=-all --bounding-set=-all -- /usr/bin/python3 "$FAKE_PH" "$SOCK" "$T/run/ph.rec" "$1" \
		2>"$T/ph.err" &
	U=$!
	wait_for_line "$T/run/ph.rec" listening 10 || { cat "$T/ph.err"; return 1; }
	PH=$(pgrep -P $U)
}

test_a_registered_virtiofsd_is_already_running_and_nothing_starts() {
	# Audit script 03 (then: BUSY after the launch, the program killed):
	# the placeholder answers the reservation BUSY, before anything runs.
	start_container
	X=$(orphan setpriv --reuid 107 --regid 107 --clear-groups -- sleep 1000)
	assertEquals "the first registration" "OK $(ns_pid $X)" "$("$REGISTER" "$SOCK" "$X")"
	timeout -s KILL 30 "$ENTER" --target-socket "$SOCK" -e FAKE_RECORD="$T/rec" \
		-- "$FAKE" 2>"$T/err"
	assertEquals "already running" 0 $?
	assertContains "$(cat "$T/err")" "already running: the placeholder of pid $PH has virtiofsd (pid $(ns_pid $X) there) registered"
	assertEquals "nothing started" "" "$(started_pid)"
	assertFalse "no record" "[ -e '$T/rec' ]"
	assertTrue "the container goes on" "kill -0 $PH"
	assertTrue "with its own virtiofsd" "kill -0 $X"
	"$ENTER" --target-socket "$SOCK" -- /bin/true 2>"$T/err"
	assertEquals "again: already running" 0 $?
	assertNotContains "never pid -1" "$(cat "$T/err")" "pid -1"
}

test_an_answer_other_than_ok_kills_the_program() {
	fake_ph "ERR not now"
	timeout -s KILL 30 "$ENTER" --target-socket "$SOCK" -e FAKE_RECORD="$T/rec" \
		-- "$FAKE" 2>"$T/err"
	assertEquals "a failed registration" 11 $?
	assertContains "$(cat "$T/err")" "the placeholder refused pid $(started_pid): 'ERR not now'"
	assertTrue "killed (SIGKILL)" "wait_for_line '$T/run/ph.rec' '^reaped [0-9]+ status 9$' 5"
}

test_the_stop_channel_delivers_sigterm() {
	# The placeholder (uid 107, no CAP_KILL) cannot signal the root
	# program; one byte on stop_w must.
	fake_ph OK
	timeout -s KILL 30 "$ENTER" --target-socket "$SOCK" -e FAKE_RECORD="$T/rec" \
		-- "$FAKE" 2>"$T/err"
	assertEquals "registered" 0 $?
	assertTrue "the program's end" "wait_for_line '$T/run/ph.rec' '^virtiofsd' 5"
	assertContains "$(cat "$T/run/ph.rec")" "message b'REGISTER\\n' fds 3"
	assertContains "the two ends of one pipe" "$(cat "$T/run/ph.rec")" "same pipe True"
	assertContains "stop_r is O_ASYNC" "$(cat "$T/run/ph.rec")" "async True"
	assertContains "owned by the program" "$(cat "$T/run/ph.rec")" "owner True"
	assertContains "a direct kill is refused" "$(cat "$T/run/ph.rec")" "kill: EPERM"
	assertContains "SIGTERM arrived" "$(cat "$T/run/ph.rec")" "virtiofsd signal 15"
}

test_pid_mode_registers_with_the_placeholder() {
	# What virt-handler sends (the dispatcher's --pid) gets the
	# registration too: the placeholder's own socket is found.
	start_container
	timeout -s KILL 30 "$ENTER" --pid "$PH" -v -e FAKE_RECORD="$T/rec" \
		-- "$FAKE" 2>"$T/err"
	assertEquals "exit code" 0 $?
	assertContains "$(cat "$T/err")" "registered with the placeholder: OK"
	assertTrue "the placeholder has it" "grep -q 'virtiofsd registered: pid' '$T/ph.err'"
	kill -KILL "$(started_pid)"
	ph_wait 5
	assertEquals "its status is the container's" 137 $PH_RC
}

test_pid_mode_without_registration() {
	start_container
	timeout -s KILL 30 "$ENTER" --pid "$PH" --no-register -e FAKE_RECORD="$T/rec" \
		-- "$FAKE" 2>"$T/err"
	assertEquals "--no-register" 0 $?
	assertNotContains "$(cat "$T/err")" "registered"
	assertFalse "nothing registered" "grep -q 'virtiofsd registered' '$T/ph.err'"
	stop_container
	# A container init that listens on no socket: nothing to register with.
	unshare --pid --fork --mount --mount-proc sleep 1000 &
	U=$!
	until_true 5 pgrep -P $U >/dev/null
	PH=$(pgrep -P $U)
	timeout -s KILL 30 "$ENTER" --pid "$PH" -e FAKE_RECORD="$T/rec" \
		-- "$FAKE" 2>"$T/err"
	assertEquals "no placeholder" 0 $?
	assertContains "$(cat "$T/err")" "listens on 0 Unix stream sockets, not one: no placeholder"
}

test_pid_mode_refuses_another_listener_at_the_placeholders_path() {
	# Someone in the container replaced the placeholder's socket file
	# with its own listener: the path no longer leads to the target.
	start_container
	rm -f "$SOCK"
	X=$(rogue_listener "$SOCK")
	timeout -s KILL 30 "$ENTER" --pid "$PH" -e FAKE_RECORD="$T/rec" \
		-- "$FAKE" 2>"$T/err"
	assertEquals "refused" 10 $?
	assertContains "$(cat "$T/err")" "is another process's socket (pid $X): refused"
	assertFalse "nothing started" "[ -e '$T/rec' ]"
}

. "$TETHER_ROOT/tests/lib/run.sh"
