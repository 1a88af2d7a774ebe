#!/bin/bash
# Demo, the VM pod: the life of a VM's virt-launcher pod, with tether as PID 1 of every container,
# run for real with podman and narrated step by step. This script plays virt-handler's part from the
# host. `make demo` has already installed what was missing (make deps) and built the binaries.
# Works with whatever roles are built: a missing one is left out of the pod and said so.
set -u
cd "$(dirname "$0")/../.." || exit 1
export TETHER_ROOT=$PWD
TETHER_BUILD=$(realpath "${TETHER_BUILD:-build}")
. images/lib.sh
. tests/e2e/lib.sh
img_env

POD=tether-demo-vm
WORK=$(mktemp -d /tmp/tether-demo.XXXXXX)
chmod 755 "$WORK"
trap 'img_cleanup; rm -rf "$WORK"' EXIT

if [ -t 1 ]; then BOLD=$'\033[1m' PLAIN=$'\033[0m'; else BOLD="" PLAIN=""; fi
step() { printf '\n%s== pod %s%s\n' "$BOLD" "$*" "$PLAIN"; }
say() { printf '   %s\n' "$*"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
short() { sed -E 's/([0-9a-f]{12})[0-9a-f]{52}/\1…/g'; }
# The pids-controller cgroup of a process (the unified one on a pure v2 host).
cgroup_of() {
	awk -F: '$2 == "pids" { print $3; found = 1 } END { if (!found) exit 1 }' "/proc/$1/cgroup" ||
		awk -F: '$1 == "0" { print $3 }' "/proc/$1/cgroup"
}
# log_msgs CONTAINER REGEX: the container's log lines whose message matches, as "[component] msg".
log_msgs() {
	ctr_logs "$1" 2>&1 | jq -rR --arg re "$2" \
		'(fromjson? | select(.msg | test($re)) | "[\(.component)] \(.msg)") // (select(test($re)) | "[output] \(.)")'
}
# wait_dial SOCKET: the placeholder logs nothing at its default level; like virt-handler, dial
# its socket until it answers (every 10 ms, 10 s at most).
wait_dial() {
	local end=$((SECONDS + 10))
	until "$E2E_PEERCRED" "$1" >/dev/null 2>&1; do
		[ $SECONDS -le $end ] || return 1
		sleep 0.01
	done
}
has() { case " $HAVE " in *" $1 "*) return 0 ;; esac; return 1; }

if reason=$(img_unavailable_reason); then
	echo "demo: podman cannot run containers here: $reason" >&2
	exit 1
fi

step "1. Images: FROM scratch, from the static binaries in ${TETHER_BUILD#"$TETHER_ROOT"/}"
TETHER_IMAGE_BUILD=$TETHER_BUILD images/build.sh | sed 's/^/   /'
img_cc "$WORK/peercred" tests/images/peercred.c && E2E_PEERCRED=$WORK/peercred
HAVE=
img_exists localhost/tether-compute:latest && HAVE="$HAVE compute"
img_exists localhost/tether-virtiofs:latest && HAVE="$HAVE virtiofs-shared"
img_exists localhost/tether-container-disk-demo:latest && HAVE="$HAVE volumedisk0 volumedisk1"
if [ -z "$HAVE" ]; then
	say "No role is built yet (container-disk, tether --placeholder, tether-supervise): nothing to run."
	exit 0
fi
DROP=
for c in compute virtiofs-shared volumedisk0 volumedisk1; do has "$c" || DROP="$DROP $c"; done
[ -z "$DROP" ] || say "Left out of the pod (their roles are not built yet):$DROP"

step "2. The virt-launcher pod (images/pods/virt-launcher.yaml) starts"
pod_yaml images/pods/virt-launcher.yaml "$WORK/vm.yaml" tether-vm "$POD" "$WORK/termination-log" "$DROP"
t0=$(now_ms)
pod_play "$WORK/vm.yaml" && pod_wait_running "$POD" 30 || { echo "demo: the pod did not start" >&2; exit 1; }
has volumedisk0 && ctr_wait_log "$POD-volumedisk0" 'listening on' 10 && ctr_wait_log "$POD-volumedisk1" 'listening on' 10
has virtiofs-shared && wait_dial "$(vol_path "$POD-virtiofs-sockets")/shared.sock"
has compute && ctr_wait_log "$POD-compute" 'libvirt answers' 30
say "kube play → every container running and ready: $(($(now_ms) - t0)) ms"
for c in $(pod_ctrs "$POD"); do
	pid=$(ctr_pid "$c")
	printf '   %-26s host pid %-7s PID 1 inside: %-28s uid %s, cgroup %s\n' "${c#"$POD"-}" "$pid" \
		"$(readlink "/proc/$pid/exe")" "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" \
		"$(cgroup_of "$pid" | short)"
done
say "Every container: read-only root, no capabilities, its own PID namespace (PID 1 is tether's)."

if has volumedisk0; then
	step "3. virt-handler finds the container disks (container-disk holders)"
	dir=$(vol_path "$POD-container-disks")
	say "emptyDir container-disks on the host: $dir"
	for i in 0 1; do
		cred=$("$E2E_PEERCRED" "$dir/disk_$i.sock")
		pid=${cred%% *}
		set -- $cred
		say "disk_$i.sock → SO_PEERCRED pid $1 (uid $2, gid $3) = volumedisk$i's PID 1; /proc/$1/root/disk/disk.img:" \
			"$(stat -c '%s bytes, owner %u' "/proc/$pid/root/disk/disk.img")"
	done
fi

if has virtiofs-shared; then
	step "4. virt-handler injects virtiofsd into the virtiofs container (tether-enter)"
	sock=$(vol_path "$POD-virtiofs-sockets")/shared.sock
	ph=$("$E2E_PEERCRED" "$sock" | cut -d' ' -f1)
	say "placeholder socket $sock → pid $ph (tether --placeholder, uid 107)"
	if [ -x "$TETHER_BUILD/tether-enter" ] && [ -e "/proc/$ph/root/usr/libexec/virtiofsd" ]; then
		"$TETHER_BUILD/tether-enter" --target-socket "$sock" \
			--virtiofsd \
			--virtiofsd-bin /usr/libexec/virtiofsd --shared-dir /shared \
			--socket-path /var/run/kubevirt/virtiofs-containers/shared.sock -- --socket-group=qemu 2>"$WORK/enter.log"
		say "tether-enter exit code $?"
		ctr_wait_log "$POD-virtiofs-shared" 'Waiting for vhost-user' 10
		v=$(pgrep -P "$ph")
		say "virtiofsd: pid $v, parent $(awk '/^PPid:/ { print $2 }' "/proc/$v/status") (the placeholder)," \
			"uid $(awk '/^Uid:/ { print $2 }' "/proc/$v/status"), cgroup $(cgroup_of "$v" | short)"
		same=yes
		for ns in cgroup ipc mnt net pid uts; do
			[ "$(readlink "/proc/$ph/ns/$ns")" = "$(readlink "/proc/$v/ns/$ns")" ] || same="no ($ns differs)"
		done
		say "same cgroup, ipc, mnt, net, pid and uts namespaces as the placeholder: $same"
		say "its vhost-user socket for QEMU: /var/run/kubevirt/virtiofs-containers/shared.sock"
	else
		say "tether-enter is not built yet, or the image has no virtiofsd: the placeholder just waits."
	fi
fi

if has compute; then
	step "5. The compute container: tether-supervise runs the libvirt daemons and the launcher"
	sup=$(ctr_pid "$POD-compute")
	for p in $(pgrep -P "$sup"); do
		say "pid $p: $(tr '\0' ' ' <"/proc/$p/cmdline")"
	done
	run=/proc/$sup/root/var/run/libvirt
	say "sockets in /var/run/libvirt: $(cd "$run" && find . -maxdepth 1 -type s -printf '%f ')"
	log_msgs "$POD-compute" 'restricted flags' | sed -E 's/ \(.*\): an upstream libvirt\? running it without them,/:/; s/^/   /'
	virsh -c "qemu:///session?socket=$run/libvirt-sock" list --all >/dev/null 2>&1 &&
		say "virsh from the host, on that socket: libvirt answers (list --all)"

	step "6. The guest powers off: the launcher reports SHUTDOWN, the pod winds down in order"
	t0=$(now_ms)
	podman kill --signal USR1 "$POD-compute" >/dev/null
	code=$(podman wait "$POD-compute")
	say "compute exited with code $code after $(($(now_ms) - t0)) ms; its last words:"
	log_msgs "$POD-compute" '^(forwarding|the guest|termination log:|SHUTDOWN|MAIN|stopping|virt[a-z]+ exited|removed|exiting)' |
		sed 's/^/     /'
	say "termination log (what kubelet reports as the container's message):"
	say "  $(cat "$WORK/termination-log")"
	if has volumedisk0; then
		for c in volumedisk0 volumedisk1; do
			say "$c exited with code $(podman wait "$POD-$c"): $(log_msgs "$POD-$c" 'anymore|exiting')"
		done
	fi
fi

step "7. The pod is stopped (SIGTERM to what still runs)"
running=$(for c in $(pod_ctrs "$POD"); do [ "$(ctr_state "$c")" = running ] && echo "${c#"$POD"-}"; done | tr '\n' ' ')
say "still running: ${running:-nothing}"
t0=$(now_ms)
pod_stop "$POD" 10
say "podman pod stop took $(($(now_ms) - t0)) ms"
for c in $(pod_ctrs "$POD"); do
	printf '   %-26s exit code %s\n' "${c#"$POD"-}" "$(ctr_exit_code "$c")"
done
if has virtiofs-shared && [ -n "${v:-}" ]; then
	say "virtiofs-shared: the placeholder forwarded SIGTERM to virtiofsd, which (the C one) dies of it;"
	say "the placeholder exits with virtiofsd's status, 128 + 15 = 143."
fi
say "pod state: $(podman pod inspect --format '{{.State}}' "$POD")"
pod_down "$WORK/vm.yaml" 10
left=$(podman ps -a --filter "pod=$POD" -q | wc -l)
vols=$(podman volume ls -q | grep -c "^$POD-")
say "after kube down: $left containers, $vols volumes left."
printf '\nDone. Tests: make test; figures: make bench; details: images/README.md.\n'
