#!/bin/bash
# Every bad argument: one clear line, exit 2, nothing started or created.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/lib.sh"

suite_setUp() { fakes_setUp; }
suite_tearDown() { fakes_tearDown; }

# bad EXPECTED-TEXT ARGS...: exit 2, the text on stderr, MAIN not run and
# no event socket made.
bad() {
	local want=$1
	shift
	"$SUP" --event-socket "$T/ev.sock" --no-prepare --no-seed "$@" 2>"$T/err" >"$T/out"
	local rc=$?
	assertEquals "exit code for: $*" 2 $rc
	grep -qF -- "$want" "$T/err"
	assertTrue "message '$want' for: $* (got: $(cat "$T/err"))" $?
	assertEquals "one line for: $*" 1 "$(wc -l <"$T/err")"
	assertFalse "stdout empty for: $*" "[ -s '$T/out' ]"
	assertFalse "no socket for: $*" "[ -e '$T/ev.sock' ]"
	assertFalse "MAIN not run for: $*" "[ -e '$T/main.log' ]"
}

test_bad_arguments() {
	local M=("$T/bin/main")
	bad "no MAIN program"
	bad "no MAIN program" --
	bad "unknown option '--bogus'" --bogus -- "${M[@]}"
	bad "unknown option" -x -- "${M[@]}"
	bad "missing argument for '--grace'" --grace
	bad "--grace takes seconds" --grace -1 -- "${M[@]}"
	bad "--grace takes seconds" --grace 1.2345 -- "${M[@]}"
	bad "--grace takes seconds" --grace 3601 -- "${M[@]}"
	bad "--main-grace takes seconds" --main-grace x -- "${M[@]}"
	bad "--qemu-timeout takes seconds" --qemu-timeout '' -- "${M[@]}"
	bad "--backoff takes seconds" --backoff 61 -- "${M[@]}"
	bad "--backoff-max takes seconds" --backoff-max 1e3 -- "${M[@]}"
	bad "--backoff-max is below --backoff" --backoff 2 --backoff-max 1 -- "${M[@]}"
	bad "--crash-budget takes a count" --crash-budget 101 -- "${M[@]}"
	bad "--crash-budget takes a count" --crash-budget -1 -- "${M[@]}"
	bad "--crash-window must be positive" --crash-window 0 -- "${M[@]}"
	bad "--crash-window takes seconds" --crash-window 99999 -- "${M[@]}"
	bad "--auth-pid takes a pid" --auth-pid 0 -- "${M[@]}"
	bad "--auth-pid takes a pid" --auth-pid self -- "${M[@]}"
	bad "--virtlogd takes an absolute path" --virtlogd virtlogd -- "${M[@]}"
	bad "--virtqemud takes an absolute path" --virtqemud ./q -- "${M[@]}"
	bad "must be absolute" --virtqemud-conf rel.conf -- "${M[@]}"
	bad "must be absolute" --virtlogd-socket sock -- "${M[@]}"
	bad "--termination-log takes an absolute path" --termination-log tl -- "${M[@]}"
	bad "--event-socket takes an absolute path" --event-socket ev -- "${M[@]}"
	bad "--termination-log-max takes bytes" --termination-log-max 1023 -- "${M[@]}"
	bad "--termination-log-max takes bytes" --termination-log-max 2000000 -- "${M[@]}"
	bad "--cleanup-glob takes an absolute pattern" --cleanup-glob '*.sock' -- "${M[@]}"
	bad "wildcards in its last component only" --cleanup-glob '/var/*/x.sock' -- "${M[@]}"
	bad "--prepare-dir takes an absolute path" --prepare-dir var/run -- "${M[@]}"
	bad "--seed-from takes an absolute path" --seed-from init -- "${M[@]}"
	bad "--seed-to takes an absolute path" --seed-to etc -- "${M[@]}"
	bad "--log-format takes json or text" --log-format xml -- "${M[@]}"
	bad "--log-level takes error, warning, info or debug" --log-level loud -- "${M[@]}"
	bad "option takes no argument" --strict=yes -- "${M[@]}"
	bad "too many extra arguments" $(for i in $(seq 17); do echo --virtqemud-arg a; done) -- "${M[@]}"
	bad "too many --prepare-dir" $(for i in $(seq 17); do echo --prepare-dir /tmp/x$i; done) -- "${M[@]}"
	bad "--send-event needs the event's JSON" --send-event "$T/ev.sock"
	bad "--send-event takes one JSON argument" --send-event "$T/ev.sock" '{}' extra
}

# --log-level NAME shows that level's lines (info was NOTICE and hid
# every info line; debug was INFO: compat-audit-2 B1).
test_log_level_names() {
	: >"$T/run/virtlogd.conf"
	local opts=(--no-virtqemud --no-prepare --no-seed --no-cleanup --no-termination-log
		--log-format text --virtlogd "$T/bin/virtlogd" --virtlogd-conf "$T/run/virtlogd.conf"
		--virtlogd-socket "" --no-restricted-flags)
	"$SUP" "${opts[@]}" --log-level warning -- /bin/true 2>"$T/err"
	assertFalse "warning: no info line" "grep -q ': info: ' '$T/err'"
	"$SUP" "${opts[@]}" --log-level info -- /bin/true 2>"$T/err"
	assertTrue "info: the info lines ($(cat "$T/err"))" "grep -q ': info: started MAIN' '$T/err'"
	assertFalse "info: no debug line" "grep -q ': debug: ' '$T/err'"
	"$SUP" "${opts[@]}" --log-level debug -- /bin/true 2>"$T/err"
	assertTrue "debug: the debug lines ($(cat "$T/err"))" "grep -q ': debug: virtlogd: .* exists' '$T/err'"
	"$SUP" "${opts[@]}" -- /bin/true 2>"$T/err"
	assertTrue "the default is info" "grep -q ': info: started MAIN' '$T/err'"
	assertFalse "the default: no debug line" "grep -q ': debug: ' '$T/err'"
}

test_help_and_version() {
	"$SUP" --help >"$T/out" 2>"$T/err"
	assertEquals 0 $?
	assertTrue "usage on stdout" "grep -q '^usage: tether-supervise' '$T/out'"
	assertTrue "exit codes listed" "grep -q 'Exit codes' '$T/out'"
	assertFalse "stderr empty" "[ -s '$T/err' ]"
	assertEquals "tether-supervise $(cat "$TETHER_ROOT/VERSION")" "$("$SUP" --version)"
}

test_prepare_dir_not_writable() {
	mkdir -p "$T/ro"
	unshare --mount sh -c "mount --bind '$T/ro' '$T/ro' && mount -o remount,bind,ro '$T/ro' &&
		exec '$SUP' --no-seed --prepare-dir '$T/rw/a' --prepare-dir '$T/ro/libvirt' \
		--termination-log '$T/tl' --event-socket '$T/ev.sock' -- '$T/bin/main'" 2>"$T/err"
	assertEquals "exit code" 5 $?
	assertTrue "names the directory" "grep -q 'cannot create $T/ro/libvirt: .*EROFS' '$T/err'"
	assertFalse "MAIN not started" "[ -e '$T/main.log' ]"
	assertFalse "no socket" "[ -e '$T/ev.sock' ]"
	assertTrue "earlier dir made" "[ -d '$T/rw/a' ]"
	mkdir -p "$T/ro2/libvirt"
	unshare --mount sh -c "mount --bind '$T/ro2' '$T/ro2' && mount -o remount,bind,ro '$T/ro2' &&
		exec '$SUP' --no-seed --prepare-dir '$T/ro2/libvirt' --event-socket '$T/ev.sock' -- '$T/bin/main'" 2>"$T/err"
	assertEquals "exit code" 5 $?
	assertTrue "existing read-only dir named" "grep -q '$T/ro2/libvirt is not writable: .*EROFS' '$T/err'"
}

test_seeding() {
	mkdir -p "$T/init/qemu/networks" "$T/etc"
	echo 'a = 1' >"$T/init/virtqemud.conf"
	echo net >"$T/init/qemu/networks/default.xml"
	chmod 600 "$T/init/virtqemud.conf"
	ln -s ../default.xml "$T/init/qemu/link"
	echo old >"$T/etc/virtqemud.conf"
	export FAKE_EXIT_main=0
	"$SUP" --no-virtlogd --no-virtqemud --no-termination-log --prepare-dir "$T/r/var/run/libvirt" \
		--prepare-dir "$T/r/var/lib/libvirt/qemu" --seed-from "$T/init" --seed-to "$T/etc" -- "$T/bin/main" 2>"$T/err"
	assertEquals 0 $?
	assertTrue "dirs made" "[ -d '$T/r/var/run/libvirt' ] && [ -d '$T/r/var/lib/libvirt/qemu' ]"
	assertEquals "file copied over the old" 'a = 1' "$(cat "$T/etc/virtqemud.conf")"
	assertEquals "mode kept" 600 "$(stat -c %a "$T/etc/virtqemud.conf")"
	assertEquals "subdir copied" net "$(cat "$T/etc/qemu/networks/default.xml")"
	assertEquals "symlink copied" ../default.xml "$(readlink "$T/etc/qemu/link")"
	"$SUP" --no-virtlogd --no-virtqemud --no-termination-log --no-prepare --seed-from "$T/none" \
		--seed-to "$T/etc2" -- "$T/bin/main" 2>"$T/err"
	assertEquals "a missing seed is not an error" 0 $?
	assertFalse "[ -e '$T/etc2' ]"
}

. "$TETHER_ROOT/tests/lib/run.sh"
