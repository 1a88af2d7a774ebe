#!/bin/bash
# images/assemble-rootfs.sh copies host programs with their shared libraries into a root that
# works on its own: with chroot, and as a FROM-scratch image for Debian's libvirt daemons.
#
# Runs alone (bash tests/images/test_assemble_rootfs.sh) or under tests/run when tests/lib exists.

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
if [ -f "$ROOT/tests/lib/common.sh" ]; then
	. "$ROOT/tests/lib/common.sh"
else
	setUp() { T=$(mktemp -d /tmp/tether-test.XXXXXX); }
	tearDown() { rm -rf "$T"; }
	skip_test() { echo "SKIP: $1"; startSkipping; }
fi
. "$ROOT/images/lib.sh"

ASSEMBLE=$ROOT/images/assemble-rootfs.sh
IMAGE=localhost/tether-test-libvirt:latest
LIBVIRT_MODULE=/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so

test_a_program_runs_in_its_root() {
	"$ASSEMBLE" "$T/root" /usr/bin/true || fail "assemble failed"
	assertTrue "true runs under chroot" "chroot '$T/root' /usr/bin/true"
	assertTrue "the loader is there" "[ -e '$T/root/lib64/ld-linux-x86-64.so.2' ]"
}

test_links_stay_links_and_point_inside() {
	local link target
	"$ASSEMBLE" "$T/root" /usr/bin/true || fail "assemble failed"
	while read -r link; do
		target=$(readlink "$link")
		assertEquals "$link is relative" "${target#/}" "$target"
		assertTrue "$link resolves" "[ -e '$link' ]"
	done < <(find "$T/root" -type l)
	[ -L /lib ] && assertTrue "/lib is a link as on the host" "[ -L '$T/root/lib' ]"
}

test_dlopen_modules_bring_their_libraries() {
	[ -f "$LIBVIRT_MODULE" ] || { skip_test "libvirt-daemon is not installed"; return; }
	"$ASSEMBLE" "$T/root" "$LIBVIRT_MODULE" /usr/share/libvirt/cpu_map || fail "assemble failed"
	assertTrue "the module" "[ -f '$T/root$LIBVIRT_MODULE' ]"
	assertTrue "libvirt.so.0 it links to" "[ -e '$T/root/usr/lib/x86_64-linux-gnu/libvirt.so.0' ]"
	assertTrue "a data directory, whole" "[ -f '$T/root/usr/share/libvirt/cpu_map/index.xml' ]"
}

test_bad_arguments_are_refused() {
	local out
	out=$("$ASSEMBLE" "$T/root" 2>&1)
	assertEquals "no path: usage" 2 $?
	assertContains "$out" "usage:"
	out=$("$ASSEMBLE" "$T/root" usr/bin/true 2>&1)
	assertEquals "relative path" 2 $?
	assertContains "$out" "absolute"
	out=$("$ASSEMBLE" "$T/root" /nonexistent/file 2>&1)
	assertNotEquals "missing file" 0 $?
	assertContains "$out" "/nonexistent/file: no such file"
}

test_libvirt_daemons_run_from_scratch() {
	local reason b out
	if [ ! -x /usr/sbin/libvirtd ] || [ ! -x /usr/sbin/virtlogd ]; then
		skip_test "libvirt-daemon is not installed"
		return
	fi
	img_env
	if reason=$(img_unavailable_reason); then
		skip_test "$reason"
		return
	fi
	"$ASSEMBLE" "$T/rootfs" /usr/sbin/libvirtd /usr/sbin/virtlogd || fail "assemble failed"
	printf 'FROM scratch\nCOPY rootfs/ /\n' >"$T/Containerfile"
	img_build "$IMAGE" "$T" || fail "image build failed"
	for b in libvirtd virtlogd; do
		out=$(podman run --rm "$IMAGE" /usr/sbin/$b --version 2>&1)
		assertEquals "$b --version in the container" 0 $?
		assertContains "$out" "/usr/sbin/$b (libvirt) "
	done
	img_rm "$IMAGE"
}

if [ -f "$ROOT/tests/lib/run.sh" ]; then
	. "$ROOT/tests/lib/run.sh"
else
	# shellcheck disable=SC2034 # read by shunit2
	SHUNIT_COLOR=none
	. /usr/bin/shunit2
fi
