#!/bin/bash
# The Makefile's promises: a plain `make` never installs (it stops in one
# line naming what to run), `make deps` is what installs; the kernel-header
# link dir (build/kinc) is repaired whatever state it was left in; `make
# clean` clears a build a make left half-done.  Each test works on a copy
# of the source tree under $T, never on $TETHER_ROOT's build/.
. "$(dirname "$0")/../lib/common.sh"

suite_setUp() {
	mkdir "$T/src"
	tar -C "$TETHER_ROOT" --exclude=./build --exclude=./.git -cf - . | tar -C "$T/src" -xf -
}

# no_musl: $T/bin, a PATH with every command of /usr/bin and /usr/sbin but
# musl-gcc, and an apt-get that only records its calls in $T/apt.
no_musl() {
	mkdir "$T/bin"
	cp -s -n /usr/bin/* /usr/sbin/* "$T/bin/" 2>/dev/null
	rm -f "$T/bin/musl-gcc" "$T/bin/"*-linux-musl-gcc "$T/bin/apt-get"
	printf '#!/bin/sh\necho "apt-get $*" >>%s/apt\n[ "$1" = update ]\n' "$T" >"$T/bin/apt-get"
	chmod +x "$T/bin/apt-get"
	! PATH=$T/bin command -v musl-gcc >/dev/null
}

mk() { make -C "$T/src" --no-print-directory "$@"; }

test_without_musl_gcc_make_installs_nothing_and_says_what_to_run() {
	no_musl || fail "musl-gcc still on the PATH"
	local goal rc
	for goal in "" all check; do
		PATH=$T/bin mk $goal >"$T/out" 2>"$T/err"
		rc=$?
		assertEquals "make $goal: code" 2 $rc
		assertEquals "make $goal: one line ($(cat "$T/err"))" 1 "$(wc -l <"$T/err")"
		assertContains "make $goal: names it" "$(cat "$T/err")" "the build lacks musl-gcc (musl-tools)"
		assertContains "make $goal: what to run" "$(cat "$T/err")" "run 'make deps' as root"
	done
	assertFalse "apt-get never ran: $(cat "$T/apt" 2>/dev/null)" "[ -e '$T/apt' ]"
	assertFalse "nothing built" "[ -e '$T/src/build' ]"
}

test_make_deps_is_what_installs() {
	no_musl || fail "musl-gcc still on the PATH"
	PATH=$T/bin mk deps >"$T/out" 2>&1
	assertTrue "apt-get was asked for musl-tools: $(cat "$T/apt" 2>/dev/null)" "grep -q '^apt-get install .*musl-tools' '$T/apt'"
}

# caps.o includes <linux/capability.h>, hence asm/types.h through kinc.
caps_o() {
	rm -f "$T/src/build/lib/caps.o"
	mk build/lib/caps.o >"$T/out" 2>&1
}

kinc_right() {
	local l ma
	ma=$(gcc -print-multiarch)
	[ "$(readlink "$T/src/build/kinc/linux")" = /usr/include/linux ] &&
		[ "$(readlink "$T/src/build/kinc/asm-generic")" = /usr/include/asm-generic ] &&
		[ "$(readlink "$T/src/build/kinc/asm")" = "/usr/include/${ma:+$ma/}asm" ]
}

test_kinc_is_repaired_whatever_state_it_was_left_in() {
	caps_o
	assertTrue "first build: $(tail -3 "$T/out")" $?
	assertTrue "links made" kinc_right
	ln -sfn /nonexistent "$T/src/build/kinc/asm"
	caps_o
	assertTrue "a dangling link: $(tail -3 "$T/out")" $?
	assertTrue "dangling link replaced" kinc_right
	rm -rf "$T/src/build/kinc" && mkdir "$T/src/build/kinc"
	caps_o
	assertTrue "an empty dir (a make stopped after mkdir): $(tail -3 "$T/out")" $?
	assertTrue "empty dir filled" kinc_right
	ln -sfn /usr/include/asm-generic "$T/src/build/kinc/asm"
	caps_o
	assertTrue "a link to another asm/: $(tail -3 "$T/out")" $?
	assertTrue "stale link replaced" kinc_right
	rm -rf "$T/src/build/kinc" && echo junk >"$T/src/build/kinc"
	caps_o
	assertTrue "a file in its place: $(tail -3 "$T/out")" $?
	assertTrue "file replaced" kinc_right
	rm -rf "$T/src/build/kinc.new" && mkdir "$T/src/build/kinc.new"
	: >"$T/src/build/kinc.new/leftover"
	ln -sfn /nonexistent "$T/src/build/kinc/linux"
	caps_o
	assertTrue "a half-made kinc.new left over: $(tail -3 "$T/out")" $?
	assertTrue "repaired past it" kinc_right
}

test_another_multiarch_is_a_one_line_error_then_a_rebuild() {
	local rc before
	caps_o || fail "first build: $(tail -3 "$T/out")"
	before=$(stat -c %Y.%y "$T/src/build/lib/caps.o")
	mk MULTIARCH=no-such-arch build/lib/caps.o >"$T/out" 2>"$T/err"
	rc=$?
	assertNotEquals "code" 0 $rc
	assertContains "$(cat "$T/err")" "kernel headers: no /usr/include/no-such-arch/asm/ (multiarch 'no-such-arch'): run 'make deps'"
	assertTrue "kinc left as it was" kinc_right
	mk build/lib/caps.o >"$T/out" 2>&1
	assertTrue "back to this machine's: $(tail -3 "$T/out")" $?
	assertTrue "kinc right" kinc_right
	assertNotEquals "the object was rebuilt (cc.id names the headers)" "$before" "$(stat -c %Y.%y "$T/src/build/lib/caps.o")"
}

test_clean_after_an_interrupted_make() {
	setsid make -C "$T/src" -j2 >"$T/out" 2>&1 &
	local mk_pid=$!
	wait_for_line "$T/out" "musl-gcc .* -c -o build/" 60
	assertTrue "the make started compiling" $?
	kill -INT -- -"$mk_pid" 2>/dev/null
	wait "$mk_pid"
	assertTrue "a build dir left behind" "[ -d '$T/src/build' ]"
	mk clean >"$T/out" 2>&1
	assertTrue "make clean: $(cat "$T/out")" $?
	assertFalse "build/ gone" "[ -e '$T/src/build' ]"
	caps_o
	assertTrue "builds again: $(tail -3 "$T/out")" $?
	assertTrue "kinc right" kinc_right
	mkdir "$T/other" && echo keep >"$T/other/f"
	mk clean BUILD="$T/other" >"$T/out" 2>&1
	assertNotEquals "another BUILD that is no build dir: refused" 0 $?
	assertEquals "left alone" keep "$(cat "$T/other/f")"
	assertTrue "build/ with BUILD=elsewhere: untouched" "[ -e '$T/src/build/lib/caps.o' ]"
}

. "$TETHER_ROOT/tests/lib/run.sh"
