#!/bin/bash
# Read-only root without podman (the podman --read-only pod run belongs to
# issue 5): a private mount namespace chroots into a read-only bind mount
# of /, with tmpfs "emptyDirs" on /run (= /var/run), /var/log,
# /etc/libvirt, /var/lib/libvirt, /var/cache/libvirt and /tmp, and /mnt
# standing in for kubelet's termination-log bind mount.  The daemons are
# fakes; every path is tether-supervise's default.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/lib.sh"

suite_setUp() {
	mkdir -p "$T/root" "$T/out/bin" "$T/out/seed"
	# Copies, not links into the build tree: the chroot hides /tmp under
	# a tmpfs emptyDir, and the tree may live there (a CI clone).
	cp "$SUP" "$T/out/bin/tether-supervise"
	cp "$FAKE" "$T/out/bin/fakedaemon"
	for n in virtlogd virtqemud main; do ln -s fakedaemon "$T/out/bin/$n"; done
	echo 'seeded = 1' >"$T/out/seed/virtlogd.conf"
	UNSHARE_PID=
}

suite_tearDown() {
	local sup
	[ -n "$UNSHARE_PID" ] && sup=$(pgrep -P "$UNSHARE_PID") && kill -KILL "$sup" 2>/dev/null
	[ -n "$UNSHARE_PID" ] && wait "$UNSHARE_PID" 2>/dev/null
}

# run_ro [SETPRIV-ARGS...]: starts the stack in the read-only root.
run_ro() {
	local uid=${1:-0}
	chown -R "$uid:$uid" "$T/out"
	cat >"$T/inner.sh" <<EOS
set -e
R=$T/root
mount --bind / \$R
mount -o remount,bind,ro \$R
mount --rbind /dev \$R/dev
mount -t proc proc \$R/proc
for d in /run /var/log /etc/libvirt /var/lib/libvirt /var/cache/libvirt /tmp; do
	mount -t tmpfs -o uid=$uid,gid=$uid tmpfs \$R\$d
done
mount --bind $T/out \$R/mnt
export FAKE_DIR=/mnt FAKE_SOCK_virtlogd=/var/run/libvirt/virtlogd-sock
export FAKE_SOCK_virtqemud=/var/run/libvirt/virtqemud-sock FAKE_WRITE_main=/var/run/libvirt/virtqemud.conf
exec chroot \$R setpriv --reuid=$uid --regid=$uid --clear-groups \
	/mnt/bin/tether-supervise --virtlogd /mnt/bin/virtlogd --virtqemud /mnt/bin/virtqemud \
	--seed-from /mnt/seed --termination-log /mnt/tl -- /mnt/bin/main
EOS
	unshare --mount --pid --fork --mount-proc bash "$T/inner.sh" 2>"$T/log" &
	UNSHARE_PID=$!
}

check_run() {
	wait_log "$T/log" 'virtqemud is ready' || fail "not ready: $(tail -3 "$T/log")"
	assertEquals "seeded config used" "-f,/etc/libvirt/virtlogd.conf,--no-admin-srv" "$(sed -n 's/^start .*argv=\([^ ]*\).*/\1/p' "$T/out/virtlogd.log")"
	# Sent from outside through the container's root (a client inside
	# would run in another PID namespace than the chroot's /proc, which a
	# sanitizer build cannot live with); /run, as /var/run is a symlink
	# that would resolve in our root.
	echo '{"event":"SHUTDOWN","data":{"guest":true,"reason":"guest-shutdown"}}' |
		send_each "/proc/$(pgrep -P "$UNSHARE_PID")/root/run/kubevirt-private/tether-events.sock" >"$T/answer"
	assertEquals "event accepted" ok "$(cat "$T/answer")"
	kill -TERM "$(pgrep -P "$UNSHARE_PID")"
	wait "$UNSHARE_PID"
	assertEquals "exit code" 0 $?
	UNSHARE_PID=
	assertFalse "no error logged" "grep -q '\"level\":\"error\"' '$T/log'"
	assertEquals '{"event":"SHUTDOWN","details":"{\"guest\":true,\"reason\":\"guest-shutdown\"}"}' "$(cat "$T/out/tl")"
}

test_read_only_root_as_root() {
	run_ro 0
	check_run
}

test_read_only_root_as_uid_107() {
	run_ro 107
	check_run
	assertEquals "daemons ran as 107" 107 "$(stat -c %u "$T/out/virtqemud.log")"
	assertTrue "no capability: warned" "grep -q 'CAP_NET_BIND_SERVICE is not in the permitted set' '$T/log'"
}

. "$TETHER_ROOT/tests/lib/run.sh"
