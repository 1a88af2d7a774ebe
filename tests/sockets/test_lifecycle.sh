#!/bin/bash
# container-disk's life: exit on socket removal (inotify), on stop
# signals, PID-1 duties, and never waking when idle.
. "$(dirname "$0")/../lib/common.sh"
. "$TETHER_ROOT/tests/sockets/cd_lib.sh"

# The promise: exits 0 within milliseconds of the removal (inotify, no
# polling).  The holder has acted when it logs the removal (its line's
# time stamp against the removal's, both the realtime clock); the process
# is gone once the kernel has torn it down.  A test allows 3x a 10 ms
# "milliseconds" for each, scaled by TETHER_SLOW (and a sanitizer build's
# exit, SAN_MS): a poll of 100 ms fails.
REMOVAL_MS=30
test_removal_exits_0_at_once() {
	local us wall ts acted
	start_holder h -c "$T/d/x"
	read -r us wall < <("$SC" -r "$T/d/x.sock" "$HOLDER")
	wait_rc "$HOLDER"
	assertEquals 0 "$RC"
	ts=$(sed -n 's/.*does not exist anymore.*"timestamp":"\([^"]*\)".*/\1/p' "$T/h.log")
	assertNotNull "the removal logged" "$ts"
	acted=$(($(date -d "$ts" +%s%6N) - wall))
	assertTrue "acted within $(slow $REMOVAL_MS) ms (took $acted us)" "[ $acted -lt $(slow $((REMOVAL_MS * 1000))) ]"
	assertTrue "gone within $(($(slow $REMOVAL_MS) + SAN_MS)) ms (took $us us)" "[ ${us:-999999999} -lt $((($(slow $REMOVAL_MS) + SAN_MS) * 1000)) ]"
}

test_rename_away_exits_0() {
	start_holder h -c "$T/d/x"
	mv "$T/d/x.sock" "$T/d/elsewhere"
	wait_rc "$HOLDER" 2
	assertEquals 0 "$RC"
	assertTrue "the renamed socket is left alone" "[ -S '$T/d/elsewhere' ]"
}

test_replaced_by_another_socket_exits_0_and_spares_it() {
	# Someone renames a new socket over ours: no delete event for our
	# inode, only a move-to for the name; we notice and leave theirs.
	start_holder h -c "$T/d/x"
	local ours=$HOLDER
	start_holder other -c "$T/e/y"
	mv "$T/e/y.sock" "$T/d/x.sock"
	wait_rc "$ours" 2
	assertEquals 0 "$RC"
	assertTrue "the newcomer's socket stays" "[ -S '$T/d/x.sock' ]"
}

test_directory_removed_exits_0() {
	start_holder h -c "$T/d/x"
	rm -rf "$T/d"
	wait_rc "$HOLDER" 2
	assertEquals 0 "$RC"
}

test_other_files_in_the_directory_do_not_matter() {
	start_holder h -c "$T/d/x"
	: >"$T/d/other"
	rm "$T/d/other"
	mkdir "$T/d/sub"
	assertTrue "still running" "alive $HOLDER"
	assertEquals "ok 1 failed 0" "$("$SC" "$T/d/x.sock")"
}

check_signal() {
	start_holder "$1" -c "$T/$1/x"
	kill -"$1" "$HOLDER"
	wait_rc "$HOLDER" 2
	assertEquals "exit code after SIG$1" 0 "$RC"
	assertFalse "socket removed after SIG$1" "[ -e '$T/$1/x.sock' ]"
	assertContains "$(cat "$T/$1.log")" "SIG$1"
}

test_stop_signals() {
	local s
	for s in TERM INT HUP QUIT; do check_signal $s; done
}

test_signal_leaves_a_successors_socket() {
	# Our socket was replaced (we are on our way out): a late SIGTERM
	# must not remove the successor's socket.
	start_holder h -c "$T/d/x"
	local ours=$HOLDER
	kill -STOP "$ours"
	rm "$T/d/x.sock"
	start_holder b -c "$T/d/x"
	kill -TERM "$ours"
	kill -CONT "$ours"
	wait_rc "$ours" 2
	assertEquals 0 "$RC"
	assertEquals "successor still reachable" "$HOLDER" "$("$SC" -p "$T/d/x.sock")"
}

test_other_signals_are_harmless() {
	start_holder h -c "$T/d/x"
	kill -CHLD "$HOLDER"
	kill -USR1 "$HOLDER"
	kill -PIPE "$HOLDER"
	kill -WINCH "$HOLDER"
	assertEquals "ok 1 failed 0" "$("$SC" "$T/d/x.sock")"
	assertTrue "still running" "alive $HOLDER"
}

test_as_pid1_term_from_outside() {
	in_pidns "$CD" -c "$T/d/x" 2>"$T/h.log" &
	PIDS+=($!)
	wait_for_line "$T/h.log" '"listening on' 5
	local pid
	pid=$("$SC" -p "$T/d/x.sock")
	assertEquals "the holder is PID 1 inside" 1 "$(awk '/^NSpid:/ { print $3 }' "/proc/$pid/status")"
	kill -TERM "$pid"
	wait_rc "${PIDS[-1]}" 2
	assertEquals 0 "$RC"
	assertFalse "[ -e '$T/d/x.sock' ]"
}

no_children() { [ "$(ps -o pid= --ppid "$1" | wc -l)" -eq 0 ]; }

test_as_pid1_reaps_orphans() {
	in_pidns "$CD" -c "$T/d/x" 2>"$T/h.log" &
	PIDS+=($!)
	wait_for_line "$T/h.log" '"listening on' 5
	local pid
	pid=$("$SC" -p "$T/d/x.sock")
	# 20 grandchildren whose parent is gone: they become the holder's.
	nsenter -t "$pid" -p -- sh -c 'for i in $(seq 20); do sleep 0.2 & done'
	until_true 3 no_children "$pid"
	assertTrue "orphans gone" $?
	assertEquals "no zombies" 0 "$(zombies_of "$pid")"
	assertContains "$(cat /proc/$pid/status)" "State:	S"
}

# The one start-up sequence (lib/role.c): SIGCHLD back to the default,
# /dev/null on a closed stderr, nothing inherited kept beyond 0-2.
test_start_state() {
	(trap '' CHLD; exec "$CD" -c "$T/d/x" 7>"$T/held" 2>&-) &
	local pid=$!
	PIDS+=("$pid")
	until_true 5 test -S "$T/d/x.sock"
	assertEquals "SIGCHLD not ignored" 0 $((0x$(status_field "$pid" SigIgn) >> 16 & 1))
	assertEquals "stderr" /dev/null "$(readlink /proc/$pid/fd/2)"
	assertNotContains "the inherited fd 7 is closed" "$(ls -l /proc/$pid/fd)" "$T/held"
	kill -TERM "$pid"
}

test_idle_makes_no_context_switches() {
	start_holder h -c "$T/d/x"
	local v0 n0 v1 n1
	v0=$(status_field "$HOLDER" voluntary_ctxt_switches)
	n0=$(status_field "$HOLDER" nonvoluntary_ctxt_switches)
	sleep 2	# measuring idleness: nothing to wait for
	v1=$(status_field "$HOLDER" voluntary_ctxt_switches)
	n1=$(status_field "$HOLDER" nonvoluntary_ctxt_switches)
	assertEquals "voluntary switches in 2 s" "$v0" "$v1"
	assertEquals "involuntary switches in 2 s" "$n0" "$n1"
}

test_logs_are_json_on_stderr_only() {
	"$CD" -c "$T/d/x" >"$T/out" 2>"$T/h.log" &
	HOLDER=$!
	PIDS+=("$HOLDER")
	wait_for_line "$T/h.log" '"listening on' 5
	kill -TERM "$HOLDER"
	wait_rc "$HOLDER"
	assertEquals 0 "$(wc -c <"$T/out")"
	python3 -c 'import json,sys
for l in open(sys.argv[1]):
    d = json.loads(l); assert d["component"] == "container-disk", d' "$T/h.log"
	assertTrue "every line is KubeVirt-shaped JSON" $?
	start_holder t -c "$T/e/x" --log-format text
	assertContains "$(cat "$T/t.log")" "container-disk: info: listening on"
}

. "$TETHER_ROOT/tests/lib/run.sh"
