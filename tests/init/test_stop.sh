#!/bin/bash
# Stopping: TERM → grace → KILL of the whole tree, as PID 1 and not.
. "$(dirname "$0")/../lib/common.sh"

suite_tearDown() {
	stop_tether
	pkill -KILL -f "sleep $LONG" 2>/dev/null
}

H=$TETHER_BUILD/helpers
# A sleep length no other run on the machine uses, so that clean-up and
# "nothing survives" checks see only this suite's processes.
export LONG=$((100000 + $$))

# The promise is "the grace period plus a few milliseconds"; a test allows
# the grace plus SLACK ms (a loaded 2-core machine, a sanitizer build),
# scaled by TETHER_SLOW, and times from the moment the program exits or the
# stop signal is sent, never including the start of a shell or a namespace.
# With a 1 s grace, a tether that waits twice the grace fails.
SLACK=500
within_grace() { # GRACE_MS MS
	[ "$2" -ge $(($1 - 50)) ] && [ "$2" -lt $(($1 + $(slow $SLACK))) ]
}

# since FILE: milliseconds since the time (date +%s%N) written in FILE.
since() { echo $((($(date +%s%N) - $(cat "$1")) / 1000000)); }

# The leftover records the TERM it gets, proving TERM came before KILL.
mode_leftover_gets_term_and_is_reaped_before_exit() {
	$AS "$TETHER" -- sh -c '("$1" "$2" TERM &); until grep -qs ready "$2"; do :; done; exit 4' sh "$H/sigrecord" "$T/rec"
	assertEquals 4 $?
	assertEquals "ready 15" "$(tr '\n' ' ' <"$T/rec" | sed 's/ $//')"
	assertFalse "nothing survives" "pgrep -f '$T/rec'"
}
both_modes leftover_gets_term_and_is_reaped_before_exit

test_leftover_ignoring_term_is_killed_after_grace() {
	# The program waits until the leftover has set its trap, then exits.
	"$TETHER" --grace 1 -- sh -c '(trap "" TERM; echo > "$0"; exec sleep $LONG) & until [ -e "$0" ]; do :; done; date +%s%N >"$0.exit"; exit 0' "$T/ready"
	assertEquals 0 $?
	local ms=$(since "$T/ready.exit")
	assertTrue "waited for the grace, not much longer ($ms ms)" "within_grace 1000 $ms"
	assertFalse "nothing survives" "pgrep -f 'sleep $LONG'"
}

test_grace_zero_kills_at_once() {
	in_pidns "$TETHER" --grace 0 -- sh -c '(trap "" TERM; exec sleep $LONG) & date +%s%N >"$0"; exit 5' "$T/exit"
	assertEquals 5 $?
	local ms=$(since "$T/exit")
	# "At once": 100 ms (scaled; and SAN_MS) for the kill, the namespace's
	# end and two forks of date; a grace of even 0.2 s fails.
	assertTrue "no wait ($ms ms)" "[ $ms -lt $(($(slow 100) + SAN_MS)) ]"
}

test_sigterm_to_a_child_ignoring_it_escalates() {
	"$TETHER" --grace 1 -- sh -c 'trap "" TERM; echo up > '"$T/up"'; while :; do sleep 1; done' &
	TP=$!
	wait_for_line "$T/up" up || fail "not started"
	local start=$(date +%s%N)
	kill -TERM "$TP"
	wait "$TP"
	assertEquals 137 $?
	local ms=$((($(date +%s%N) - start) / 1000000))
	assertTrue "killed after the grace, not much later ($ms ms)" "within_grace 1000 $ms"
	TP=
}

test_each_stop_signal_forwards_then_escalates() {
	for sig in TERM INT HUP QUIT; do
		"$TETHER" --grace 0.3 -- sh -c 'trap "" TERM INT HUP QUIT; echo up > '"$T/up.$sig"'; while :; do sleep 1; done' &
		TP=$!
		wait_for_line "$T/up.$sig" up || fail "not started"
		kill -$sig "$TP"
		wait "$TP"
		assertEquals "after SIG$sig" 137 $?
	done
	TP=
}

test_child_that_exits_on_term_gives_its_status() {
	in_pidns "$TETHER" -- sh -c 'trap "exit 7" TERM; kill -TERM 1; while :; do sleep 1; done'
	assertEquals 7 $?
}

# As PID 1 the kernel kills the namespace when tether exits anyway, so
# "nothing survives" proves nothing: the leftovers, in their own sessions
# and groups, record the TERM (and CONT) tether sends; one ends on it, the
# other only records them and is KILLed when the grace is over.
test_whole_namespace_is_stopped_as_pid1() {
	in_pidns "$TETHER" --grace 1 -- sh -c '
		setsid "$1" "$2.a" TERM & setsid "$1" "$2.b" RTMAX &
		until grep -qs ready "$2.a" && grep -qs ready "$2.b"; do :; done
		date +%s%N >"$2.exit"; exit 6' sh "$H/sigrecord" "$T/rec"
	assertEquals 6 $?
	local ms=$(since "$T/rec.exit")
	assertEquals "the leftover ending on TERM got it" "ready 15" "$(tr '\n' ' ' <"$T/rec.a" | sed 's/ $//')"
	assertEquals "the leftover ignoring it got it (and the CONT after)" "ready 15 18" "$(tr '\n' ' ' <"$T/rec.b" | sed 's/ $//')"
	assertTrue "and was KILLed after the grace ($ms ms)" "within_grace 1000 $ms"
}

test_pause_exits_zero_on_term() {
	"$TETHER" --pause &
	TP=$!
	wait_exec "$TP"
	kill -USR1 "$TP"
	kill -TERM "$TP"
	wait "$TP"
	assertEquals 0 $?
	TP=
}

# wait_blocked: waits (busy, briefly) until TP runs tether and has blocked
# its signals; fails at once if TP has ended instead.
wait_blocked() {
	until [ "$(readlink "/proc/$TP/exe" 2>/dev/null)" = "$TETHER" ] &&
	    grep -q '^SigBlk:.*[1-9a-f]' "/proc/$TP/status" 2>/dev/null; do
		grep -qs '^State:.[^Z]' "/proc/$TP/status" || return 1
	done
}

# ended_with CODE: TP ends within 5 s (else it is killed) with CODE.
ended_with() {
	timeout 5 tail --pid="$TP" -f /dev/null
	kill -KILL "$TP" 2>/dev/null
	wait "$TP"
	assertEquals "$2" "$1" $?
	TP=
}

test_pause_exits_zero_on_hup_and_quit_too() {
	local sig
	for sig in HUP QUIT; do
		"$TETHER" --pause &
		TP=$!
		wait_blocked
		kill -$sig "$TP"
		ended_with 0 "SIG$sig"
	done
}

test_sleep_infinity_is_pause() {
	ln -s "$TETHER" "$T/sleep"
	"$T/sleep" infinity &
	TP=$!
	wait_blocked
	kill -TERM "$TP"
	ended_with 0 "sleep infinity, then TERM"
}

test_pause_as_pid1_reaps_orphans_of_entered_processes() {
	# Like kubectl exec: a process enters the namespace from outside and
	# leaves an orphan, which re-parents to PID 1 and must be reaped.
	unshare --pid --fork --mount-proc "$TETHER" --pause &
	local ns=$! pause
	until_true 5 pgrep -P "$ns" >/dev/null
	pause=$(pgrep -P "$ns")
	TP=$pause
	nsenter -t "$pause" -p -m -- sh -c '(sh -c "until grep -q \"PPid:.1\$\" /proc/\$\$/status; do :; done; echo adopted > $0" &)' "$T/ppid"
	wait_for_line "$T/ppid" adopted 5 || fail "orphan not re-parented to tether"
	until_true 2 test "$(zombies_of "$pause")" = 0
	assertEquals "zombies left" 0 "$(zombies_of "$pause")"
	kill -INT "$pause"
	wait "$ns"
	assertEquals 0 $?
	TP=
}

. "$TETHER_ROOT/tests/lib/run.sh"
