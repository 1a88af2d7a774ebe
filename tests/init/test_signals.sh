#!/bin/bash
# Signal forwarding, start-up races, and the child's signal state.
. "$(dirname "$0")/../lib/common.sh"
H=$TETHER_BUILD/helpers

suite_tearDown() {
	stop_tether
}

# start_recorder [TETHER OPTIONS]: tether runs sigrecord, which appends
# each signal it gets to $T/rec and exits on SIGRTMAX.
start_recorder() {
	"$TETHER" "$@" -- "$H/sigrecord" "$T/rec" RTMAX &
	TP=$!
	wait_for_line "$T/rec" '^ready$' || fail "recorder did not start"
}

finish_recorder() {
	kill -RTMAX "$TP"
	wait "$TP"
	assertEquals "tether's exit" 0 $?
	TP=
}

# send_each_signal: sends tether ($TP) every catchable signal, 1 to 34, one
# at a time, each once the recorder has it; $sent lists them.  32-34 too:
# the C libraries keep them for their threads, but they can be sent, and
# they would end a subreaper that let them through.
send_each_signal() {
	local sig
	for sig in $(seq 1 34); do
		case $sig in 9|17|19) continue ;; esac
		kill -"$sig" "$TP"
		wait_for_line "$T/rec" "^$sig\$" 5 || fail "signal $sig not forwarded"
		sent="$sent $sig"
	done
}

test_every_catchable_signal_forwarded_once_in_order() {
	local sent=""
	start_recorder --grace 60
	send_each_signal
	finish_recorder
	assertEquals "ready$sent $(kill -l RTMAX)" "$(tr '\n' ' ' <"$T/rec" | sed 's/ $//')"
}

# Standard signals coalesce while pending, so the recorder above would see
# a signal tether sent twice only once.  Here strace, attached to tether
# after its start, lists each signal tether itself sends: exactly one
# per signal it got, in order, to the program.
test_every_standard_signal_is_sent_exactly_once() {
	local sent="" got child
	command -v strace >/dev/null || { skip_test "no strace to count the signals tether sends"; return; }
	start_recorder --grace 60
	child=$(pgrep -P "$TP")
	strace -X raw -e signal=none -e trace=kill,tkill,tgkill,pidfd_send_signal,rt_sigqueueinfo,rt_tgsigqueueinfo \
		-o "$T/trace" -p "$TP" 2>"$T/strace.err" &
	local sp=$!
	wait_for_line "$T/strace.err" attached 5 || fail "strace did not attach"
	send_each_signal
	kill -INT "$sp"
	wait "$sp"
	finish_recorder
	# kill(4242, 1) = 0: the target and the signal as numbers (-X raw).
	got=$(sed -nE 's/^kill\(([0-9x]+), ([0-9x]+)\).*/\1 \2/p' "$T/trace" |
		while read -r to sig; do
			[ $((to)) = "$child" ] || echo "to$((to))"
			echo $((sig))
		done | tr '\n' ' ' | sed 's/ $//')
	assertEquals "no other signal-sending call" "$(grep -c '^kill(' "$T/trace")" "$(wc -l <"$T/trace")"
	assertEquals "each signal sent once, to the program" "${sent# }" "$got"
}

test_realtime_burst_keeps_order_and_count() {
	local expect="ready"
	start_recorder
	for i in 1 2 3 4 5 6 7 8; do
		kill -"$(kill -l RTMIN+$i 2>/dev/null || echo $((34 + i)))" "$TP" 2>/dev/null || kill -$((34 + i)) "$TP"
		expect="$expect $((34 + i))"
	done
	wait_for_line "$T/rec" "^42\$" || fail "burst not forwarded"
	finish_recorder
	assertEquals "$expect $(kill -l RTMAX)" "$(tr '\n' ' ' <"$T/rec" | sed 's/ $//')"
}

# With stderr on a pipe nobody reads, each log line tether writes raises
# SIGPIPE at tether itself.  That signal is not the user's: forwarding it
# would log again, raise again, and loop.  The FIFO is opened read-write
# and write-only, then the read-write end is closed: no reader is left.
test_sigpipe_tether_raises_at_itself_is_not_forwarded() {
	local rw w
	mkfifo "$T/fifo"
	exec {rw}<>"$T/fifo" {w}>"$T/fifo" {rw}<&-
	"$TETHER" -vv -- "$H/sigrecord" "$T/rec" RTMAX 2>&$w &
	TP=$!
	exec {w}>&-
	wait_for_line "$T/rec" '^ready$' || fail "recorder did not start"
	kill -USR1 "$TP"
	wait_for_line "$T/rec" '^10$' 5 || fail "USR1 not forwarded"
	kill -PIPE "$TP"
	wait_for_line "$T/rec" '^13$' 5 || fail "a SIGPIPE someone sent is forwarded"
	kill -USR2 "$TP"
	wait_for_line "$T/rec" '^12$' 5 || fail "USR2 not forwarded"
	finish_recorder
	assertEquals "ready 10 13 12 $(kill -l RTMAX)" "$(tr '\n' ' ' <"$T/rec" | sed 's/ $//')"
}

test_sigchld_is_not_forwarded() {
	start_recorder
	kill -CHLD "$TP"
	kill -USR1 "$TP"
	wait_for_line "$T/rec" '^10$' || fail "USR1 not forwarded"
	finish_recorder
	assertFalse "SIGCHLD must not reach the child" "grep -qx 17 '$T/rec'"
}

test_kill_chld_to_pid1_is_harmless() {
	in_pidns "$TETHER" -- sh -c 'kill -CHLD 1; kill -CHLD 1; exit 6'
	assertEquals 6 $?
}

test_job_control_signals_never_stop_tether() {
	local state
	start_recorder
	for sig in TSTP TTIN TTOU; do
		kill -$sig "$TP"
	done
	wait_for_line "$T/rec" '^22$' || fail "TTOU not forwarded"
	read -r state < <(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$TP/stat")
	assertNotEquals "tether stopped" T "$state"
	finish_recorder
	assertEquals "ready 20 21 22 $(kill -l RTMAX)" "$(tr '\n' ' ' <"$T/rec" | sed 's/ $//')"
}

# A TERM that lands 1 ms after exec must reach the child, not kill tether:
# with -e 143 the child's death by TERM reads as 0, tether's own as 143.
test_sigterm_right_after_exec_is_never_lost() {
	local bad=0
	for i in $(seq "$(fewer 30 5)"); do
		"$TETHER" -e 143 -- sleep 10 &
		local p=$!
		wait_exec "$p"
		sleep 0.001
		kill -TERM "$p"
		wait "$p" || bad=$((bad + 1))
	done
	assertEquals "runs where TERM was lost or fatal" 0 "$bad"
}

test_without_group_mode_the_grandchild_is_killed_by_the_grace() {
	"$TETHER" --grace 0.5 -- sh -c 'sleep 100 & trap "" TERM; echo up > '"$T/up"'; wait $!' &
	TP=$!
	wait_for_line "$T/up" up || fail "not started"
	kill -TERM "$TP"
	wait "$TP"
	assertEquals "the ignoring sh is killed after the grace" 137 $?
	TP=
}

test_group_mode_reaches_grandchildren() {
	local start=$SECONDS
	"$TETHER" -g --grace 30 -- sh -c 'sleep 100 & trap "" TERM; echo up > '"$T/up"'; wait $!' &
	TP=$!
	wait_for_line "$T/up" up || fail "not started"
	kill -TERM "$TP"
	wait "$TP"
	assertEquals "sh exits with its killed sleep's status" 143 $?
	assertTrue "ended by the group TERM, not the grace KILL" "[ $((SECONDS - start)) -lt 10 ]"
	TP=
}

test_tini_kill_process_group_env() {
	TINI_KILL_PROCESS_GROUP=1 "$TETHER" --grace 30 -- sh -c 'sleep 100 & trap "" TERM; echo up > '"$T/up"'; wait $!' &
	TP=$!
	wait_for_line "$T/up" up || fail "not started"
	kill -TERM "$TP"
	wait "$TP"
	assertEquals 143 $?
	TP=
}

test_child_gets_exactly_the_inherited_signal_state() {
	local direct via
	direct=$("$H/sigstate" USR1,RTMIN+3,TERM,32,34 USR2,HUP,PIPE grep -E '^Sig(Blk|Ign)' /proc/self/status)
	via=$("$H/sigstate" USR1,RTMIN+3,TERM,32,34 USR2,HUP,PIPE "$TETHER" -- grep -E '^Sig(Blk|Ign)' /proc/self/status)
	assertEquals "$direct" "$via"
	assertNotContains "the mask was really set" "$via" "SigBlk:	0000000000000000"
	direct=$("$H/sigstate" - - grep -E '^Sig(Blk|Ign)' /proc/self/status)
	via=$("$H/sigstate" - - "$TETHER" -- grep -E '^Sig(Blk|Ign)' /proc/self/status)
	assertEquals "$direct" "$via"
}

test_inherited_ignored_sigchld_still_gives_the_status() {
	"$H/sigstate" - CHLD "$TETHER" -- sh -c 'exit 3'
	assertEquals 3 $?
	"$H/sigstate" - CHLD "$TETHER" -- sh -c 'sleep 0.01 & exit 4'
	assertEquals 4 $?
	local direct via
	direct=$("$H/sigstate" - CHLD grep SigIgn /proc/self/status)
	via=$("$H/sigstate" - CHLD "$TETHER" -- grep SigIgn /proc/self/status)
	assertEquals "the child still inherits SIGCHLD ignored" "$direct" "$via"
}

# Every mode started as a shell's `trap '' CHLD` leaves it (SIGCHLD
# ignored, so the kernel would reap children unseen); the placeholder's
# case is in tests/virtiofs/test_placeholder.sh.
test_run_and_pause_started_with_sigchld_ignored() {
	in_pidns bash -c 'trap "" CHLD; exec "$@"' bash "$TETHER" -- sh -c 'sleep 0.01 & exit 3'
	assertEquals "run mode as PID 1: the program's status" 3 $?
	(trap '' CHLD; exec "$TETHER" -- grep SigIgn /proc/self/status) >"$T/ign"
	assertEquals "the program inherits it ignored" 1 $((0x$(awk '{print $2}' "$T/ign") >> 16 & 1))
	(trap '' CHLD; exec "$TETHER" --pause -vv 2>"$T/err") &
	TP=$!
	wait_for_line "$T/err" pausing 5
	assertEquals "pause takes SIGCHLD back" 0 $((0x$(awk '/^SigIgn:/ {print $2}' /proc/$TP/status) >> 16 & 1))
	kill -TERM "$TP"
	wait "$TP"
	assertEquals "pause: TERM ends it" 0 $?
	TP=
}

# Started with 0-2 closed, tether takes /dev/null there first: otherwise
# its first fds (signalfd, epoll) would become stderr and take the log.
test_closed_stdio_becomes_dev_null() {
	"$TETHER" -- sh -c 'for f in 0 1 2; do readlink /proc/$PPID/fd/$f; done >"$1"' sh "$T/fds" <&- >&- 2>&-
	assertEquals "fds 0-2 of tether" "/dev/null
/dev/null
/dev/null" "$(cat "$T/fds")"
}

test_parent_death_signal() {
	# The parent dies; -p TERM makes tether stop its program.
	sh -c '"$1" -p SIGTERM -e 143 -- sleep 100 & echo $! > "$2"; exec sleep 100' sh "$TETHER" "$T/pid" &
	local parent=$!
	until_true 5 test -s "$T/pid"
	local tp
	tp=$(cat "$T/pid")
	wait_exec "$tp"
	until_true 5 pgrep -P "$tp" sleep >/dev/null
	kill -KILL "$parent"
	until_true 5 sh -c "! kill -0 $tp 2>/dev/null"
	assertFalse "tether ended after its parent died" "kill -0 $tp 2>/dev/null"
}

test_forward_only_signal_does_not_stop() {
	local start=$SECONDS
	"$TETHER" --grace 1 --forward-only HUP -- sh -c 'trap "echo hup >> '"$T/hup"'" HUP; echo up > '"$T/up"'; while [ ! -e '"$T/go"' ]; do sleep 0.05; done' &
	TP=$!
	wait_for_line "$T/up" up || fail "not started"
	kill -HUP "$TP"
	wait_for_line "$T/hup" hup || fail "HUP not forwarded"
	# Still alive well after the grace period would have ended it.
	sleep 2
	assertTrue "kill -0 $TP"
	touch "$T/go"
	wait "$TP"
	assertEquals 0 $?
	TP=
}

. "$TETHER_ROOT/tests/lib/run.sh"
