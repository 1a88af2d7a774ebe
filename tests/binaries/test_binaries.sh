#!/bin/bash
# What the project promises about the binaries `make` builds: each one is
# static, built with musl, and within its size budget (the file `sizes`).
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

# One test per binary in sizes (shunit2 finds only literal test_ names in
# the file, so these are handed to it through suite()).
suite() {
	local b
	suite_addTest test_every_binary_has_a_budget
	for b in $(awk '!/^#/ && NF { print $1 }' "$SIZES"); do
		eval "test_${b//-/_}() { check_binary $b; }"
		suite_addTest "test_${b//-/_}"
	done
}

. "$TETHER_ROOT/tests/lib/run.sh"
