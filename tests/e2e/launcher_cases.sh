# shellcheck shell=bash
# The virt-launcher pod's whole life, for one rendering (RENDERING=kubevirt or deckhouse, set by
# test_launcher_<rendering>.sh): images/pods/<rendering>/virt-launcher.yaml run for real with
# podman kube play, with this suite in virt-handler's place on the host, at the paths
# virt-handler computes from the pod's UID and the emptyDirs' names (kubelet_view, emptydir).
# images/README.md maps each test to virt-handler's code. Tests 1-6 share one pod, in order; test
# 7 plays a second one.
. "$(dirname "$0")/../lib/common.sh"
. "$TETHER_ROOT/images/lib.sh"
. "$TETHER_ROOT/tests/e2e/lib.sh"

YAML_SRC=$TETHER_ROOT/images/pods/$RENDERING/virt-launcher.yaml
POD=tether-e2e-$RENDERING
VMI_UID=6c3f0f4e-2b7a-4d55-9d1e-8a0c2f1b7e21
LAUNCHER_IMAGE=localhost/tether-launcher:latest
DISK_IMAGE=localhost/tether-disk-demo:latest
EXPECTED_TL='{"event":"SHUTDOWN","details":"{\"guest\":true,\"reason\":\"guest-shutdown\"}"}'
case $RENDERING in
kubevirt) COMPUTE=compute BINARY=container-disk-binary HOLDER=/usr/bin/container-disk ;;
deckhouse) COMPUTE=d8v-compute BINARY=d8v-container-disk-binary HOLDER=/var/run/container-disk ;;
esac

oneTimeSetUp() {
	e2e_setup pause launcher disk-demo
	[ -z "$UNAVAILABLE" ] || return 0
	cat "$E2E/images.txt"
	if ! img_exists "$LAUNCHER_IMAGE" || ! img_exists "$DISK_IMAGE"; then
		setup_failed "the launcher image is not built (it needs tether, tether-supervise and container-disk)"
		return 0
	fi
	PIDS_SEEN=
	VFS_STARTED=
	start_pod "$POD" || echo "the pod did not come up: $POD_FAILED"
	UID_=$POD_UID
}

oneTimeTearDown() {
	[ -z "$UNAVAILABLE" ] && img_cleanup
	[ -n "${E2E:-}" ] && rm -rf "$E2E"
}

# start_pod NAME: plays the pod as NAME, waits until each container says it is ready, and builds
# virt-handler's view of it; POD_UID is its UID there.
start_pod() {
	POD_UID=
	pod_yaml "$YAML_SRC" "$E2E/$1.yaml" "$1" "$E2E/$1.tl" &&
		pod_up "$E2E/$1.yaml" && pod_wait_running "$1" 60 || { POD_FAILED="$1 did not start"; return 1; }
	POD_UID=$(kubelet_view "$1" "$E2E/$1.yaml") || { POD_FAILED="no kubelet view of $1"; return 1; }
	ctr_wait_log "$1-volumedisk0" 'listening on' 10 && ctr_wait_log "$1-volumedisk1" 'listening on' 10 ||
		{ POD_FAILED="the disk holders never listened"; return 1; }
	ctr_wait_log "$1-virtiofs-shared" "placeholder listening on /var/run/sockets/shared.sock" 10 ||
		{ POD_FAILED="the placeholder never listened"; return 1; }
	ctr_wait_log "$1-$COMPUTE" 'libvirt answers' 30 || { POD_FAILED="libvirt never answered the launcher"; return 1; }
}

suite_setUp() {
	[ -z "$UNAVAILABLE" ] || { skip_test "$UNAVAILABLE"; return; }
	[ -z "${POD_FAILED:-}" ] || { fail "$POD_FAILED"; startSkipping; }
}

# Remembers host pids, for the final "nothing left" check.
seen() { PIDS_SEEN="$PIDS_SEEN $*"; }

status_field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

# image_file IMAGE PATH: copies PATH out of IMAGE to $E2E/image_file (podman image mount).
image_file() {
	local m
	m=$(podman image mount "$1") || return 1
	cp "$m$2" "$E2E/image_file"
	podman image unmount "$1" >/dev/null
}

test_1_the_init_containers_deliver_the_holder_out_of_the_launcher_image() {
	isSkipping && return 0
	local bin c m
	bin=$(emptydir "$UID_" virt-bin-share-dir)/container-disk
	assertTrue "virt-bin-share-dir holds container-disk" "[ -f '$bin' ]"
	image_file "$LAUNCHER_IMAGE" /usr/bin/container-disk
	assertTrue "the launcher image's /usr/bin/container-disk, byte for byte" "cmp -s '$bin' '$E2E/image_file'"
	assertEquals "copied as uid 107 (the init container's user)" 107 "$(stat -c %u "$bin")"
	for c in "$BINARY" volumedisk0-init volumedisk1-init; do
		assertEquals "init container $c exited 0" 0 "$(died_code "$POD-$c")"
	done
	# The user's containerDisk image: the disk and nothing else, no binary.
	m=$(podman image mount "$DISK_IMAGE")
	assertEquals "the disk image holds /disk/disk.img only" "./disk ./disk/disk.img" \
		"$(cd "$m" && find . -mindepth 1 | sort | tr '\n' ' ' | sed 's/ $//')"
	podman image unmount "$DISK_IMAGE" >/dev/null
}

test_2_container_disk_sockets_lead_to_the_disks() {
	isSkipping && return 0
	local i sock pid cred files
	for i in 0 1; do
		sock=$(emptydir "$UID_" container-disks)/disk_$i.sock
		assertTrue "disk_$i.sock where virt-handler looks" "[ -S '$sock' ]"
		cred=$("$E2E_PEERCRED" "$sock")
		pid=${cred%% *}
		assertEquals "SO_PEERCRED names volumedisk$i's PID 1" "$(ctr_pid "$POD-volumedisk$i")" "$pid"
		[ -n "$pid" ] || continue
		seen "$pid"
		assertEquals "uid and gid 107 (runAsUser, the pod's runAsGroup)" "$pid 107 107" "$cred"
		assertContains "its copy path is the rendered one: the socket lands at the emptyDir's root" \
			"$(ctr_logs "$POD-volumedisk$i" 2>&1)" "listening on /var/run/kubevirt/container-disks/$VMI_UID/disk_$i.sock"
		assertEquals "PID 1 of its container" 1 "$(awk '/^NSpid:/ { print $NF }' "/proc/$pid/status")"
		assertEquals "the holder, from virt-bin-share-dir" "$HOLDER" "$(readlink "/proc/$pid/exe")"
		assertTrue "the very file the init container copied" \
			"[ \"\$(stat -L -c %d:%i /proc/$pid/exe)\" = \"\$(stat -L -c %d:%i $(emptydir "$UID_" virt-bin-share-dir)/container-disk)\" ]"
		# GetImage: exactly one file under /disk of the container's root.
		files=$(ls -A "/proc/$pid/root/disk")
		assertEquals "one disk in /proc/<pid>/root/disk" disk.img "$files"
		if command -v qemu-img >/dev/null; then
			assertContains "a qcow2 image" "$(qemu-img info -U "/proc/$pid/root/disk/disk.img")" "file format: qcow2"
		fi
		assertNotEquals "in its own mount namespace" "$(readlink /proc/self/ns/mnt)" "$(readlink "/proc/$pid/ns/mnt")"
		assertEquals "no capabilities" 0000000000000000 "$(status_field "$pid" CapEff)"
	done
}

test_3_launcher_sock_leads_to_the_launcher() {
	isSkipping && return 0
	local sock pid sup
	sock=$(emptydir "$UID_" sockets)/launcher-sock
	assertTrue "launcher-sock where virt-handler looks" "[ -S '$sock' ]"
	pid=$(peer_pid "$sock")
	assertNotNull "SO_PEERCRED gives a pid" "$pid"
	[ -n "$pid" ] || return 0
	seen "$pid"
	assertEquals "the launcher" virt-launcher "$(cat "/proc/$pid/comm")"
	assertEquals "as uid 107" 107 "$(status_field "$pid" Uid)"
	sup=$(ctr_pid "$POD-$COMPUTE")
	assertEquals "in compute's mount namespace" "$(readlink "/proc/$sup/ns/mnt")" "$(readlink "/proc/$pid/ns/mnt")"
}

# dispatch PID: virt-handler's call of the dispatcher (PR #14115,
# pkg/virt-handler/virtiofs/dispatcher.go:67-70), by that name and with exactly those arguments,
# from a caller shaped like virt-handler's container: the host's PIDs (hostPID), a mount namespace
# of its own, and no cgroupfs at /sys/fs/cgroup, so it reaches the host's through /proc/1/root as
# virt-handler reaches the host (pkg/util/util.go:26). It writes nothing on the host: the
# placeholder answers its reservation. Its stderr is in $E2E/dispatch.err.
# Where the host's PID 1 refuses /proc/1/root even to root (this machine's, a sandbox's init:
# EACCES), /proc/1 in the caller's mount namespace is a bind mount of /proc/<this suite's shell>,
# a root process in the host's mount namespace: the node's init as a kind node would have it.
dispatch() {
	local init=
	ls /proc/1/root/ >/dev/null 2>&1 || init=/proc/$$
	ln -sfn "$TETHER_BUILD/tether-enter" "$E2E/virtiofs-dispatcher"
	timeout -s KILL 30 unshare --mount --propagation private sh -c '
		init=$1
		shift
		umount -R /sys/fs/cgroup && mount -t tmpfs tmpfs /sys/fs/cgroup &&
			! grep -q " - cgroup" /proc/self/mountinfo || { echo "cannot hide the cgroupfs" >&2; exit 99; }
		[ -z "$init" ] || mount --bind "$init" /proc/1 || { echo "cannot stand in for /proc/1" >&2; exit 99; }
		exec "$@"' sh "$init" "$E2E/virtiofs-dispatcher" --pid "$1" \
		--socket-path /var/run/kubevirt/virtiofs-containers/shared.sock --shared-dir /shared 2>"$E2E/dispatch.err"
}

# stop_channel PID: PID holds both ends of one pipe (the placeholder's stop channel, BRIEF
# contract 1), read from its fd table on the host.
stop_channel() {
	local n
	n=$(find "/proc/$1/fd" -mindepth 1 -printf '%l\n' 2>/dev/null | grep '^pipe:' | sort | uniq -c | awk '$1 >= 2' | wc -l)
	[ "$n" -ge 1 ]
}

test_4_the_dispatcher_puts_virtiofsd_in_the_placeholder_container() {
	isSkipping && return 0
	[ -x "$TETHER_BUILD/tether-enter" ] || { fail "tether-enter is not built"; return 0; }
	local sock ph v ns out rc
	sock=$(emptydir "$UID_" virtiofs-sockets)/shared.sock
	ph=$(peer_pid "$sock")
	assertEquals "the placeholder's socket names virtiofs-shared's PID 1" "$(ctr_pid "$POD-virtiofs-shared")" "$ph"
	[ -n "$ph" ] || return 0
	assertEquals "uid 107" 107 "$(status_field "$ph" Uid)"
	assertEquals "no capabilities" 0000000000000000 "$(status_field "$ph" CapEff)"
	[ -x /usr/lib/qemu/virtiofsd ] || { skip_test "the host has no /usr/lib/qemu/virtiofsd for the image"; return 0; }
	assertTrue "the image has virtiofsd (images/build.sh copies the host's)" \
		"[ -e /proc/$ph/root/usr/libexec/virtiofsd ]" || return 0
	if [ "$RENDERING" = deckhouse ]; then
		assertTrue "the virtiofs container's root is read-only" \
			"awk '\$5 == \"/\" { split(\$6, o, \",\"); exit o[1] != \"ro\" }' /proc/$ph/mountinfo"
	fi
	dispatch "$ph"
	rc=$?
	assertEquals "the dispatcher's exit code: $(cat "$E2E/dispatch.err")" 0 $rc
	assertContains "it found the host's cgroups through PID 1" "$(cat "$E2E/dispatch.err")" \
		"no cgroup hierarchy is mounted here: using PID 1's, through /proc/1/root"
	assertFalse "no state on the host (the placeholder keeps the single instance)" \
		"[ -e /run/tether-enter/pidns-$(stat -L -c %i "/proc/$ph/ns/pid").lock ]"
	assertTrue "virtiofsd waits for QEMU" \
		"ctr_wait_log $POD-virtiofs-shared 'Waiting for vhost-user socket connection' 10"
	v=$(pgrep -P "$ph")
	assertNotNull "virtiofsd is the placeholder's child" "$v"
	[ -n "$v" ] || return 0
	seen "$v"
	assertEquals "the image's virtiofsd" /usr/lib/qemu/virtiofsd "$(readlink "/proc/$v/exe")"
	assertEquals "as root" 0 "$(status_field "$v" Uid)"
	assertTrue "registered: the placeholder holds its stop channel (both ends of one pipe)" "stop_channel $ph"
	assertEquals "in the container's cgroups" "$(cat "/proc/$ph/cgroup")" "$(cat "/proc/$v/cgroup")"
	for ns in cgroup ipc mnt net pid uts user; do
		assertEquals "in its $ns namespace" "$(readlink "/proc/$ph/ns/$ns")" "$(readlink "/proc/$v/ns/$ns")"
	done
	out=$(emptydir "$UID_" virtiofs-containers)/shared.sock
	assertTrue "its vhost-user socket is in the virtiofs-containers emptyDir" "[ -S '$out' ]"
	echo "    virtiofsd's socket: $(stat -c '%U:%G %A' "$out")"
	assertTrue "where compute (QEMU's container) sees it" \
		"[ -S /proc/$(ctr_pid "$POD-$COMPUTE")/root/var/run/kubevirt/virtiofs-containers/shared.sock ]"
	VFS_STARTED=$v
}

# The patched process tree (images/kubevirt/README.md, "Running the stand-in in tether's pods"):
# PID 1 tether-supervise as virt-launcher-monitor (under tini, which is tether, in Deckhouse's pod),
# its one child the stand-in launcher, its one child `tether-supervise --for-parent`, whose children
# are virtlogd and libvirtd (standing in for virtqemud) with the flavour's environment.
test_5_compute_runs_the_patched_launcher_tree() {
	isSkipping && return 0
	local one log run p env
	one=$(ctr_pid "$POD-$COMPUTE")
	seen "$one"
	if [ "$RENDERING" = deckhouse ]; then
		assertEquals "PID 1 is tini, which is tether" /usr/bin/tini "$(readlink "/proc/$one/exe")"
		MON=$(pgrep -P "$one")
	else
		MON=$one
	fi
	[ -n "$MON" ] || { fail "no monitor"; return 0; }
	assertEquals "the monitor: tether-supervise as virt-launcher-monitor" \
		"/usr/bin/tether-supervise virt-launcher-m" "$(readlink "/proc/$MON/exe") $(cat "/proc/$MON/comm")"
	LAU=$(pgrep -P "$MON")
	assertEquals "its one child is the launcher" virt-launcher "$(cat "/proc/$LAU/comm" 2>/dev/null)"
	SUPV=$(pgrep -P "$LAU")
	assertEquals "the launcher's one child is tether-supervise --for-parent" \
		"$(printf '%s\n' /usr/bin/tether-supervise --for-parent)" "$(tr '\0' '\n' <"/proc/$SUPV/cmdline" | head -2)"
	assertEquals "whose children are the daemons" "libvirtd virtlogd " \
		"$(ps -o comm= --ppid "$SUPV" | sort | tr '\n' ' ')"
	QEMUD=$(pgrep -P "$SUPV" -x libvirtd)
	seen "$MON" "$LAU" "$SUPV" $(pgrep -P "$SUPV")
	for p in "$MON" "$LAU" "$SUPV" $(pgrep -P "$SUPV"); do
		assertEquals "$(cat "/proc/$p/comm") runs as 107" 107 "$(status_field "$p" Uid)"
	done
	assertEquals "libvirtd has NET_BIND_SERVICE ambient" 0000000000000400 "$(status_field "$QEMUD" CapAmb)"
	env=$(tr '\0' '\n' <"/proc/$QEMUD/environ")
	log=$(ctr_logs "$POD-$COMPUTE" 2>&1)
	run=/proc/$SUPV/root/var/run/libvirt
	if [ "$RENDERING" = deckhouse ]; then
		# Deckhouse's flavour: AUTH_PID is the launcher's pid, and that variable alone.
		assertEquals "libvirtd's environment: the launcher's pid, alone" \
			"LIBVIRT_UNIX_SOCKET_AUTH_PID=$(awk '/^NSpid/ { print $NF }' "/proc/$LAU/status")" "$env"
		assertContains "the launcher checked it" "$log" "LIBVIRT_UNIX_SOCKET_AUTH_PID="
		assertContains "Debian's libvirtd lacks the restricted flags: run without (no --strict)" "$log" \
			"virtqemud does not accept the restricted flags"
		assertFalse "no libvirtd admin socket (unix_sock_dir: session mode makes none)" "[ -e $run/libvirt-admin-sock ]"
	else
		# KubeVirt's flavour: upstream's daemons, virt-launcher's environment, no AUTH_PID.
		assertNotContains "libvirtd has no AUTH_PID" "$env" LIBVIRT_UNIX_SOCKET_AUTH_PID
		assertContains "libvirtd inherits the launcher's environment" "$env" "XDG_RUNTIME_DIR=/var/run"
		assertContains "the launcher checked it" "$log" "has no LIBVIRT_UNIX_SOCKET_AUTH_PID"
		assertContains "no restricted flags, as upstream" "$log" \
			"virtqemud runs without the restricted flags (--no-restricted-flags)"
		assertTrue "libvirtd's admin socket exists (upstream's)" "[ -S $run/libvirt-admin-sock ]"
	fi
	assertTrue "virtlogd's socket" "[ -S $run/virtlogd-sock ]"
	assertTrue "virtlogd's admin socket (it runs unrestricted in both)" "[ -S $run/virtlogd-admin-sock ]"
	assertTrue "the qemu daemon's socket" "[ -S $run/libvirt-sock ]"
	assertEquals "libvirtd listens there" "$QEMUD" "$(peer_pid "$run/libvirt-sock")"
	assertTrue "libvirt answers (virsh list)" \
		"virsh -c 'qemu:///session?socket=$run/libvirt-sock' list --all >/dev/null 2>&1"
	assertTrue "the termination log is still empty" "[ ! -s '$E2E/$POD.tl' ]"
	assertEquals "container-disks mounted HostToContainer" rslave \
		"$(propagation "$POD-$COMPUTE" /var/run/kubevirt/container-disks)"
	assertEquals "hotplug-disks mounted HostToContainer" rslave \
		"$(propagation "$POD-$COMPUTE" /var/run/kubevirt/hotplug-disks)"
	assertEquals "sockets without propagation, as rendered" rprivate \
		"$(propagation "$POD-$COMPUTE" /var/run/kubevirt/sockets)"
	assertEquals "the pod's hostname" tether-vm "$(cat "/proc/$MON/root/etc/hostname")"
}

# order_of LOG: the stop's lines, for a failure message.
order_of() {
	grep -o '"msg":"[^"]*' <<<"$1" | sed 's/"msg":"//' |
		grep -E 'SHUTDOWN|SIGTERM|stopping|exited|has stopped|removed|exiting' | tr '\n' '|'
}

# stopped_in_order LOG [SOCKETS]: the launcher stops tether-supervise, which stops libvirtd, then
# virtlogd, and the launcher exits after it; the monitor's exit is the last line. With SOCKETS
# the monitor removed both disk sockets after the launcher's exit (on the pod's SIGTERM the
# holders end on their own SIGTERM and remove their sockets first).
stopped_in_order() {
	local i
	after 'stopping tether-supervise' 'stopping virtqemud' "$1" &&
		after 'virtqemud exited (exit code 0)' 'stopping virtlogd' "$1" &&
		after 'virtlogd exited (exit code 0)' 'tether-supervise has stopped' "$1" &&
		after 'tether-supervise has stopped' 'MAIN (pid [0-9]*) exited with code 0' "$1" &&
		[ "$(grep -o '"msg":"[^"]*' <<<"$1" | tail -1)" = '"msg":"exiting with code 0' ] || return 1
	[ -n "${2:-}" ] || return 0
	for i in 0 1; do
		after 'MAIN (pid [0-9]*) exited with code 0' "removed socket /var/run/kubevirt/container-disks/disk_$i.sock" "$1" ||
			return 1
	done
}

# after A B TEXT: the first line matching A comes before the first matching B in TEXT.
after() {
	local a b
	a=$(grep -n -m1 -e "$1" <<<"$3" | cut -d: -f1)
	b=$(grep -n -m1 -e "$2" <<<"$3" | cut -d: -f1)
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]
}

test_6_shutdown_event_then_ordered_stop_leaves_nothing() {
	isSkipping && return 0
	local log c ids merged
	ids=$(podman pod inspect --format '{{range .Containers}}{{.Id}} {{end}}' "$POD")
	# shellcheck disable=SC2086
	merged=$(podman inspect --format '{{.GraphDriver.Data.MergedDir}}' $ids)
	# The guest powers off: the stand-in sends SHUTDOWN to tether-supervise --for-parent, the
	# termination log's only writer, and exits as virt-launcher does once its domain is gone.
	[ -n "${LAU:-}" ] || { fail "no launcher pid from test 5"; return 0; }
	kill -USR1 "$LAU"
	assertEquals "compute exits 0 (the launcher's code)" 0 "$(timeout 20 podman wait "$POD-$COMPUTE")"
	assertEquals "the termination log line, byte-exact" "$EXPECTED_TL" "$(cat "$E2E/$POD.tl")"
	log=$(ctr_logs "$POD-$COMPUTE" 2>&1)
	after 'sending SHUTDOWN' 'stopping tether-supervise' "$log" ||
		fail "not SHUTDOWN sent, then the ordered stop: $(order_of "$log")"
	stopped_in_order "$log" sockets ||
		fail "not launcher → libvirtd → virtlogd → the launcher exits → the disk sockets → exit: $(order_of "$log")"
	! grep -q 'grace period over\|SIGKILL' <<<"$log" || fail "something needed SIGKILL: $(order_of "$log")"
	for c in volumedisk0 volumedisk1; do
		assertEquals "$c exits 0" 0 "$(timeout 10 podman wait "$POD-$c")"
		assertContains "$c left because the monitor removed its socket" "$(ctr_logs "$POD-$c" 2>&1)" "does not exist anymore"
	done
	assertEquals "the virtiofs container outlives compute (virtiofsd waits for QEMU)" running \
		"$(ctr_state "$POD-virtiofs-shared")"
	pod_stop "$POD" 10
	c=$(ctr_exit_code "$POD-virtiofs-shared")
	if [ -n "${VFS_STARTED:-}" ]; then
		# The placeholder (uid 107, no capabilities) may not signal the root virtiofsd: SIGTERM
		# goes through the stop channel the dispatcher registered, virtiofsd ends on its own,
		# and the container's status is virtiofsd's (without the channel: 143 at once, and the
		# kernel SIGKILLs virtiofsd with the PID namespace).
		log=$(ctr_logs "$POD-virtiofs-shared" 2>&1)
		assertNotContains "the placeholder could signal virtiofsd" "$log" "exiting instead"
		grep -q 'virtiofsd (pid [0-9]*) exited with code' <<<"$log"
		assertTrue "virtiofsd's exit was seen" $?
		assertEquals "the container's status is virtiofsd's" \
			"$(sed -n 's/.*virtiofsd (pid [0-9]*) exited with code \([0-9]*\).*/\1/p' <<<"$log")" "$c"
		assertNotEquals "not the placeholder giving up (143)" 143 "$c"
		assertNotEquals "virtiofsd was not SIGKILLed" 137 "$c"
		echo "    virtiofs-shared exited with virtiofsd's code $c"
	else
		assertEquals "the placeholder without virtiofsd exits 0" 0 "$c"
	fi
	assertEquals "the pod has exited" Exited "$(podman pod inspect --format '{{.State}}' "$POD")"
	# shellcheck disable=SC2086 # one pid a word
	assert_gone "$E2E/$POD.yaml" "$POD" $PIDS_SEEN
	for c in $ids $merged; do
		assertFalse "no mount of $c left" "grep -q '$c' /proc/self/mountinfo"
	done
}

test_7_sigterm_stops_the_pod_in_order() {
	isSkipping && return 0
	local pod=$POD-2 log c t0 ms
	start_pod "$pod" || { fail "$POD_FAILED"; return 0; }
	t0=$(date +%s%N)
	pod_stop "$pod" 10
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "    pod stop took $ms ms"
	assertTrue "stopped well before podman's 10 s SIGKILL ($ms ms)" "[ $ms -lt 5000 ]"
	for c in $(pod_ctrs "$pod"); do
		assertEquals "$c exits 0" 0 "$(ctr_exit_code "$c")"
	done
	log=$(ctr_logs "$pod-$COMPUTE" 2>&1)
	assertContains "the monitor sent the launcher SIGTERM" "$log" "sending SIGTERM to MAIN"
	assertContains "the launcher stopped on it" "$log" "SIGTERM: stopping, exit code 0"
	stopped_in_order "$log" ||
		fail "not launcher → libvirtd → virtlogd → the launcher exits → exit: $(order_of "$log")"
	! grep -q 'grace period over\|SIGKILL' <<<"$log" || fail "something needed SIGKILL: $(order_of "$log")"
	assertTrue "no termination log line without an event" "[ ! -s '$E2E/$pod.tl' ]"
	assert_gone "$E2E/$pod.yaml" "$pod"
}

# shunit2 finds test functions in the file it runs, which only sources this one: name them.
suite() {
	local t
	for t in $(declare -F | awk '$3 ~ /^test_/ { print $3 }' | sort); do
		suite_addTest "$t"
	done
}

. "$TETHER_ROOT/tests/lib/run.sh"
