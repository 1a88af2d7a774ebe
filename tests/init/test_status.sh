#!/bin/bash
# Exit statuses, exec failures, and what tether prints where.
. "$(dirname "$0")/../lib/common.sh"

mode_status_passes_through_every_code() {
	local bad=""
	for code in $(seq 0 255); do
		$AS "$TETHER" -- sh -c "exit $code"
		[ $? -eq "$code" ] || bad="$bad $code"
	done
	assertEquals "codes not passed through:" "" "$bad"
}
both_modes status_passes_through_every_code

# The code is the program's, not that of the last process reaped: here an
# orphan (ignoring the TERM it gets) exits with another code after tether
# has reaped the program, and one is killed by that TERM.
mode_status_is_the_programs_not_the_last_reaped() {
	local code
	for code in 0 3 42; do
		$AS "$TETHER" -- sh -c '
			(trap "" TERM; while kill -0 $$ 2>/dev/null; do sleep 0.01; done; exit 9) &
			sleep 1000 &
			exit '$code
		assertEquals "orphans reaped after the program" "$code" $?
	done
}
both_modes status_is_the_programs_not_the_last_reaped

test_killed_child_gives_128_plus_signal() {
	"$TETHER" -- sh -c 'kill -TERM $$'
	assertEquals 143 $?
	"$TETHER" -- sh -c 'kill -KILL $$'
	assertEquals 137 $?
	"$TETHER" -- sh -c 'kill -HUP $$'
	assertEquals 129 $?
}

test_missing_program_is_127_with_one_line() {
	"$TETHER" /nonexistent/prog >"$T/out" 2>"$T/err"
	assertEquals 127 $?
	assertEquals "nothing on stdout" "" "$(cat "$T/out")"
	assertEquals 1 "$(wc -l <"$T/err")"
	assertContains "$(cat "$T/err")" "/nonexistent/prog"
	assertContains "$(cat "$T/err")" "ENOENT"
}

test_not_in_path_is_127() {
	PATH=/nonexistent "$TETHER" no-such-program-anywhere 2>"$T/err"
	assertEquals 127 $?
}

test_not_executable_is_126() {
	echo 'echo hi' >"$T/script"
	chmod 0644 "$T/script"
	"$TETHER" "$T/script" >"$T/out" 2>"$T/err"
	assertEquals 126 $?
	assertContains "$(cat "$T/err")" "EACCES"
	"$TETHER" /etc 2>/dev/null
	assertEquals 126 $?
}

test_remap_exit_code_to_zero() {
	"$TETHER" -e 3 -e 143 -- sh -c 'exit 3'
	assertEquals 0 $?
	"$TETHER" -e 143 -- sh -c 'kill -TERM $$'
	assertEquals 0 $?
	"$TETHER" -e 3 -- sh -c 'exit 4'
	assertEquals 4 $?
}

test_quiet_by_default_and_stdout_untouched() {
	"$TETHER" -- sh -c 'echo out; echo err >&2' >"$T/out" 2>"$T/err"
	assertEquals "out" "$(cat "$T/out")"
	assertEquals "err" "$(cat "$T/err")"
}

test_verbose_logs_are_json_on_stderr() {
	"$TETHER" -vv -- true >"$T/out" 2>"$T/err"
	assertEquals "" "$(cat "$T/out")"
	assertTrue "a started line" "grep -q '\"msg\":\"started true as pid' '$T/err'"
	while read -r line; do
		echo "$line" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert set(d)=={"component","level","msg","pos","timestamp"}, d; assert d["component"]=="tether"' \
			|| fail "not KubeVirt-shaped JSON: $line"
	done <"$T/err"
}

test_text_log_format() {
	"$TETHER" -vv --log-format text -- true 2>"$T/err"
	assertTrue "grep -q '^tether: info: started true' '$T/err'"
}

# tini's levels: 1 errors (tether's default), 2 info, 3 debug.  A forwarded
# signal is logged at debug only.
test_tini_verbosity_env() {
	local v prog='trap "exit 0" USR1; kill -USR1 $PPID; while :; do sleep 0.01; done'
	for v in 1 2 3; do
		TINI_VERBOSITY=$v "$TETHER" -- sh -c "$prog" 2>"$T/err.$v"
		assertEquals "TINI_VERBOSITY=$v: the program ended on the forwarded USR1" 0 $?
	done
	assertEquals "1: nothing logged" "" "$(cat "$T/err.1")"
	assertTrue "2: info" "grep -q '\"level\":\"info\"' '$T/err.2'"
	assertFalse "2: no debug" "grep -q '\"level\":\"debug\"' '$T/err.2'"
	assertTrue "3: debug" "grep -q '\"level\":\"debug\".*forwarding SIGUSR1' '$T/err.3'"
}

test_version_and_help_on_stdout() {
	assertEquals "tether $(cat "$TETHER_ROOT/VERSION")" "$("$TETHER" --version)"
	"$TETHER" -h >"$T/out"
	assertEquals 0 $?
	assertContains "$(head -1 "$T/out")" "usage: tether"
	"$TETHER" -l | grep -q License
	assertEquals 0 $?
}

. "$TETHER_ROOT/tests/lib/run.sh"
