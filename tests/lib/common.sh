# Sourced by every shunit2 suite.  Gives the binaries' paths, per-test
# result recording for tests/run, skips that say why, and small helpers
# for PID namespaces and for waiting on events.
#
# A suite defines its test_* functions, may define suite_setUp and
# suite_tearDown (per test) and then ends with:  . "$TETHER_ROOT/tests/lib/run.sh"

: "${TETHER_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${TETHER_BUILD:=$TETHER_ROOT/build}"
: "${TETHER_RESULTS:=/dev/null}"
TETHER=$TETHER_BUILD/tether
SUITE=${TETHER_RESULT_PREFIX:-}$(basename "$0" .sh)

# TETHER_SLOW=N (a whole number, default 1) is the one knob for a machine
# that runs the suites about N times slower than a plain host (tests/vm
# sets it in its emulated VMs).  Every deadline a test allows is multiplied
# by N (slow SECONDS; wait_for_line and until_true scale theirs
# themselves), and stress counts are divided by it (fewer COUNT [MIN]): a
# slow machine checks the same promises with smaller numbers instead of
# running out of time.  What the product itself bounds (a probe killed
# after 5 s) is not scaled: only the slack a test allows around it.
SLOW=${TETHER_SLOW:-1}
case $SLOW in ''|*[!0-9]*|0) echo "TETHER_SLOW takes a whole number >= 1, not '$SLOW'" >&2; exit 2 ;; esac
slow() { echo $(($1 * SLOW)); }
# A sanitizer build (TETHER_SANITIZED: make test's second pass) starts each
# process through its runtime and scans for leaks at every exit: 5-40 ms
# measured here, none of it tether's code.  A bound that holds a process's
# exit or start of the order of milliseconds adds SAN_MS for it.
SAN_MS=0
[ -z "${TETHER_SANITIZED:-}" ] || SAN_MS=100
fewer() {
	local n=$(($1 / SLOW)) min=${2:-1}
	echo $((n > min ? n : min))
}

# Each test gets a fresh scratch directory, removed afterwards.  After a
# failed set-up of the suite (setup_failed) each test fails at once.
setUp() {
	T=$(mktemp -d /tmp/tether-test.XXXXXX)
	SKIP_REASON=
	[ -z "${SETUP_FAILED:-}" ] || fail "the suite's set-up failed: $SETUP_FAILED"
	if declare -F suite_setUp >/dev/null; then suite_setUp; fi
}

tearDown() {
	if declare -F suite_tearDown >/dev/null; then suite_tearDown; fi
	record_result
	rm -rf "$T"
}

record_result() {
	# shunit2 calls tearDown once more from its exit trap, outside a test.
	[ -n "${_shunit_test_:-}" ] || return 0
	# A failed assert before a skip still fails the test.
	if [ "${__shunit_testSuccess:-0}" -ne "${SHUNIT_TRUE:-0}" ]; then
		echo "FAIL $SUITE:$_shunit_test_" >>"$TETHER_RESULTS"
	elif [ -n "$SKIP_REASON" ]; then
		echo "SKIP $SUITE:$_shunit_test_: $SKIP_REASON" >>"$TETHER_RESULTS"
	else
		echo "PASS $SUITE:$_shunit_test_" >>"$TETHER_RESULTS"
	fi
}

# skip_test REASON: the rest of the test's asserts are skipped, and the
# test is counted as skipped (never as passed), with the reason.  Only for
# what the machine lacks (a tool, root, a kernel feature), in one line.
skip_test() {
	SKIP_REASON=$1
	echo "SKIP: $1"
	startSkipping
}

# setup_failed REASON: for a suite's oneTimeSetUp, when a step of the
# project's own failed (an image build, a helper): not a missing capability
# of the machine, so every test of the suite FAILs with REASON.  It also
# sets UNAVAILABLE, which the suites check before running a test's body.
setup_failed() {
	echo "set-up failed: $1" >&2
	SETUP_FAILED=$1
	UNAVAILABLE=$1
}

# stop_tether: ends the tether started in the background as $TP, with its
# whole tree (TERM, which it forwards and escalates; KILL if it is stuck).
stop_tether() {
	[ -n "${TP:-}" ] || return 0
	kill -TERM "$TP" 2>/dev/null
	timeout 10 tail --pid="$TP" -f /dev/null
	kill -KILL "$TP" 2>/dev/null
	wait "$TP" 2>/dev/null
	TP=
}

# wait_exec PID: waits (busy, briefly) until PID runs the tether binary.
# A sanitizer build runs its dynamic loader and runtime before main, so
# there it also waits until main has blocked the signals.
wait_exec() {
	until [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$TETHER" ]; do :; done
	if [ -n "${TETHER_SANITIZED:-}" ]; then
		until grep -q '^SigBlk:.*[1-9a-f]' "/proc/$1/status" 2>/dev/null; do :; done
	fi
}

# in_pidns CMD...: runs CMD as PID 1 of a new PID namespace with its own /proc.
in_pidns() {
	unshare --pid --fork --mount-proc "$@"
}

# The mode matrix: a test whose body holds both as PID 1 and as a child
# subreaper is written once, as mode_NAME, starting tether as
# `$AS "$TETHER" ...`; `both_modes NAME...` then makes of each
# test_NAME_as_pid1 (AS=in_pidns) and test_NAME_as_subreaper (AS empty).
# Orphans made with `(cmd &)` come to tether in both modes.
MODE_TESTS=()
both_modes() {
	local n
	for n in "$@"; do
		eval "test_${n}_as_pid1() { AS=in_pidns; mode_$n; }"
		eval "test_${n}_as_subreaper() { AS=; mode_$n; }"
		MODE_TESTS+=("test_${n}_as_pid1" "test_${n}_as_subreaper")
	done
}

# wait_for_line FILE PATTERN [SECONDS]: waits until FILE has a line matching
# PATTERN, woken by inotify (tail -F) rather than by polling; the tail is
# ended afterwards, whatever the outcome.
wait_for_line() {
	local fd tailer rc
	exec {fd}< <(exec timeout "$(slow "${3:-10}")" tail -n +1 -F "$1" 2>/dev/null)
	tailer=$!
	grep -q -m1 -E "$2" <&$fd
	rc=$?
	kill "$tailer" 2>/dev/null
	exec {fd}<&-
	return $rc
}

# until_true SECONDS CMD...: for states the kernel gives no event for (a
# zombie disappearing from /proc), re-checks CMD every 10 ms up to SECONDS.
until_true() {
	local deadline=$((SECONDS + $(slow $1)))
	shift
	while ! "$@"; do
		[ $SECONDS -le $deadline ] || return 1
		sleep 0.01
	done
}

# ms_to_exit PID SIG TARGET [SECONDS]: sends SIG to TARGET and prints the
# milliseconds (to the microsecond) until PID has exited, timed in one
# process through a pidfd (no fork, no polling inside the timed span);
# status 1 and nothing printed if PID outlives SECONDS (default 10, scaled).
ms_to_exit() {
	python3 -c '
import os, select, signal, sys, time
pid, sig, target, secs = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
fd = os.pidfd_open(pid)
t0 = time.monotonic_ns()
os.kill(target, signal.Signals["SIG" + sig])
if not select.select([fd], [], [], secs)[0]:
    sys.exit(1)
print("%.3f" % ((time.monotonic_ns() - t0) / 1e6))
' "$1" "$2" "$3" "$(slow "${4:-10}")"
}

# below MS LIMIT: whether MS (with decimals) is under LIMIT (whole ms).
below() { awk -v m="$1" -v l="$2" 'BEGIN { exit !(m != "" && m + 0 < l + 0) }'; }

# zombies_of PID: how many zombie processes have PID as parent.
zombies_of() {
	local parent=$1 n=0 line fields
	for st in /proc/[0-9]*/stat; do
		read -r line <"$st" 2>/dev/null || continue
		read -r -a fields <<<"${line##*) }"
		[ "${fields[0]}" = Z ] && [ "${fields[1]}" = "$parent" ] && n=$((n + 1))
	done
	echo $n
}
