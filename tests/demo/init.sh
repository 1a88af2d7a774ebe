#!/bin/bash
# Demo, part 1: tether as PID 1 of a new PID namespace.  Shows it adopting
# and reaping orphans, forwarding a signal, and stopping a tree gracefully:
# TERM to everything left, KILL after the grace period for what ignores it.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TETHER=${TETHER_BUILD:-$ROOT/build}/tether
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

say "tether $("$TETHER" --version | cut -d' ' -f2): $(stat -c %s "$TETHER") bytes, $(file -b "$TETHER" | cut -d, -f1,5 | sed 's/ *$//')"

say "1. Orphans are adopted and reaped by PID 1"
echo "The program leaves 50 orphans that exit at once; tether (PID 1) reaps them:"
run unshare --pid --fork --mount-proc "$TETHER" -w --log-format text -- sh -c '
	(for i in $(seq 50); do sleep 0.2 & done)
	sleep 0.5
	echo "program: zombies left in the namespace: $(grep -l "^State:.Z" /proc/[0-9]*/status 2>/dev/null | wc -l)"
	exit 3' 2>&1 | awk '/reaped zombie/ { n++; next } { print } END { print "tether: logged " n " reaped orphans (-w)" }'
echo "exit status passed through: ${PIPESTATUS[0]}"

say "2. A graceful stop of the whole tree"
echo "The program exits, leaving one process that handles TERM and one that ignores it."
echo "tether sends TERM to both, waits --grace 2 seconds, then KILLs the stubborn one:"
start=$(date +%s%N)
run unshare --pid --fork --mount-proc "$TETHER" -v --grace 2 --log-format text -- sh -c '
	sh -c "trap \"echo polite: got TERM, leaving; exit 0\" TERM; sleep 100 & wait" &
	sh -c "trap \"echo stubborn: got TERM, ignoring it\" TERM; while :; do sleep 0.1; done" &
	sleep 0.2; echo "program: exiting with 0, leaving two processes behind"; exit 0'
echo "tether exited with $? after $((($(date +%s%N) - start) / 1000000)) ms; nothing is left:"
pgrep -fax "sleep 100" || echo "  (no leftover process)"

say "3. Signals reach the program; tether itself never dies of them"
"$TETHER" --log-format text -- sh -c 'trap "echo program: got SIGUSR1" USR1; trap "echo program: got SIGTERM, exiting 0; exit 0" TERM; echo ready; while :; do sleep 0.1; done' &
pid=$!
sleep 0.3
run kill -USR1 $pid; sleep 0.3
run kill -TERM $pid
wait $pid 2>/dev/null
echo "tether exited with $?"
