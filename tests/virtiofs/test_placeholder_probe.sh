#!/bin/bash
# The placeholder's check of an old socket at its path before it binds
# (lib/sock.c), against an owner that is alive but accepts nothing: a
# stopped (or frozen, or wedged) placeholder whose listen queue is full.
# The check must not wait on it (audit-2 R4: a blocking connect hung the
# new placeholder for ever, deaf to SIGTERM); the path is not taken over.
. "$(dirname "$0")/../lib/common.sh"
. "$TETHER_ROOT/tests/virtiofs/lib.sh"

FILL=

suite_tearDown() {
	[ -n "$FILL" ] && { kill -KILL "$FILL"; wait "$FILL"; } 2>/dev/null
	FILL=
	[ -n "${PH:-}" ] && kill -CONT "$PH" 2>/dev/null
	stop_container
}

test_a_wedged_predecessor_is_refused_at_once() {
	start_container
	kill -STOP "$PH"
	"$TETHER_BUILD/helpers/backlog_fill" "$SOCK" >"$T/fill" &
	FILL=$!
	wait_for_line "$T/fill" "^full" 5
	assertTrue "the old placeholder's queue is full" $?
	local out rc t0=$(date +%s%N) ms
	# As the container's PID 1, uid 107, like the real one; KILL after 10 s.
	out=$(timeout -s KILL "$(slow 10)" unshare --pid --fork --kill-child --mount-proc \
		setpriv --reuid 107 --regid 107 --clear-groups --inh-caps=-all --bounding-set=-all -- \
		"$TETHER" --placeholder --socket "$SOCK" --log-format text 2>&1); rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	assertEquals "a set-up failure, not a hang (137: killed after 10 s): code" 111 $rc
	assertContains "$out" "listen $SOCK: another process listens there and accepts nothing (its queue is full)"
	assertEquals "one line" 1 "$(printf '%s\n' "$out" | wc -l)"
	assertTrue "at once (took $ms ms)" "[ $ms -lt $(slow 2000) ]"
	assertTrue "the socket is left to its owner" "[ -S '$SOCK' ]"
	kill -CONT "$PH"
	kill -KILL "$FILL"; wait "$FILL" 2>/dev/null; FILL=
	assertEquals "the old placeholder still owns it" "$PH" "$(timeout 5 "$TETHER_BUILD/helpers/sockclient" -p "$SOCK")"
}

. "$TETHER_ROOT/tests/lib/run.sh"
