#!/bin/bash
# tether-enter as KubeVirt's virtiofs dispatcher (PR #14115): the command
# line virt-handler sends, from a caller shaped like virt-handler (its own
# mount namespace, the host's PIDs, no cgroupfs of its own), into a
# virtiofs container whose root may be read-only.
. "$(dirname "$0")/../lib/common.sh"
. "$TETHER_ROOT/tests/virtiofs/lib.sh"

# KubeVirt names both sockets after the volume: the placeholder's
# (start_container's $T/run/ph.sock) and virtiofsd's; the dispatcher
# checks that they match (a hard link to another container's socket
# would not).
VFS_SOCK=/var/run/kubevirt/virtiofs-containers/ph.sock

suite_setUp() {
	chmod 755 "$T"
	ln -s "$ENTER" "$T/virtiofs-dispatcher"
	# The virtiofs container's image: its virtiofsd at the default path.
	VFS_IMAGE="mount -t tmpfs -o mode=755 tmpfs /usr/libexec && cp $FAKE /usr/libexec/virtiofsd"
}

suite_tearDown() {
	stop_container
}

# KubeVirt's argv, as the fake virtiofsd printed it on the container's
# stdout (the dispatcher passes no environment, so no FAKE_RECORD).
kubevirt_argv() {
	printf 'argv %s\n' /usr/libexec/virtiofsd --socket-path "$VFS_SOCK" --shared-dir /vol \
		--cache auto --sandbox chroot --modcaps=+dac_read_search:-mknod --inode-file-handles=prefer \
		--migration-mode=file-handles --migration-on-error=guest-error \
		--translate-uid=squash-guest:0:107:4294967295 --translate-gid=squash-guest:0:107:4294967295 --xattr
}

started() {
	wait_for_line "$T/ph.out" '^done' 5 && [ "$(grep ^argv "$T/ph.out")" = "$(kubevirt_argv)" ]
}

test_the_dispatchers_command_line() {
	CONTAINER_SETUP=$VFS_IMAGE start_container
	# Exactly what virt-handler runs (pkg/virt-handler/virtiofs/dispatcher.go).
	timeout -s KILL 30 "$T/virtiofs-dispatcher" --pid "$PH" --socket-path "$VFS_SOCK" \
		--shared-dir /vol 2>"$T/err"
	assertEquals "exit code" 0 $?
	assertTrue "virtiofsd with KubeVirt's argv" started
	assertContains "the flavour was asked" "$(cat "$T/err")" "is the Rust virtiofsd"
	assertTrue "registered" "grep -q 'virtiofsd registered' '$T/ph.err'"
}

test_tether_enter_with_the_dispatchers_arguments() {
	CONTAINER_SETUP=$VFS_IMAGE start_container
	timeout -s KILL 30 "$ENTER" --pid "$PH" --socket-path "$VFS_SOCK" --shared-dir /vol 2>"$T/err"
	assertEquals "exit code" 0 $?
	assertTrue "virtiofsd with KubeVirt's argv" started
}

test_a_socket_path_of_108_bytes_is_refused_before_anything() {
	CONTAINER_SETUP=$VFS_IMAGE start_container
	local long=/$(printf 's%.0s' $(seq 107)) out rc
	out=$("$T/virtiofs-dispatcher" --pid "$PH" --socket-path "$long" --shared-dir /vol 2>&1); rc=$?
	assertEquals "usage" 2 $rc
	assertContains "$out" "--socket-path takes an absolute path shorter than 108 bytes"
	assertEquals "nothing started" "" "$(pgrep -P "$PH")"
	assertEquals "nothing started" "" "$(pgrep -P "$PH")"
}

test_a_read_only_container_root() {
	# The virtiofs container's root is read-only: only the socket
	# directory is writable.  No lock in the container is needed.
	CONTAINER_SETUP="$VFS_IMAGE && mount --bind $T/run $T/run && mount -o remount,bind,ro / &&
		mount -t tmpfs -o ro,mode=755 tmpfs /run && ! touch /var/run/probe 2>/dev/null" start_container
	timeout -s KILL 30 "$ENTER" --pid "$PH" --virtiofsd --socket-path "$VFS_SOCK" --shared-dir /vol 2>"$T/err"
	assertEquals "exit code" 0 $?
	assertTrue "virtiofsd with KubeVirt's argv" started
}

# The virt-handler-like caller, inside a PID namespace of the test's own
# that plays the host (its PID 1, this script, is root and can be looked
# at through /proc/1, as the host's init can by virt-handler).
host_script() {
	cat <<'EOF_HOST'
. "$TETHER_ROOT/tests/lib/common.sh"
. "$TETHER_ROOT/tests/virtiofs/lib.sh"
CONTAINER_SETUP=$VFS_IMAGE start_container || exit 1
# virt-handler: its own mount namespace, without the host's cgroupfs.
unshare -m sh -c 'umount -R /sys/fs/cgroup && mount -t tmpfs tmpfs /sys/fs/cgroup &&
	! grep -q " - cgroup" /proc/self/mountinfo && exec "$@"' sh \
	"$T/virtiofs-dispatcher" --pid "$PH" --socket-path "$VFS_SOCK" --shared-dir /vol 2>"$T/err"
echo "rc $?"
wait_for_line "$T/ph.out" '^done' 5
f=$(pgrep -P "$PH" -f virtiofsd)
[ -n "$f" ] && [ "$(cat /proc/$f/cgroup)" = "$(cat /proc/$PH/cgroup)" ] && echo "cgroups same"
[ "$(readlink /proc/$f/ns/mnt)" = "$(readlink /proc/$PH/ns/mnt)" ] && echo "mnt same"
stop_container
EOF_HOST
}

test_from_a_virt_handler_like_container() {
	local out
	host_script >"$T/host.sh"
	out=$(T=$T VFS_IMAGE=$VFS_IMAGE VFS_SOCK=$VFS_SOCK TETHER_ROOT=$TETHER_ROOT \
		TETHER_BUILD=$TETHER_BUILD timeout -s KILL 60 unshare --pid --fork --mount-proc \
		bash "$T/host.sh" 2>"$T/host.err")
	assertContains "$out" "rc 0"
	assertContains "$out" "cgroups same"
	assertContains "$out" "mnt same"
	assertContains "found the cgroups through PID 1" "$(cat "$T/err")" \
		"no cgroup hierarchy is mounted here: using PID 1's, through /proc/1/root"
	assertTrue "virtiofsd with KubeVirt's argv" started
	[ "$out" = "${out%rc 0*}" ] && cat "$T/err" "$T/host.err"
	return 0
}

. "$TETHER_ROOT/tests/lib/run.sh"
