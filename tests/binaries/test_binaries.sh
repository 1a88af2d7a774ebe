#!/bin/bash
# What the project promises about the binaries `make` builds: each one is
# static, built with musl, hardened (the host's build), and within its size
# budget (sizes/<arch>, the architecture read from the binaries themselves),
# and container-disk's seccomp filter is for that architecture.  The builds
# of the other architectures (make ARCH=arm64: build/arm64/) found in the
# default build folder are checked too, as test_<arch>_...  A glibc build
# fails here, unless the build was asked for one (make CC=gcc; the compiler
# stamp build/cc.id says so), which is a skip that says why.
. "$(dirname "$0")/../lib/common.sh"

# elf_arch BIN: Debian's name of BIN's architecture, from its ELF header.
elf_arch() {
	case $(readelf -hW "$1" 2>/dev/null | sed -n 's/^ *Machine: *//p') in
	*X86-64*) echo amd64 ;;
	AArch64) echo arm64 ;;
	*S/390*) echo s390x ;;
	*) echo unknown ;;
	esac
}
# use_build DIR: the tests below check the binaries in DIR.
use_build() {
	B=$1
	CC_ID=$B/cc.id
	ARCH=$(elf_arch "$B/tether")
	SIZES=$TETHER_ROOT/sizes/$ARCH
}
use_build "$TETHER_BUILD"

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
	local bin=$B/$1 max size
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
	assertTrue "$1 is $size bytes, over its budget of $max (sizes/$ARCH)" "[ $size -le $max ]"
}

# Every role is of one architecture, one the project has budgets for.
check_every_binary_is_of_one_known_arch() {
	local b
	assertTrue "$B/tether is of a known architecture ($ARCH; sizes/ has $(ls "$TETHER_ROOT/sizes" | tr '\n' ' '))" "[ -r '$SIZES' ]"
	for b in $(sed -n 's/^BINS += //p' "$TETHER_ROOT"/*/build.mk); do
		assertEquals "$b's architecture" "$ARCH" "$(elf_arch "$B/$b")"
	done
}

# container-disk's filter (build/<arch>/gen/sockets_filter.h, made by
# lib/seccomp-gen) checks that architecture's AUDIT_ARCH first, and allows
# each listed call by the number the binary's own musl uses for it: a
# filter made with the build host's numbers or byte order would refuse
# container-disk's calls (or allow others) on the target.
check_seccomp_filter_is_for_the_binaries_arch() {
	local hdr=$B/gen/sockets_filter.h audit triplet nrs= name nr missing=
	case $ARCH in
	amd64) audit=0xc000003e triplet=x86_64-linux-musl ;;
	arm64) audit=0xc00000b7 triplet=aarch64-linux-musl ;;
	s390x) audit=0x80000016 triplet=s390x-linux-musl ;;
	*) fail "no AUDIT_ARCH known for $ARCH"; return ;;
	esac
	assertTrue "$hdr exists" "[ -r '$hdr' ]" || return
	# Instruction 2 compares the loaded arch: { 0x0015, jt, jf, K }.
	assertEquals "the filter's AUDIT_ARCH" "$audit" \
		"$(awk -F', *' '/^\t\{/ { n++ } n == 2 { sub(/ *\},?/, "", $4); print $4; exit }' "$hdr")"
	local sys=/usr/include/$triplet/bits/syscall.h
	if [ ! -r "$sys" ]; then
		skip_test "$sys is missing (musl-dev for $ARCH: tests/install-deps.sh arch)"
		return
	fi
	# The compared numbers: K of every jeq (0x0015), as decimals.
	for nr in $(awk -F', *' '$1 ~ /0x0015/ { sub(/ *\},?/, "", $4); print $4 }' "$hdr"); do
		nrs+=" $((nr))"
	done
	nrs+=" "
	for name in $(sed 's/#.*//' "$TETHER_ROOT/sockets/seccomp.list"); do
		nr=$(awk -v n="__NR_$name" '$1 == "#define" && $2 == n { print $3 }' "$sys")
		[ -n "$nr" ] || continue # not a call of this architecture
		[[ "$nrs" == *" $nr "* ]] || missing+=" $name($nr)"
	done
	assertEquals "calls of sockets/seccomp.list the $ARCH filter does not allow by their $ARCH number" "" "$missing"
}

check_every_binary_has_a_budget() {
	local b
	for b in $(sed -n 's/^BINS += //p' "$TETHER_ROOT"/*/build.mk); do
		assertNotNull "$b has a line in sizes/$ARCH" "$(budget "$b")"
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
# add_tests DIR PREFIX: every test for the build in DIR, named PREFIX...
add_tests() {
	local b t dir=$1 prefix=$2
	use_build "$dir"
	for t in every_binary_is_of_one_known_arch seccomp_filter_is_for_the_binaries_arch \
		every_binary_has_a_budget; do
		eval "test_$prefix$t() { use_build '$dir'; check_$t; }"
		suite_addTest "test_$prefix$t"
	done
	for b in $(awk '!/^#/ && NF { print $1 }' "$SIZES" 2>/dev/null); do
		eval "test_$prefix${b//-/_}() { use_build '$dir'; check_binary $b; }"
		suite_addTest "test_$prefix${b//-/_}"
	done
}
suite() {
	local a
	add_tests "$TETHER_BUILD" ""
	suite_addTest test_every_role_is_hardened
	if [ "$(realpath "$TETHER_BUILD")" = "$(realpath "$TETHER_ROOT/build")" ]; then
		for a in $(ls "$TETHER_ROOT/sizes"); do
			[ -x "$TETHER_BUILD/$a/tether" ] && add_tests "$TETHER_BUILD/$a" "${a}_"
		done
	fi
}

. "$TETHER_ROOT/tests/lib/run.sh"
