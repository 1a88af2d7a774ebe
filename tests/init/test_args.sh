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
test_bad_forward_only() { expect_usage_error "--forward-only: unknown signal" --forward-only FOO touch "$T/ran"; }

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
