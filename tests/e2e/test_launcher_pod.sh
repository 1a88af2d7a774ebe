#!/bin/bash
# The virt-launcher pod's whole life, run for real with podman kube play, with this suite in
# virt-handler's place on the host (images/README.md maps each step to virt-handler's code):
#   1. each container-disk socket, found in the emptyDir's host directory, names its holder
#      through SO_PEERCRED, and /proc/<pid>/root/disk/disk.img is the disk;
#   2. tether-enter, aimed at the virtiofs placeholder's socket, starts the image's virtiofsd in
#      that container's cgroups and namespaces, as the placeholder's child;
#   3. the compute container: tether-supervise's daemons, their sockets, libvirt answering;
#   4. a SHUTDOWN event, then the ordered stop: the termination log line, the daemons in order,
#      the disk holders leaving because their sockets were removed, the documented exit codes,
#      nothing left on the host;
#   5. the same pod stopped by SIGTERM (podman pod stop) instead.
# The tests share one pod (1 to 4, in this order); a container whose role is not built yet is
# left out of the pod and its steps are skipped with that reason.
. "$(dirname "$0")/../lib/common.sh"
. "$TETHER_ROOT/images/lib.sh"
. "$TETHER_ROOT/tests/e2e/lib.sh"

POD=tether-e2e-vm
YAML_SRC=$TETHER_ROOT/images/pods/virt-launcher.yaml
EXPECTED_TL='{"event":"SHUTDOWN","details":"{\"guest\":true,\"reason\":\"guest-shutdown\"}"}'

oneTimeSetUp() {
	e2e_setup
	[ -n "$E2E" ] || return 0
	cat "$E2E/images.txt"
	HAVE=
	img_exists localhost/tether-compute:latest && HAVE="$HAVE compute"
	img_exists localhost/tether-virtiofs:latest && HAVE="$HAVE virtiofs-shared"
	img_exists localhost/tether-container-disk-demo:latest && HAVE="$HAVE volumedisk0 volumedisk1"
	[ -n "$HAVE" ] || UNAVAILABLE="no role image is built yet"
	PIDS_SEEN=
	VFS_STARTED=
	[ -z "$UNAVAILABLE" ] && start_pod "$POD"
}

oneTimeTearDown() {
	[ -n "${E2E:-}" ] && rm -rf "$E2E"
	[ -z "$UNAVAILABLE" ] || return 0
	img_cleanup
}

# start_pod NAME: plays the launcher pod under NAME with the containers we have images for.
start_pod() {
	local c drop=
	for c in compute virtiofs-shared volumedisk0 volumedisk1; do
		has "$c" || drop="$drop $c"
	done
	: >"$E2E/$1.tl"
	pod_yaml "$YAML_SRC" "$E2E/$1.yaml" tether-vm "$1" "$E2E/$1.tl" "$drop" || return 1
	pod_play "$E2E/$1.yaml" && pod_wait_running "$1" 30 || { POD_FAILED="$1 did not start"; return 1; }
	# Readiness as each container announces it.
	if has volumedisk0; then
		ctr_wait_log "$1-volumedisk0" 'listening on' 10 && ctr_wait_log "$1-volumedisk1" 'listening on' 10 ||
			POD_FAILED="the disk holders never listened"
	fi
	if has virtiofs-shared; then
		# The placeholder logs nothing at its default level: like virt-handler, dial until it answers.
		until_true 10 "$E2E_PEERCRED" "$(vol_path "$1-virtiofs-sockets")/shared.sock" >/dev/null 2>&1 ||
			POD_FAILED="the placeholder never listened"
	fi
	if has compute; then
		ctr_wait_log "$1-compute" 'libvirt answers' 30 || POD_FAILED="libvirt never answered the launcher"
	fi
}

has() { case " $HAVE " in *" $1 "*) return 0 ;; esac; return 1; }

suite_setUp() {
	[ -z "$UNAVAILABLE" ] || { skip_test "$UNAVAILABLE"; return; }
	[ -z "${POD_FAILED:-}" ] || { fail "$POD_FAILED"; startSkipping; }
}

# need CONTAINER WHAT: skips the test when CONTAINER is not in the pod.
need() {
	has "$1" && return 0
	skip_test "$2 is not built yet, so the pod has no $1 container"
	return 1
}

# Remembers host pids, for the final "nothing left" check.
seen() { PIDS_SEEN="$PIDS_SEEN $*"; }

status_field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

test_1_container_disk_sockets_lead_to_the_disks() {
	isSkipping && return 0
	need volumedisk0 container-disk || return 0
	local dir i sock pid cred
	dir=$(vol_path "$POD-container-disks")
	for i in 0 1; do
		sock=$dir/disk_$i.sock
		assertTrue "disk_$i.sock in the emptyDir's host dir" "[ -S '$sock' ]"
		cred=$("$E2E_PEERCRED" "$sock")
		pid=${cred%% *}
		assertEquals "SO_PEERCRED names volumedisk$i's PID 1" "$(ctr_pid "$POD-volumedisk$i")" "$pid"
		assertEquals "as uid and gid 107" "$pid 107 107" "$cred"
		assertEquals "PID 1 of its container" 1 "$(awk '/^NSpid:/ { print $NF }' "/proc/$pid/status")"
		assertEquals "the holder" /usr/bin/container-disk "$(readlink "/proc/$pid/exe")"
		assertTrue "/proc/$pid/root/disk/disk.img is the disk" "[ -f /proc/$pid/root/disk/disk.img ]"
		if command -v qemu-img >/dev/null; then
			assertContains "a qcow2 image" "$(qemu-img info -U "/proc/$pid/root/disk/disk.img")" "file format: qcow2"
		fi
		assertNotEquals "in its own mount namespace" "$(readlink /proc/self/ns/mnt)" "$(readlink "/proc/$pid/ns/mnt")"
		assertEquals "no capabilities" 0000000000000000 "$(status_field "$pid" CapEff)"
		seen "$pid"
	done
}

test_2_tether_enter_puts_virtiofsd_in_the_placeholder_container() {
	isSkipping && return 0
	need virtiofs-shared "tether --placeholder" || return 0
	[ -x "$TETHER_BUILD/tether-enter" ] || { skip_test "tether-enter is not built yet"; return 0; }
	local sock ph v ns out
	sock=$(vol_path "$POD-virtiofs-sockets")/shared.sock
	ph=$(peer_pid "$sock")
	assertEquals "the placeholder's socket names its PID 1" "$(ctr_pid "$POD-virtiofs-shared")" "$ph"
	assertEquals "uid 107" 107 "$(status_field "$ph" Uid)"
	[ -e "/proc/$ph/root/usr/libexec/virtiofsd" ] ||
		{ skip_test "the virtiofs image has no virtiofsd (the host has no /usr/lib/qemu/virtiofsd)"; return 0; }
	out=$("$TETHER_BUILD/tether-enter" --target-socket "$sock" \
		--virtiofsd \
		--virtiofsd-bin /usr/libexec/virtiofsd --shared-dir /shared \
		--socket-path /var/run/kubevirt/virtiofs-containers/shared.sock -- --socket-group=qemu 2>&1)
	assertEquals "tether-enter exit code: $out" 0 $?
	assertTrue "virtiofsd waits for QEMU" \
		"ctr_wait_log $POD-virtiofs-shared 'Waiting for vhost-user socket connection' 10"
	v=$(pgrep -P "$ph")
	assertNotNull "virtiofsd is the placeholder's child" "$v"
	[ -n "$v" ] || return 0
	seen "$v"
	assertEquals "the image's virtiofsd" /usr/lib/qemu/virtiofsd "$(readlink "/proc/$v/exe")"
	assertEquals "in the container's cgroups" "$(cat "/proc/$ph/cgroup")" "$(cat "/proc/$v/cgroup")"
	for ns in cgroup ipc mnt net pid uts user; do
		assertEquals "in its $ns namespace" "$(readlink "/proc/$ph/ns/$ns")" "$(readlink "/proc/$v/ns/$ns")"
	done
	out=$(vol_path "$POD-virtiofs-containers")/shared.sock
	assertTrue "its vhost-user socket is in the virtiofs-containers emptyDir" "[ -S '$out' ]"
	assertEquals "QEMU's group (107) may connect (--socket-group=qemu)" "107 srwxrwx---" "$(stat -c '%g %A' "$out")"
	if has compute; then
		assertTrue "where the compute container (QEMU's) sees it" \
			"[ -S /proc/$(ctr_pid "$POD-compute")/root/var/run/kubevirt/virtiofs-containers/shared.sock ]"
	fi
	VFS_STARTED=$v
}

test_3_compute_runs_the_daemons_under_tether_supervise() {
	isSkipping && return 0
	need compute tether-supervise || return 0
	local sup log run kids p d
	sup=$(ctr_pid "$POD-compute")
	seen "$sup"
	assertEquals "tether-supervise is PID 1" /usr/bin/tether-supervise "$(readlink "/proc/$sup/exe")"
	kids=$(ps -o comm= --ppid "$sup" | sort | tr '\n' ' ')
	assertEquals "its children" "launcher libvirtd virtlogd " "$kids"
	for p in $(pgrep -P "$sup"); do
		seen "$p"
		assertEquals "$(cat "/proc/$p/comm") runs as 107" 107 "$(status_field "$p" Uid)"
	done
	run=/proc/$sup/root/var/run/libvirt
	assertTrue "virtlogd's socket" "[ -S $run/virtlogd-sock ]"
	assertTrue "the qemu daemon's socket" "[ -S $run/libvirt-sock ]"
	assertEquals "libvirtd listens there" "$(pgrep -P "$sup" -x libvirtd)" "$(peer_pid "$run/libvirt-sock")"
	assertTrue "libvirt answers (virsh list)" \
		"virsh -c 'qemu:///session?socket=$run/libvirt-sock' list --all >/dev/null 2>&1"
	log=$(ctr_logs "$POD-compute" 2>&1)
	# Debian's libvirt 9.0 lacks --no-admin-srv/--no-ro-srv: tether-supervise detects it and the
	# admin sockets exist; a patched libvirt would run restricted and leave them out.
	for d in virtlogd:virtlogd virtqemud:libvirt; do
		if echo "$log" | grep -q "${d%%:*} does not accept the restricted flags"; then
			assertTrue "${d%%:*} unrestricted: its admin socket exists" "[ -S $run/${d#*:}-admin-sock ]"
		else
			assertFalse "${d%%:*} restricted: no admin socket" "[ -e $run/${d#*:}-admin-sock ]"
		fi
	done
	assertFalse "no read-only socket (session mode as uid 107)" "[ -e $run/libvirt-sock-ro ]"
	assertTrue "the termination log is still empty" "[ ! -s '$E2E/$POD.tl' ]"
}

# after A B TEXT: the first line matching A comes before the first matching B in TEXT.
after() {
	local a b
	a=$(grep -n -m1 -e "$1" <<<"$3" | cut -d: -f1)
	b=$(grep -n -m1 -e "$2" <<<"$3" | cut -d: -f1)
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]
}

test_4_shutdown_event_then_ordered_stop_leaves_nothing() {
	isSkipping && return 0
	need compute tether-supervise || return 0
	local log c ids merged
	ids=$(podman pod inspect --format '{{range .Containers}}{{.Id}} {{end}}' "$POD")
	# shellcheck disable=SC2086
	merged=$(podman inspect --format '{{.GraphDriver.Data.MergedDir}}' $ids)
	podman kill --signal USR1 "$POD-compute" >/dev/null
	assertEquals "compute exits 0 (MAIN's code)" 0 "$(timeout 20 podman wait "$POD-compute")"
	assertEquals "the termination log line" "$EXPECTED_TL" "$(cat "$E2E/$POD.tl")"
	log=$(ctr_logs "$POD-compute" 2>&1)
	assertTrue "MAIN first" "after 'MAIN (pid [0-9]*) exited with code 0' 'stopping virtqemud' '$log'"
	assertTrue "then the qemu daemon" "after 'virtqemud exited (exit code 0)' 'stopping virtlogd' '$log'"
	if has volumedisk0; then
		assertTrue "then virtlogd" "after 'virtlogd exited (exit code 0)' 'removed /var/run/kubevirt/container-disks/disk_0.sock' '$log'"
		assertTrue "sockets removed, then exit" "after 'removed /var/run/kubevirt/container-disks/disk_1.sock' 'exiting with code 0' '$log'"
	else
		assertTrue "then virtlogd, then exit" "after 'virtlogd exited (exit code 0)' 'exiting with code 0' '$log'"
	fi
	assertFalse "nothing needed SIGKILL" "grep -q 'grace period over\|SIGKILL' <<<'$log'"
	if has volumedisk0; then
		for c in volumedisk0 volumedisk1; do
			assertEquals "$c exits 0" 0 "$(timeout 10 podman wait "$POD-$c")"
			assertContains "$c left because its socket went" "$(ctr_logs "$POD-$c" 2>&1)" "does not exist anymore"
		done
	fi
	if has virtiofs-shared; then
		assertEquals "the virtiofs container outlives compute (virtiofsd waits for QEMU)" running \
			"$(ctr_state "$POD-virtiofs-shared")"
		pod_stop "$POD" 10
		c=$(ctr_exit_code "$POD-virtiofs-shared")
		if [ -n "${VFS_STARTED:-}" ]; then
			# The placeholder forwards SIGTERM to virtiofsd; the C virtiofsd (7.2) does not
			# catch it and dies of it: 128 + 15, passed on as the container's code.
			assertEquals "virtiofs exits with virtiofsd's status" 143 "$c"
		else
			assertEquals "the placeholder without virtiofsd exits 0" 0 "$c"
		fi
	fi
	assertEquals "the pod has exited" Exited "$(podman pod inspect --format '{{.State}}' "$POD")"
	pod_down "$E2E/$POD.yaml" 10
	assertFalse "pod gone" "podman pod exists $POD"
	assertEquals "its volumes gone" "" "$(podman volume ls -q | grep "^$POD-")"
	for c in $PIDS_SEEN; do
		assertFalse "pid $c gone" "[ -d /proc/$c ]"
	done
	for c in $ids $merged; do
		assertFalse "no mount of $c left" "grep -q '$c' /proc/self/mountinfo"
	done
}

test_5_sigterm_stops_the_pod_in_order() {
	isSkipping && return 0
	need compute tether-supervise || return 0
	local pod=tether-e2e-vm2 log c t0 ms
	PIDS_SEEN=
	start_pod "$pod" || { fail "$pod did not start"; return 0; }
	[ -z "${POD_FAILED:-}" ] || { fail "$POD_FAILED"; return 0; }
	t0=$(date +%s%N)
	pod_stop "$pod" 10
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "    pod stop took $ms ms"
	assertTrue "stopped well before podman's 10 s SIGKILL ($ms ms)" "[ $ms -lt 5000 ]"
	for c in $(pod_ctrs "$pod"); do
		assertEquals "$c exits 0" 0 "$(ctr_exit_code "$c")"
	done
	log=$(ctr_logs "$pod-compute" 2>&1)
	assertContains "SIGTERM reached tether-supervise" "$log" "SIGTERM"
	assertTrue "MAIN, then the daemons, in order" \
		"after 'MAIN (pid [0-9]*) exited with code 0' 'stopping virtqemud' '$log' && after 'virtqemud exited' 'stopping virtlogd' '$log'"
	assertTrue "no termination log line without an event" "[ ! -s '$E2E/$pod.tl' ]"
	pod_down "$E2E/$pod.yaml" 10
	assertFalse "pod gone" "podman pod exists $pod"
}

. "$TETHER_ROOT/tests/lib/run.sh"
