#!/bin/bash
# tether-enter runs as root on the host: it is built with the stack
# protector and buffer-size checks (as every role is: HARDEN in the
# Makefile; tests/binaries checks the others).  Shown here on the
# binary and its objects, and by a helper built with the same flags whose
# overflowing calls must trap.
. "$(dirname "$0")/../lib/common.sh"

ENTER=$TETHER_BUILD/tether-enter
TRAP=$TETHER_BUILD/helpers/fortify_trap

stripped() {
	nm "$1" 2>&1 | grep -q 'no symbols'
}

# missing_or_check O: O calls the stack protector, or is added to $missing.
missing_or_check() {
	[ -e "$1" ] || { missing="$missing $1"; return; }
	assertTrue "$1 calls __stack_chk_fail" "nm -u '$1' | grep -q __stack_chk_fail"
}

test_the_objects_call_the_stack_protector() {
	local o missing=
	local c
	# Every source of tether-enter (a file it no longer has is no object to
	# look for), and the lib/ pieces it links.
	for c in "$TETHER_ROOT"/cgroup/*.c; do
		o=$(basename "$c" .c)
		missing_or_check "$TETHER_BUILD/cgroup/$o.o"
	done
	for o in "$TETHER_BUILD"/lib/{buf,fd,log,fdpass,vfsreg}.o; do
		missing_or_check "$o"
	done
	assertEquals "objects found" "" "$missing"
}

test_the_binary_has_the_stack_protector() {
	if ! stripped "$ENTER"; then
		assertTrue "__stack_chk_fail referenced" "nm '$ENTER' | grep -q __stack_chk_fail"
		return 0
	fi
	# Stripped: every function with a local array reads the canary at
	# %fs:0x28.  Built without the protector, a binary has only its libc's
	# (19 to 43 in the four binaries; tether-enter with it: 151).
	local enter
	enter=$(objdump -d "$ENTER" | grep -c '%fs:0x28')
	assertTrue "canary reads: tether-enter $enter" "[ $enter -ge 100 ]"
}

test_glibc_builds_use_fortify() {
	stripped "$ENTER" && { skip_test "a stripped (musl) build: see the trap test"; return; }
	nm "$ENTER" | grep -q 'GLIBC' || { skip_test "not a glibc build"; return; }
	assertTrue "__read_chk or __memcpy_chk referenced" "nm '$ENTER' | grep -Eq '__(read|memcpy|recv)_chk'"
}

test_an_overflowing_call_traps() {
	local call out rc
	for call in memcpy memmove memset read recv readlinkat; do
		out=$("$TRAP" $call 8 2>&1)
		assertEquals "$call of 8 bytes into 8" "returned" "$out"
		out=$("$TRAP" $call 9 2>&1); rc=$?
		assertNotContains "$call of 9 bytes into 8 must not return" "$out" "returned"
		# SIGILL (lib/fortify.h), SIGABRT (glibc), or ASan's report (1).
		assertTrue "$call: stopped ($rc)" "[ $rc = 132 -o $rc = 134 -o $rc = 1 ]"
	done
}

. "$TETHER_ROOT/tests/lib/run.sh"
