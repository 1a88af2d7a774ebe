#!/bin/bash
# What the project promises about the binaries `make` builds: each one is
# static, built with musl, hardened, and within its size budget (the file
# `sizes`).
# A glibc build fails here, unless the build was asked for one (make CC=gcc;
# the compiler stamp build/cc.id says so), which is a skip that says why.
. "$(dirname "$0")/../lib/common.sh"

SIZES=$TETHER_ROOT/sizes
CC_ID=$TETHER_BUILD/cc.id

budget() {
	awk -v b="$1" '$1 == b { print $2 }' "$SIZES"
}

# static BIN: no interpreter and no dynamic section.
static() {
	! readelf -lW "$1" | grep -qE '^ +(INTERP|DYNAMIC) '
}

# musl BIN: none of glibc's marks (its ABI note, "for GNU/Linux" in file's
# words), and musl's own strerror text, which glibc does not have.
glibc_marked() {
	readelf -SW "$1" | grep -q '\.note\.ABI-tag' || grep -qa 'GNU C Library' "$1"
}
musl_marked() {
	grep -qa 'No error information' "$1"
}

# glibc_asked: the stamp says the compiler was named by the user (on make's
# command line or in the environment) and is not musl-gcc.
glibc_asked() {
	[ -r "$CC_ID" ] || return 1
	grep -qE '^origin (command line|environment)' "$CC_ID" && ! grep -q '^cc .*musl' "$CC_ID"
}

check_binary() {
	local bin=$TETHER_BUILD/$1 max size
	max=$(budget "$1")
	assertTrue "$bin exists" "[ -x '$bin' ]" || return
	assertTrue "$1 is static" "static '$bin'"
	if ! musl_marked "$bin" || glibc_marked "$bin"; then
		if glibc_asked; then
			skip_test "$1 is not a musl build, as asked: $(sed -n 's/^cc //p' "$CC_ID") named on make's $(sed -n 's/^origin //p' "$CC_ID") (the musl and size checks need the default musl-gcc)"
			return
		fi
		fail "$1 is not built with musl ($(file -b "$bin")); the build stamp $CC_ID says: $(tr '\n' ';' <"$CC_ID" 2>/dev/null || echo missing)"
		return
	fi
	size=$(stat -c %s "$bin")
	assertTrue "$1 is $size bytes, over its budget of $max (sizes)" "[ $size -le $max ]"
}

test_every_binary_has_a_budget() {
	local b
	for b in $(sed -n 's/^BINS += //p' "$TETHER_ROOT"/*/build.mk); do
		assertNotNull "$b has a line in sizes" "$(budget "$b")"
	done
}

# Every role is built with the stack protector and buffer-size checks
# (HARDEN in the Makefile): the flags are in the build stamp, each role's
# objects call the protector, and each stripped binary reads the canary
# (%fs:0x28) in its functions: measured 113 to 213 reads hardened, 19 to
# 43 (its libc's alone) built with HARDEN=-fno-stack-protector.
test_every_role_is_hardened() {
	local cflags dir o b n
	[ -r "$CC_ID" ] || { fail "no build stamp $CC_ID"; return; }
	cflags=$(sed -n 's/^cflags //p' "$CC_ID")
	assertContains "stack protector in the flags" "$cflags" "-fstack-protector-strong"
	if grep -q '^cc .*musl' "$CC_ID"; then
		assertContains "musl: lib/fortify.h in the flags" "$cflags" "-include lib/fortify.h"
	else
		assertContains "glibc: _FORTIFY_SOURCE in the flags" "$cflags" "-D_FORTIFY_SOURCE=2"
	fi
	for dir in lib init sockets supervisor cgroup; do
		n=0
		for o in "$TETHER_BUILD/$dir"/*.o; do
			nm -u "$o" 2>/dev/null | grep -q __stack_chk_fail && n=$((n + 1))
		done
		assertTrue "$dir/: objects that call the stack protector: $n" "[ $n -ge 1 ]"
	done
	for b in tether container-disk tether-enter tether-supervise; do
		nm "$TETHER_BUILD/$b" 2>&1 | grep -q 'no symbols' || continue	# unstripped: the objects said it
		n=$(objdump -d "$TETHER_BUILD/$b" | grep -c '%fs:0x28')
		assertTrue "$b: canary reads $n" "[ $n -ge 100 ]"
	done
}

# One test per binary in sizes (shunit2 finds only literal test_ names in
# the file, so these are handed to it through suite()).
suite() {
	local b
	suite_addTest test_every_binary_has_a_budget
	suite_addTest test_every_role_is_hardened
	for b in $(awk '!/^#/ && NF { print $1 }' "$SIZES"); do
		eval "test_${b//-/_}() { check_binary $b; }"
		suite_addTest "test_${b//-/_}"
	done
}

. "$TETHER_ROOT/tests/lib/run.sh"
