#!/bin/bash
# Every bad command line: one clear line on stderr, exit 2, nothing run.
. "$(dirname "$0")/../lib/common.sh"

# expect_usage_error PATTERN ARGS...: runs tether with ARGS and checks it
# refused them with one line matching PATTERN and started nothing.
expect_usage_error() {
	local pattern=$1
	shift
	"$TETHER" "$@" >"$T/out" 2>"$T/err"
	assertEquals "exit code for: $*" 2 $?
	assertEquals "one line for: $*" 1 "$(wc -l <"$T/err")"
	grep -qE -- "$pattern" "$T/err" || fail "message for '$*' should match '$pattern': $(cat "$T/err")"
	assertEquals "nothing on stdout" "" "$(cat "$T/out")"
	assertFalse "program must not run" "[ -e '$T/ran' ]"
}

test_unknown_long_option() { expect_usage_error "unknown option '--bogus'" --bogus touch "$T/ran"; }
test_unknown_short_option() { expect_usage_error "unknown option '-Z'" -Z touch "$T/ran"; }
test_missing_program() { expect_usage_error "no program to run" ; }
test_missing_program_after_dashes() { expect_usage_error "no program to run" -g -- ; }
test_bad_exit_code() { expect_usage_error "-e takes an exit code" -e 256 touch "$T/ran"; }
test_non_numeric_exit_code() { expect_usage_error "-e takes an exit code" -e x touch "$T/ran"; }
test_missing_exit_code() { expect_usage_error "missing argument for '-e'" -e; }
test_bad_signal_name() { expect_usage_error "-p: unknown signal 'SIGNOPE'" -p SIGNOPE touch "$T/ran"; }
test_bad_grace() { expect_usage_error "--grace takes seconds" --grace -1 touch "$T/ran"; }
test_bad_grace_text() { expect_usage_error "--grace takes seconds" --grace=soon touch "$T/ran"; }
test_bad_log_format() { expect_usage_error "--log-format takes json or text" --log-format xml touch "$T/ran"; }
test_flag_with_value() { expect_usage_error "takes no argument" --pause=yes; }
test_pause_with_program() { expect_usage_error "--pause runs no program" --pause touch "$T/ran"; }
test_bad_forward_only() { expect_usage_error "--forward-only takes a signal tether forwards" --forward-only FOO touch "$T/ran"; }
test_forward_only_never_takes_kill_stop_or_chld() {
	expect_usage_error "--forward-only takes a signal tether forwards \(not KILL, STOP or CHLD\), not 'KILL'" --forward-only KILL touch "$T/ran"
	expect_usage_error "not 'SIGSTOP'" --forward-only SIGSTOP touch "$T/ran"
	expect_usage_error "not 'CHLD'" --forward-only CHLD touch "$T/ran"
}
# The fraction counts in the bound (audit C5).
test_grace_past_the_limit_by_a_fraction() { expect_usage_error "--grace takes seconds \(0 to 86400" --grace 86400.999 touch "$T/ran"; }
test_grace_at_the_limit() {
	"$TETHER" --grace 86400 -- true
	assertEquals 0 $?
}

# tether installed as temp_pod: Deckhouse's doppelganger pods run it with
# no arguments; it prints one line and exits 0.
test_temp_pod() {
	ln -s "$TETHER" "$T/temp_pod"
	"$T/temp_pod" >"$T/out" 2>"$T/err"
	assertEquals "code" 0 $?
	assertEquals "one line on stdout" 1 "$(wc -l <"$T/out")"
	assertEquals "nothing on stderr" "" "$(cat "$T/err")"
	PATH=$T:$PATH temp_pod >/dev/null
	assertEquals "found on PATH by name" 0 $?
	"$T/temp_pod" x >"$T/out" 2>"$T/err"
	assertEquals "an argument: code" 2 $?
	assertContains "$(cat "$T/err")" "as temp_pod, tether takes no arguments, not 'x'"
}

# tether installed as sleep: an image holder's "sleep infinity" pauses;
# anything else is a usage error, not a sleep.
test_sleep_anything_but_infinity_is_refused() {
	ln -s "$TETHER" "$T/sleep"
	local args
	for args in "" "5" "infinity 5" "--help"; do
		# shellcheck disable=SC2086 # each case is a word list
		"$T/sleep" $args >"$T/out" 2>"$T/err"
		assertEquals "sleep $args: code" 2 $?
		assertContains "sleep $args: message" "$(cat "$T/err")" "as sleep, tether only pauses; usage: 'sleep infinity'"
	done
}

test_options_stop_at_program() {
	# Options after the program belong to the program.
	"$TETHER" sh -c 'echo "$@"' sh -g --bogus >"$T/out"
	assertEquals 0 $?
	assertEquals "-g --bogus" "$(cat "$T/out")"
}

test_clustered_and_attached_short_options() {
	"$TETHER" -gwe3 -- sh -c 'exit 3'
	assertEquals 0 $?
	"$TETHER" -sg -p SIGKILL -e3 -- sh -c 'exit 3'
	assertEquals 0 $?
	"$TETHER" --grace=0.25 -- true
	assertEquals 0 $?
}

. "$TETHER_ROOT/tests/lib/run.sh"
