#!/bin/bash
# The real virtlogd and libvirtd (standing in for virtqemud: Debian's
# libvirt 9.0 has no modular daemons) under tether-supervise as PID 1 of a
# private PID, mount and network namespace, with tmpfs on /run, /var/log,
# /var/lib/libvirt, /var/cache/libvirt and /etc/libvirt (seeded).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/lib.sh"

suite_setUp() {
	[ -x /usr/sbin/libvirtd ] && [ -x /usr/sbin/virtlogd ] || { skip_test "libvirt daemons not installed"; return; }
	mkdir -p "$T/seed"
	: >"$T/seed/virtlogd.conf"
	ln -s "$FAKE" "$T/main"
	UNSHARE_PID=
}

suite_tearDown() {
	# Killing PID 1 of the namespace kills everything in it.
	local sup
	sup=$(sup_host_pid)
	[ -n "$sup" ] && kill -KILL "$sup" 2>/dev/null
	[ -n "$UNSHARE_PID" ] && wait "$UNSHARE_PID" 2>/dev/null
	fakes_tearDown
}

sup_host_pid() { [ -n "$UNSHARE_PID" ] && pgrep -P "$UNSHARE_PID"; }

# start_stack [OPTIONS...]: MAIN (a fake) writes libvirtd's config, as
# virt-launcher writes virtqemud.conf; the daemons wait for it.
start_stack() {
	cat >"$T/inner.sh" <<EOS
set -e
for d in /run /var/log /var/lib/libvirt /var/cache/libvirt /etc/libvirt; do
	mount -t tmpfs tmpfs \$d
done
export FAKE_DIR=$T FAKE_WRITE_main=/run/libvirt/libvirtd.conf
exec $SUP --seed-from $T/seed --virtqemud /usr/sbin/libvirtd \
	--virtqemud-conf /run/libvirt/libvirtd.conf --virtqemud-socket /run/libvirt/libvirt-sock \
	--termination-log /run/tl --event-socket /run/ev.sock $* -- $T/main
EOS
	unshare --mount --pid --fork --mount-proc --net bash "$T/inner.sh" 2>"$T/log" &
	UNSHARE_PID=$!
}

in_ns() { nsenter -t "$(sup_host_pid)" -m "$@"; }

test_real_daemons() {
	start_stack
	wait_log "$T/log" 'virtqemud is ready' 30 || fail "libvirtd never became ready"
	assertTrue "virtlogd socket" "in_ns test -S /run/libvirt/virtlogd-sock"
	assertTrue "libvirtd socket" "in_ns test -S /run/libvirt/libvirt-sock"
	assertTrue "virtlogd ready before libvirtd started" \
		"grep -n 'virtlogd is ready\|started virtqemud' '$T/log' | head -1 | grep -q 'virtlogd is ready'"
	in_ns virsh -c qemu:///system version >"$T/virsh" 2>&1
	local rc=$?
	assertEquals "virsh version: $(cat "$T/virsh")" 0 $rc
	assertTrue "grep -q 'Running hypervisor: QEMU' '$T/virsh'"
	assertTrue "libvirtd's output is in the JSON log" "grep -q '\"component\":\"virtqemud\".*libvirt version: 9' '$T/log'"

	local sup old logd
	sup=$(sup_host_pid)
	old=$(pgrep -P "$sup" -x libvirtd)
	logd=$(pgrep -P "$sup" -x virtlogd)
	kill -KILL "$old"
	wait_log "$T/log" 'virtqemud exited \(killed by SIGKILL\), restarting' || fail "no restart"
	wait_log "$T/log" 'virtqemud is ready' 10 'restarting' || fail "not ready again"
	local new
	new=$(pgrep -P "$sup" -x libvirtd)
	assertNotEquals "a new libvirtd" "$old" "$new"
	in_ns virsh -c qemu:///system version >/dev/null 2>&1
	assertEquals "virsh after the restart" 0 $?

	kill -TERM "$sup"
	wait "$UNSHARE_PID"
	assertEquals "exit code" 0 $?
	UNSHARE_PID=
	assertTrue "virtqemud stopped before virtlogd" \
		"grep -o 'virtqemud exited (exit code 0)\|stopping virtlogd' '$T/log' | tr '\n' ' ' | grep -q '^virtqemud exited (exit code 0) stopping virtlogd'"
	assertFalse "no SIGKILL was needed" "grep -q 'grace period over' '$T/log'"
	assertFalse "libvirtd gone" "kill -0 $new 2>/dev/null"
	assertFalse "virtlogd gone" "kill -0 $logd 2>/dev/null"
	assertTrue "clean exit" "grep -q 'exiting with code 0' '$T/log'"
}

test_upstream_daemons_lack_restricted_flags() {
	start_stack
	wait_log "$T/log" 'virtqemud is ready' 30 || fail "libvirtd never became ready"
	assertTrue "virtlogd detection" "grep -q 'virtlogd does not accept the restricted flags --no-admin-srv' '$T/log'"
	assertTrue "libvirtd detection" "grep -q 'virtqemud does not accept the restricted flags --no-admin-srv --no-ro-srv' '$T/log'"
	assertTrue "started without them" "grep -q 'started virtqemud as pid [0-9]*: /usr/sbin/libvirtd -f /run/libvirt/libvirtd.conf\"' '$T/log'"
	assertTrue "so the admin socket exists" "in_ns test -S /run/libvirt/libvirt-admin-sock"
	kill -TERM "$(sup_host_pid)"
	wait "$UNSHARE_PID"
	assertEquals 0 $?
	UNSHARE_PID=

	start_stack --strict
	wait "$UNSHARE_PID"
	assertEquals "--strict refuses" 4 $?
	UNSHARE_PID=
	assertFalse "no daemon started" "grep -q 'started virt' '$T/log'"
}

. "$TETHER_ROOT/tests/lib/run.sh"
