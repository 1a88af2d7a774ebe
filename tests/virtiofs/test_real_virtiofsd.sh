#!/bin/bash
# The real C virtiofsd of Debian 12, launched by tether-enter into a
# container whose PID 1 is the placeholder (uid 107, own cgroups and
# namespaces), with a real QEMU (TCG, paused) as its vhost-user front end.
. "$(dirname "$0")/../lib/common.sh"
. "$TETHER_ROOT/tests/virtiofs/lib.sh"

VIRTIOFSD=/usr/lib/qemu/virtiofsd
QEMU=$(command -v qemu-system-x86_64)

suite_setUp() {
	Q=
}

suite_tearDown() {
	if [ -n "$Q" ]; then kill -KILL "$Q" 2>/dev/null; wait "$Q" 2>/dev/null; fi
	stop_container
}

need() {
	[ -x "$VIRTIOFSD" ] || { skip_test "no C virtiofsd at $VIRTIOFSD"; return 1; }
	[ -n "$QEMU" ] || { skip_test "no qemu-system-x86_64"; return 1; }
}

start_virtiofsd() {
	mkdir -m 755 "$T/share"
	echo hello >"$T/share/file"
	"$ENTER" --pid "$PH" --virtiofsd --virtiofsd-bin "$VIRTIOFSD" --shared-dir "$T/share" \
		--socket-path "$T/run/vfs.sock" 2>"$T/enter.err"
}

# QEMU paused (-S), TCG, guest RAM shared through a memfd as vhost-user
# needs; its QMP socket tells us when it is up.
start_qemu() {
	"$QEMU" -machine q35,accel=tcg -S -display none -nodefaults -m 64 \
		-object memory-backend-memfd,id=mem,size=64M,share=on -numa node,memdev=mem \
		-chardev socket,id=vfs,path="$T/run/vfs.sock" \
		-device vhost-user-fs-pci,chardev=vfs,tag=shared \
		-qmp unix:"$T/qmp.sock",server=on,wait=off -monitor none -serial none 2>"$T/qemu.err" &
	Q=$!
}

test_virtiofsd_serves_qemu_and_the_container_ends_with_it() {
	need || return
	start_container
	start_virtiofsd
	assertEquals "tether-enter exit code" 0 $?
	assertContains "flavour detected" "$(cat "$T/enter.err")" "is the C virtiofsd"
	assertTrue "virtiofsd waits for QEMU" \
		"wait_for_line '$T/ph.err' 'Waiting for vhost-user socket connection' 10"
	local v=$(pgrep -P "$PH" -f "$VIRTIOFSD")
	assertNotNull "virtiofsd is the placeholder's child" "$v"
	assertEquals "virtiofsd runs as root" 0 "$(awk '/^Uid:/ {print $2}' /proc/$v/status)"
	assertEquals "in the container's cgroups" "$(cat /proc/$PH/cgroup)" "$(cat /proc/$v/cgroup)"
	assertEquals "in its mount namespace" "$(readlink /proc/$PH/ns/mnt)" "$(readlink /proc/$v/ns/mnt)"
	# fds 0-2 from tether-enter (0 the container's /dev/null, 1-2 its
	# init's), nothing else: what else it holds, it opened itself.
	assertEquals "no lock or host fd from tether-enter" "" \
		"$(ls -l /proc/$v/fd | grep -e 'pidns-.*\.lock' -e '/run/tether-enter')"
	start_qemu
	assertTrue "QEMU connected" "wait_for_line '$T/ph.err' 'Received vhost-user socket connection' 30"
	assertTrue "virtiofsd serves" "wait_for_line '$T/ph.err' 'virtio_loop: Entry' 10"
	assertTrue "QEMU still runs" "kill -0 $Q"
	kill -TERM "$Q"
	wait "$Q"
	Q=
	ph_wait 10
	assertEquals "the placeholder exits with virtiofsd's status" 0 $PH_RC
	assertTrue "and logged it" "grep -q 'virtiofsd (pid [0-9]*) exited with code 0' '$T/ph.err'"
}

test_kill_9_of_real_virtiofsd_gives_137_at_once() {
	need || return
	start_container
	start_virtiofsd
	wait_for_line "$T/ph.err" 'Waiting for vhost-user socket connection' 10
	local ms=$(ms_to_exit $PH KILL "$(pgrep -P "$PH" -f "$VIRTIOFSD")" 5)
	ph_wait 5
	assertEquals "code" 137 $PH_RC
	assertTrue "gone within $PH_EXIT_MS ms of virtiofsd's death (took ${ms:-over 5 s} ms)" "below '$ms' $PH_EXIT_MS"
}

. "$TETHER_ROOT/tests/lib/run.sh"
