#!/bin/bash
# The virt-launcher pod as KubeVirt v1.6.2 renders it, with tether's changes
# (images/pods/kubevirt/virt-launcher.yaml), under podman: time from `kube play` to every container
# running (and, for tether, ready: disk sockets listening, placeholder answering, libvirt answering
# the launcher), and from SIGTERM (`podman pod stop`) to every container gone. Beside it, the same
# pod with other holders in the two disk containers: KubeVirt's own holder there (the incumbent
# of this pod: container-disk --copy-path, which exits 0 on SIGTERM; the re-implementation of
# bench/peers/, as KubeVirt's code is not built here). For context only, two strawmen that
# KubeVirt's virt-launcher pod does not run (`sleep infinity` is the image holder of another
# pod, virt-handler's): `sleep infinity` as PID 1, and tini running it, in the disk and virtiofs
# containers. KubeVirt's compute container (virt-launcher-monitor, virt-launcher) and its Rust
# virtiofsd cannot run here, so every variant keeps tether's compute container, and the
# KubeVirt variant tether's placeholder: the rows compare the holders.
#   BENCH_PODS_RUNS (default 3) runs of each.
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.." || exit 1
export TETHER_ROOT=$PWD
. images/lib.sh
. tests/e2e/lib.sh
img_env
RUNS=${BENCH_PODS_RUNS:-3}
POD=tether-bench-vm

if reason=$(img_unavailable_reason); then
	row "launcher pod: podman cannot run here ($reason)" - - - ms
	exit 0
fi
W=$(mktemp -d /tmp/tether-bench-pods.XXXXXX)
chmod 755 "$W"
trap 'img_cleanup; img_rm localhost/tether-bench-sleep:latest localhost/tether-bench-tini:latest localhost/tether-bench-kubevirt:latest; rm -rf "$W"' EXIT

TETHER_IMAGE_BUILD=${TETHER_IMAGE_BUILD:-$TETHER_ROOT/build} \
	images/build.sh pause launcher disk-demo >"$W/images.txt" 2>&1
for i in launcher disk-demo; do
	if ! img_exists "localhost/tether-$i:latest"; then
		cat "$W/images.txt" >&2
		echo "bench_pods: image tether-$i failed to build" >&2
		exit 1
	fi
done
img_cc "$W/peercred" tests/images/peercred.c && E2E_PEERCRED=$W/peercred

# The incumbent holders: coreutils' sleep with its libraries, alone or under tini-static.
incumbent_images() {
	local ctx=$W/ctx-$1
	mkdir -p "$ctx/root"
	images/assemble-rootfs.sh "$ctx/root" /usr/bin/sleep || return 1
	if [ "$1" = tini ]; then
		mkdir -p "$ctx/root/usr/bin" && cp "$(command -v tini-static)" "$ctx/root/usr/bin/tini-static" || return 1
		printf 'FROM scratch\nCOPY root/ /\nENTRYPOINT ["/usr/bin/tini-static", "--", "/usr/bin/sleep", "infinity"]\n' >"$ctx/Containerfile"
	else
		printf 'FROM scratch\nCOPY root/ /\nENTRYPOINT ["/usr/bin/sleep", "infinity"]\n' >"$ctx/Containerfile"
	fi
	img_build "localhost/tether-bench-$1:latest" "$ctx"
}
incumbent_images sleep || { row "launcher pod: could not build the sleep image" - - - ms; exit 0; }
# KubeVirt's holder (the re-implementation, musl, tether's flags) alone in a FROM scratch image.
kubevirt_image() {
	local ctx=$W/ctx-kubevirt
	mkdir -p "$ctx"
	. bench/peers/flags.sh
	# shellcheck disable=SC2086 # PEER_FLAGS is a list of flags
	musl-gcc $PEER_FLAGS -o "$ctx/container-disk" bench/peers/kubevirt-container-disk.c || return 1
	printf 'FROM scratch\nCOPY container-disk /usr/bin/container-disk\n' >"$ctx/Containerfile"
	img_build localhost/tether-bench-kubevirt:latest "$ctx"
}
kubevirt_image || { row "launcher pod: could not build the KubeVirt holder's image" - - - ms; exit 0; }
HAVE_TINI=
command -v tini-static >/dev/null && incumbent_images tini && HAVE_TINI=1

# variant_yaml VARIANT OUT: the pod, with VARIANT's holders (tether, kubevirt, sleep or tini):
# kubevirt runs KubeVirt's holder with the rendered --copy-path in the disk containers; sleep and
# tini run the bench image's entrypoint instead of the command in the disk and virtiofs ones.
variant_yaml() {
	pod_yaml images/pods/kubevirt/virt-launcher.yaml "$2" "$POD" "$W/tl" || return 1
	[ "$1" = tether ] && return 0
	python3 - "$2" "localhost/tether-bench-$1:latest" <<'PY'
import sys, yaml
path, image = sys.argv[1], sys.argv[2]
pod = yaml.safe_load(open(path))
kubevirt = image.endswith("-kubevirt:latest")
for c in pod["spec"]["containers"]:
    if kubevirt and c["name"].startswith("volumedisk"):
        c["image"] = image
        c["command"] = ["/usr/bin/container-disk"]
        c["args"] = ["-c", c["args"][c["args"].index("--copy-path") + 1]]
        c["volumeMounts"] = [m for m in c.get("volumeMounts", []) if m["mountPath"] != "/usr/bin"]
    elif not kubevirt and (c["name"].startswith("volumedisk") or c["name"].startswith("virtiofs-")):
        c["image"] = image
        c.pop("command", None)
        c.pop("args", None)
        # virt-bin-share-dir on /usr/bin brings tether's holder; it would hide the
        # bench image's own /usr/bin/sleep.
        c["volumeMounts"] = [m for m in c.get("volumeMounts", []) if m["mountPath"] != "/usr/bin"]
yaml.safe_dump(pod, open(path, "w"), sort_keys=False)
PY
}

ms_since() { echo $((($(now_ns) - $1) / 1000000)); }

# run VARIANT: one pod life; appends "running ready stop" (ms) to $W/VARIANT.
run() {
	local t0 running ready stop c
	variant_yaml "$1" "$W/$1.yaml" || return 1
	t0=$(now_ns)
	pod_up "$W/$1.yaml" && pod_wait_running "$POD" 60 || return 1
	running=$(ms_since "$t0")
	ctr_wait_log "$POD-compute" 'libvirt answers' 30 || return 1
	if [ "$1" = tether ]; then
		ctr_wait_log "$POD-volumedisk0" 'listening on' 10 && ctr_wait_log "$POD-volumedisk1" 'listening on' 10 &&
			ctr_wait_log "$POD-virtiofs-shared" "placeholder listening on" 10 || return 1
	fi
	ready=$(ms_since "$t0")
	t0=$(now_ns)
	pod_stop "$POD" 10
	stop=$(ms_since "$t0")
	for c in volumedisk0 virtiofs-shared; do
		echo "$1 $c $(ctr_exit_code "$POD-$c")" >>"$W/codes"
	done
	pod_gone "$W/$1.yaml" 10
	echo "$running $ready $stop" >>"$W/$1"
}

VARIANTS="tether kubevirt sleep"
[ -n "$HAVE_TINI" ] && VARIANTS="$VARIANTS tini"
for i in $(seq "$RUNS"); do
	for v in $VARIANTS; do
		run "$v" 2>>"$W/podman.err" || { row "launcher pod ($v): run $i failed" - - - ms; img_cleanup; }
	done
done

med() { [ -s "$W/$1" ] && awk -v f="$2" '{ print $f }' "$W/$1" | stats 1 0 || echo -; }
code() { awk -v v="$1" -v c="$2" '$1 == v && $2 == c { print $3; exit }' "$W/codes"; }

for v in kubevirt sleep tini; do
	case " $VARIANTS " in *" $v "*) ;; *) continue ;; esac
	case $v in
	kubevirt) peer="KubeVirt's disk holders (re-impl.; the incumbent)" ;;
	sleep) peer="strawman: sleep infinity (not in this pod)" ;;
	tini) peer="strawman: tini + sleep infinity (not in this pod)" ;;
	esac
	row "launcher pod: kube play → all containers running (median [min–max] of $RUNS)" "$(med tether 1)" "$peer" "$(med $v 1)" ms
	row "launcher pod: pod stop (SIGTERM) → all containers gone (median [min–max] of $RUNS)" "$(med tether 3)" "$peer" "$(med $v 3)" ms
	echo "| launcher pod: exit code of a disk holder / the virtiofs container on SIGTERM |" \
		"$(code tether volumedisk0) / $(code tether virtiofs-shared) | $peer |" \
		"$(code $v volumedisk0) / $(code $v virtiofs-shared) | - |"
done
echo "| launcher pod: kube play → all ready (sockets answer, libvirt answers) (median [min–max] of $RUNS) |" \
	"$(med tether 2) ms | tether only: the other holders announce nothing | - | - |"
