#!/bin/bash
# Demo, the VM pod: the life of a VM's virt-launcher pod, as KubeVirt v1.6.2 renders it with
# tether's few changes (images/pods/kubevirt/virt-launcher.yaml; TETHER_DEMO_RENDERING=deckhouse
# for Deckhouse's), run for real with podman and narrated step by step. This script plays
# virt-handler's part from the host, at the paths virt-handler computes. `make demo` has already
# installed what was missing (make deps) and built the binaries.
set -u
cd "$(dirname "$0")/../.." || exit 1
export TETHER_ROOT=$PWD
TETHER_BUILD=$(realpath "${TETHER_BUILD:-build}")
. images/lib.sh
. tests/e2e/lib.sh
img_env

RENDERING=${TETHER_DEMO_RENDERING:-kubevirt}
case $RENDERING in
kubevirt) COMPUTE=compute ;;
deckhouse) COMPUTE=d8v-compute ;;
*) echo "demo: TETHER_DEMO_RENDERING is kubevirt or deckhouse" >&2; exit 2 ;;
esac
POD=tether-demo-vm
WORK=$(mktemp -d /tmp/tether-demo.XXXXXX)
chmod 755 "$WORK"
E2E=$WORK
KUBELET_PODS=$WORK/kubelet/pods
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

if reason=$(img_unavailable_reason); then
	echo "demo: podman cannot run containers here: $reason" >&2
	exit 1
fi

step "1. Images: FROM scratch, from the static binaries in ${TETHER_BUILD#"$TETHER_ROOT"/}"
TETHER_IMAGE_BUILD=$TETHER_BUILD images/build.sh pause launcher disk-demo | sed 's/^/   /'
if ! img_exists localhost/tether-launcher:latest; then
	say "The launcher image needs tether, tether-supervise and container-disk: build them (make)."
	exit 1
fi
e2e_helpers "$WORK"

step "2. The virt-launcher pod virt-controller renders ($RENDERING), with tether's changes"
say "images/pods/$RENDERING/virt-launcher.yaml: what virt-controller renders, except the lines"
say "the differences table of images/README.md lists ($(grep -c '# tether:' "images/pods/$RENDERING/virt-launcher.yaml") marked lines)."
pod_yaml "images/pods/$RENDERING/virt-launcher.yaml" "$WORK/vm.yaml" "$POD" "$WORK/termination-log"
t0=$(now_ms)
pod_up "$WORK/vm.yaml" && pod_wait_running "$POD" 60 || { echo "demo: the pod did not start" >&2; exit 1; }
uid=$(kubelet_view "$POD" "$WORK/vm.yaml")
ctr_wait_log "$POD-volumedisk0" 'listening on' 10 && ctr_wait_log "$POD-volumedisk1" 'listening on' 10
ctr_wait_log "$POD-virtiofs-shared" "placeholder listening on" 10
ctr_wait_log "$POD-$COMPUTE" 'libvirt answers' 30
say "kube play → init containers done, every container running and ready: $(($(now_ms) - t0)) ms"
podman events --stream=false --filter event=died --format '{{.Name}} {{.ContainerExitCode}}' 2>/dev/null |
	awk -v p="$POD-" 'index($1, p) == 1 { printf "   init container %-28s exit code %s\n", substr($1, length(p) + 1), $2 }'
for c in $(pod_ctrs "$POD"); do
	pid=$(ctr_pid "$c")
	printf '   %-26s host pid %-7s PID 1 inside: %-30s uid %s, cgroup %s\n' "${c#"$POD"-}" "$pid" \
		"$(readlink "/proc/$pid/exe")" "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" \
		"$(cgroup_of "$pid" | short)"
done
say "The disk containers run the holder the init container copied out of the launcher image into"
say "virt-bin-share-dir: the disk image itself holds /disk/disk.img and nothing else."

step "3. virt-handler finds the container disks (container-disk holders)"
dir=$(emptydir "$uid" container-disks)
say "the pod's UID: $(echo "$uid" | short); the container-disks emptyDir as kubelet lays it out:"
say "  ${dir#"$WORK"/}"
for i in 0 1; do
	# shellcheck disable=SC2046 # "pid uid gid", one word each
	set -- $("$E2E_PEERCRED" "$dir/disk_$i.sock")
	say "disk_$i.sock → SO_PEERCRED pid $1 (uid $2, gid $3) = volumedisk$i's PID 1; /proc/$1/root/disk/disk.img:" \
		"$(stat -c '%s bytes, owner %u' "/proc/$1/root/disk/disk.img")"
done
# shellcheck disable=SC2046 # "pid uid gid", one word each
set -- $("$E2E_PEERCRED" "$(emptydir "$uid" sockets)/launcher-sock")
say "sockets/launcher-sock → pid $1: $(cat "/proc/$1/comm") (virt-launcher's place), uid $2"

step "4. virt-handler starts virtiofsd in the virtiofs container (the dispatcher, tether-enter)"
sock=$(emptydir "$uid" virtiofs-sockets)/shared.sock
ph=$("$E2E_PEERCRED" "$sock" | cut -d' ' -f1)
say "virtiofs-sockets/shared.sock → pid $ph (tether as virtiofs-placeholder, uid 107)"
v=
if [ -x "$TETHER_BUILD/tether-enter" ] && [ -e "/proc/$ph/root/usr/libexec/virtiofsd" ]; then
	ln -sfn "$TETHER_BUILD/tether-enter" "$WORK/virtiofs-dispatcher"
	"$WORK/virtiofs-dispatcher" --pid "$ph" --socket-path /var/run/kubevirt/virtiofs-containers/shared.sock \
		--shared-dir /shared 2>"$WORK/enter.log"
	say "virtiofs-dispatcher --pid $ph --socket-path ... --shared-dir /shared: exit code $?"
	ctr_wait_log "$POD-virtiofs-shared" 'Waiting for vhost-user' 10
	v=$(pgrep -P "$ph")
	if [ -n "$v" ]; then
		say "virtiofsd: pid $v, parent $(awk '/^PPid:/ { print $2 }' "/proc/$v/status") (the placeholder)," \
			"uid $(awk '/^Uid:/ { print $2 }' "/proc/$v/status"), cgroup $(cgroup_of "$v" | short)"
		same=yes
		for ns in cgroup ipc mnt net pid uts; do
			[ "$(readlink "/proc/$ph/ns/$ns")" = "$(readlink "/proc/$v/ns/$ns")" ] || same="no ($ns differs)"
		done
		say "same cgroup, ipc, mnt, net, pid and uts namespaces as the placeholder: $same"
		say "its vhost-user socket for QEMU: virtiofs-containers/shared.sock"
	fi
else
	say "tether-enter is not built, or the image has no virtiofsd: the placeholder just waits."
fi

step "5. The compute container: tether-supervise runs the libvirt daemons and the launcher"
one=$(ctr_pid "$POD-$COMPUTE")
sup=$one
[ "$RENDERING" = deckhouse ] && { say "PID 1: $(tr '\0' ' ' <"/proc/$one/cmdline" | cut -c1-60)... (tini is tether)"; sup=$(pgrep -P "$one"); }
for p in $(pgrep -P "$sup"); do
	say "pid $p: $(tr '\0' ' ' <"/proc/$p/cmdline")"
done
run=/proc/$sup/root/var/run/libvirt
say "sockets in /var/run/libvirt: $(cd "$run" && find . -maxdepth 1 -type s -printf '%f ')"
log_msgs "$POD-$COMPUTE" 'restricted flags' | sed -E 's/ \(.*\): an upstream libvirt\? running it without them,/:/; s/^/   /'
virsh -c "qemu:///session?socket=$run/libvirt-sock" list --all >/dev/null 2>&1 &&
	say "virsh from the host, on that socket: libvirt answers (list --all)"

step "6. The guest powers off: the launcher reports SHUTDOWN, the pod winds down in order"
t0=$(now_ms)
podman kill --signal USR1 "$POD-$COMPUTE" >/dev/null
code=$(podman wait "$POD-$COMPUTE")
say "compute exited with code $code after $(($(now_ms) - t0)) ms; its last words:"
log_msgs "$POD-$COMPUTE" '^(forwarding|the guest|termination log:|SHUTDOWN|MAIN|stopping|virt[a-z]+ exited|removed|exiting)' |
	sed 's/^/     /'
say "termination log (what kubelet reports as the container's message):"
say "  $(cat "$WORK/termination-log")"
for c in volumedisk0 volumedisk1; do
	say "$c exited with code $(podman wait "$POD-$c"): $(log_msgs "$POD-$c" 'anymore|exiting')"
done

step "7. The pod is stopped (SIGTERM to what still runs)"
running=$(for c in $(pod_ctrs "$POD"); do [ "$(ctr_state "$c")" = running ] && echo "${c#"$POD"-}"; done | tr '\n' ' ')
say "still running: ${running:-nothing}"
t0=$(now_ms)
pod_stop "$POD" 10
say "podman pod stop took $(($(now_ms) - t0)) ms"
for c in $(pod_ctrs "$POD"); do
	printf '   %-26s exit code %s\n' "${c#"$POD"-}" "$(ctr_exit_code "$c")"
done
if [ -n "$v" ]; then
	say "virtiofs-shared: the placeholder (uid 107) may not signal the root virtiofsd; SIGTERM went"
	say "through the stop channel the dispatcher registered: $(log_msgs "$POD-virtiofs-shared" 'virtiofsd .* exited')"
fi
say "pod state: $(podman pod inspect --format '{{.State}}' "$POD")"
pod_gone "$WORK/vm.yaml" 10
left=$(podman ps -a --filter "pod=$POD" -q | wc -l)
vols=$(podman volume ls -q | grep -c "^$POD-")
say "after kube down: $left containers, $vols volumes left."
printf '\nDone. Tests: make test; figures: make bench; details: images/README.md.\n'
