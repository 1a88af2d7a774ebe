#!/bin/bash
# Reaping, subreaping, fds, working directory and idleness.
. "$(dirname "$0")/../lib/common.sh"

suite_tearDown() {
	stop_tether
}

# tether_in_ns ARGS...: starts tether as PID 1 of a new namespace; sets
# INIT (and TP, for the tear-down) to tether's host pid.  unshare itself
# forwards no signal, so the tear-down must address tether.
tether_in_ns() {
	unshare --pid --fork --mount-proc "$TETHER" "$@" &
	local ns=$!
	until_true 5 pgrep -P "$ns" >/dev/null
	INIT=$(pgrep -P "$ns")
	TP=$INIT
}

orphans_left() {
	echo $(($(zombies_of "$INIT") + $(pgrep -c -P "$INIT" -x sh)))
}

orphans_gone() {
	[ "$(orphans_left)" = 0 ]
}

test_thousand_orphans_exiting_at_once_leave_no_zombie() {
	mkfifo "$T/gate"
	# 1000 orphans block opening the fifo; one write releases them all.
	local n=$(fewer 1000 100)
	tether_in_ns -- sh -c '
		(for i in $(seq $1); do read x < "$0" & done; echo spawned > "$0.up") 
		exec sleep 1000' "$T/gate" $n
	wait_for_line "$T/gate.up" spawned 60 || fail "orphans not started"
	until_true 10 test "$(pgrep -c -P "$INIT" -x sh)" -ge $n
	assertEquals "orphans adopted by tether" $n "$(pgrep -c -P "$INIT" -x sh)"
	echo go >"$T/gate"
	# A reaper that misses one leaves a zombie for ever; how fast 1000
	# exits are reaped depends on the machine's load, so wait for the
	# end instead of asserting a time.
	until_true 20 orphans_gone
	assertEquals "zombies or orphans left" 0 "$(orphans_left)"
}

test_coalesced_sigchld_never_hangs() {
	local bad=0
	for i in $(seq "$(fewer 100 10)"); do
		timeout -s KILL "$(slow 5)" "$TETHER" -- sh -c 'true & true & exit 9'
		[ $? -eq 9 ] || bad=$((bad + 1))
	done
	assertEquals "runs that hung or lost the status" 0 "$bad"
}

test_orphans_come_to_tether_when_not_pid1() {
	"$TETHER" -- sh -c '(sh -c "until grep -q \"PPid:.$PPID\$\" /proc/\$\$/status; do :; done; echo adopted > $0" &); exec sleep 1000' "$T/ppid" &
	TP=$!
	wait_for_line "$T/ppid" adopted 5 || fail "orphan not re-parented to tether (pid $TP)"
	until_true 2 test "$(zombies_of "$TP")" = 0
	assertEquals 0 "$(zombies_of "$TP")"
}

test_child_gets_given_fds_and_tether_keeps_none() {
	local direct
	sh -c 'ls /proc/$$/fd > '"$T/direct" 5>"$T/extra" 7<"$T/extra"
	direct=$(sort -n "$T/direct" | tr '\n' ' ')
	"$TETHER" -- sh -c 'ls /proc/$$/fd > '"$T/childfds"'; exec sleep 1000' 5>"$T/extra" 7<"$T/extra" &
	TP=$!
	until_true 5 test -s "$T/childfds"
	assertEquals "child's fds are exactly those given to tether" "$direct" "$(sort -n "$T/childfds" | tr '\n' ' ')"
	assertContains "$direct" " 5 "
	local stray
	stray=$(for fd in /proc/$TP/fd/*; do
		n=${fd##*/}
		[ "$n" -le 2 ] && continue
		readlink "$fd" | grep -v '^anon_inode:'
	done)
	assertEquals "tether holds nothing but its own event fds" "" "$stray"
}

test_cwd_child_keeps_start_dir_tether_moves_to_root() {
	mkdir "$T/work"
	(cd "$T/work" && exec "$TETHER" -- sh -c 'pwd > '"$T/cwd"'; exec sleep 1000') &
	TP=$!
	until_true 5 test -s "$T/cwd"
	assertEquals "$T/work" "$(cat "$T/cwd")"
	assertEquals "/" "$(readlink /proc/$TP/cwd)"
}

test_idle_tether_never_wakes() {
	"$TETHER" -- sleep 1000 &
	TP=$!
	until_true 5 pgrep -P "$TP" sleep >/dev/null
	local before after
	before=$(grep ctxt_switches /proc/$TP/status | awk '{s += $2} END {print s}')
	sleep 3
	after=$(grep ctxt_switches /proc/$TP/status | awk '{s += $2} END {print s}')
	assertEquals "context switches while idle for 3 s" "$before" "$after"
}

. "$TETHER_ROOT/tests/lib/run.sh"
