#!/bin/bash
# container-disk's command line: KubeVirt's options and every bad input.
. "$(dirname "$0")/../lib/common.sh"
. "$TETHER_ROOT/tests/sockets/cd_lib.sh"

# bad_usage ARGS...: exit 1, exactly one line on stderr, nothing on
# stdout, nothing created under $T.
bad_usage() {
	local rc
	(cd "$T" && "$CD" "$@" >"$T.out" 2>"$T.err")
	rc=$?
	assertEquals "exit code for: $*" 1 "$rc"
	assertEquals "one stderr line for: $*" 1 "$(wc -l <"$T.err")"
	assertEquals "no stdout for: $*" 0 "$(wc -c <"$T.out")"
	assertEquals "nothing created for: $*" "" "$(ls -A "$T")"
	ERR=$(cat "$T.err")
	rm -f "$T.out" "$T.err"
}

test_no_arguments() {
	bad_usage
	assertContains "$ERR" "missing --copy-path"
}

test_unknown_long_option() {
	bad_usage --copy-path "$T/d/x" --bogus
	assertContains "$ERR" "unknown option '--bogus'"
}

test_unknown_short_option() {
	bad_usage -x -c "$T/d/x"
	assertContains "$ERR" "unknown option '-x'"
}

test_copy_path_without_value() {
	bad_usage --copy-path
	assertContains "$ERR" "missing argument"
	bad_usage -c
	assertContains "$ERR" "missing argument"
}

test_empty_copy_path() {
	bad_usage --copy-path=
	assertContains "$ERR" "needs a path"
	bad_usage -c ""
}

test_stray_operand() {
	bad_usage -c "$T/d/x" extra
	assertContains "$ERR" "unexpected argument 'extra'"
}

test_option_that_takes_no_value() {
	bad_usage --no-op=1
	bad_usage -c "$T/d/x" --manage=yes
}

test_manage_dir_needs_manage_and_an_existing_directory() {
	bad_usage -c "$T/d/x" --manage-dir "$TETHER_ROOT"
	assertContains "$ERR" "--manage-dir DIR needs --manage"
	bad_usage -c "$T/d/x" --manage --manage-dir ""
	assertContains "$ERR" "--manage-dir needs a directory"
	bad_usage -c "$T/d/x" --manage --manage-dir
	assertContains "$ERR" "missing argument"
	# Found before dirname(PATH) is created: nothing is left behind.
	bad_usage -c "$T/d/x" --manage --manage-dir "$T/missing"
	assertContains "$ERR" "--manage-dir $T/missing: No such file or directory (ENOENT)"
	bad_usage -c "$T/d/x" --manage --manage-dir "$CD"
	assertContains "$ERR" "(ENOTDIR)"
}

test_bad_log_format() {
	bad_usage -c "$T/d/x" --log-format xml
	assertContains "$ERR" "json or text"
}

test_path_longer_than_path_max() {
	bad_usage -c "$T/$(printf 'a%.0s' $(seq 4100))"
	assertContains "$ERR" "longer than PATH_MAX"
}

test_no_op_touches_nothing() {
	"$CD" --no-op -c "$T/d/x" >"$T.out" 2>&1
	assertEquals 0 $?
	assertEquals "" "$(ls -A "$T")"
	assertEquals 0 "$(wc -c <"$T.out")"
	"$CD" --no-op
	assertEquals "--no-op alone" 0 $?
	rm -f "$T.out"
}

test_no_op_order_like_getopt() {
	# KubeVirt's getopt loop exits at --no-op; options after it are not read.
	"$CD" --no-op --bogus 2>/dev/null
	assertEquals 0 $?
	"$CD" --bogus --no-op 2>/dev/null
	assertEquals 1 $?
}

test_help_and_version() {
	local out
	out=$("$CD" --help)
	assertEquals 0 $?
	assertContains "$out" "--copy-path"
	out=$("$CD" --version)
	assertEquals 0 $?
	assertContains "$out" "container-disk"
}

# Each spelling listens on exactly P.sock and creates nothing else.
check_spelling() {
	local dir=$T/$1
	shift
	start_holder h "$@"
	assertTrue "listening with: $*" $?
	assertEquals "only the socket, with: $*" "x.sock" "$(ls -A "$dir")"
	assertTrue "a socket" "[ -S '$dir/x.sock' ]"
	assertEquals "ok 1 failed 0" "$("$SC" "$dir/x.sock")"
	kill -TERM "$HOLDER"
	wait_rc "$HOLDER"
	assertEquals 0 "$RC"
	assertEquals "removed on exit" "" "$(ls -A "$dir")"
}

test_copy_path_spellings() {
	check_spelling a --copy-path "$T/a/x"
	check_spelling b -c "$T/b/x"
	check_spelling c --copy-path="$T/c/x"
	check_spelling d -c"$T/d/x"
	# the last one wins, with no trace of the first
	check_spelling e -c "$T/e/first-and-longer" -c "$T/e/x"
}

test_relative_path() {
	(cd "$T" && exec "$CD" -c rel 2>"$T/h.log") &
	HOLDER=$!
	PIDS+=("$HOLDER")
	wait_for_line "$T/h.log" '"listening on' 5
	assertTrue "[ -S '$T/rel.sock' ]"
}

test_creates_one_directory_level() {
	start_holder h -c "$T/new/x"
	assertTrue "[ -d '$T/new' ] && [ -S '$T/new/x.sock' ]"
}

test_missing_grandparent_is_an_error() {
	"$CD" -c "$T/no/such/x" 2>"$T.err"
	assertEquals 1 $?
	assertEquals 1 "$(wc -l <"$T.err")"
	assertContains "$(cat "$T.err")" "$T/no"
	assertEquals "" "$(ls -A "$T")"
	rm -f "$T.err"
}

test_parent_is_a_file() {
	: >"$T/file"
	"$CD" -c "$T/file/x" 2>"$T/err"
	assertEquals 1 $?
	assertContains "$(cat "$T/err")" "ENOTDIR"
}

# long_path LEN: a path of exactly LEN characters under $T/lLEN whose
# last directory does not exist yet (the holder creates it).
long_path() {
	local p=$T/l$1
	while [ $(($1 - ${#p})) -gt 200 ]; do
		p=$p/$(printf 'd%.0s' $(seq 99))
	done
	mkdir -p "$p"
	p=$p/new
	local rest=$(($1 - ${#p} - 1))
	if [ "$rest" -gt 100 ]; then
		p=$p$(printf 'e%.0s' $(seq $((rest - 100))))
		rest=100
	fi
	echo "$p/$(printf 'p%.0s' $(seq "$rest"))"
}

test_long_paths() {
	# KubeVirt stops at 102 characters; sun_path holds 107.  Both sides
	# of both limits must work, with the socket at exactly P.sock.
	local len p name
	for len in 102 103 110 200 1000 4000; do
		p=$(long_path $len)
		assertEquals "${#p}" "$len"
		start_holder "l$len" -c "$p"
		assertTrue "listening at $len" $?
		name=$(basename "$p").sock
		assertEquals "$name" "$(ls -A "$(dirname "$p")")"
		assertEquals "ok 3 failed 0" "$("$SC" "$p.sock" 3)"
		assertEquals "$HOLDER" "$("$SC" -p "$p.sock")"
		"$SC" -r "$p.sock" "$HOLDER" >/dev/null
		wait_rc "$HOLDER"
		assertEquals "exit after removal at $len" 0 "$RC"
	done
}

test_name_longer_than_name_max() {
	"$CD" -c "$T/$(printf 'n%.0s' $(seq 300))" 2>"$T/err"
	assertEquals 1 $?
	assertContains "$(cat "$T/err")" "ENAMETOOLONG"
}

test_non_socket_file_is_never_unlinked() {
	mkdir "$T/d"
	echo precious >"$T/d/x.sock"
	"$CD" -c "$T/d/x" 2>"$T/err"
	assertEquals 1 $?
	assertEquals 1 "$(wc -l <"$T/err")"
	assertContains "$(cat "$T/err")" "not a socket"
	assertEquals precious "$(cat "$T/d/x.sock")"
	mkfifo "$T/d/y.sock"
	"$CD" -c "$T/d/y" 2>/dev/null
	assertEquals 1 $?
	assertTrue "fifo kept" "[ -p '$T/d/y.sock' ]"
	ln -s /etc/hostname "$T/d/z.sock"
	"$CD" -c "$T/d/z" 2>/dev/null
	assertEquals 1 $?
	assertTrue "symlink kept" "[ -L '$T/d/z.sock' ]"
}

test_stale_socket_is_replaced() {
	local first
	start_holder a -c "$T/d/x"
	first=$HOLDER
	kill -KILL "$first"
	wait "$first" 2>/dev/null
	assertTrue "stale socket left by SIGKILL" "[ -S '$T/d/x.sock' ]"
	start_holder b -c "$T/d/x"
	assertTrue "restarted over its stale socket" $?
	assertEquals "$HOLDER" "$("$SC" -p "$T/d/x.sock")"
}

test_live_socket_is_not_stolen() {
	local first
	start_holder a -c "$T/d/x"
	first=$HOLDER
	"$CD" -c "$T/d/x" 2>"$T/err"
	assertEquals 1 $?
	assertContains "$(cat "$T/err")" "another process listens"
	assertTrue "first holder alive" "alive $first"
	assertEquals "$first" "$("$SC" -p "$T/d/x.sock")"
}

# audit-2 R4: the old holder is alive but accepts nothing (stopped, its
# queue full).  The check of its socket must not wait on it: one line,
# exit 1 at once, the socket left to its owner (a blocking connect hung
# the new holder for ever, deaf to SIGTERM).
test_wedged_holder_is_refused_at_once() {
	local first t0 ms
	start_holder a -c "$T/d/x"
	first=$HOLDER
	wedge "$first" "$T/d/x.sock" || return 0
	t0=$(date +%s%N)
	timeout -s KILL "$(slow 10)" "$CD" -c "$T/d/x" 2>"$T/err"
	assertEquals "exit code (137: killed after 10 s)" 1 $?
	ms=$((($(date +%s%N) - t0) / 1000000))
	assertEquals "one line" 1 "$(wc -l <"$T/err")"
	assertContains "$(cat "$T/err")" "listen $T/d/x.sock: another process listens there and accepts nothing (its queue is full)"
	# With the start of a holder (a sanitizer build's too): a check that
	# waited for room even 1 s would fail.
	assertTrue "at once (took $ms ms)" "[ $ms -lt $(slow 500) ]"
	kill -KILL "${PIDS[-1]}"
	kill -CONT "$first"
	assertEquals "the old holder still owns it" "$first" "$(timeout 5 "$SC" -p "$T/d/x.sock")"
}

. "$TETHER_ROOT/tests/lib/run.sh"
