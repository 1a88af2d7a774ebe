# shellcheck shell=bash
# Shared by the e2e suites, the demo and the pod benchmark: the pods of images/pods/ made runnable
# by podman (tests/e2e/pods.py), and virt-handler's views of a running pod from the host.

E2E_PODS=$TETHER_ROOT/tests/e2e/pods.py

# pod_yaml SRC DST POD [TERMLOG]: SRC's pod as DST, named POD, with the podman-only changes of
# tests/e2e/pods.py (unique volume names, TERMLOG mounted at /dev/termination-log in compute).
pod_yaml() {
	[ -z "${4:-}" ] || { : >>"$4" && chown 107:107 "$4"; } || return 1
	python3 "$E2E_PODS" play "$1" "$2" "$3" ${4:+"$4"}
}

# pod_up YAML: plays YAML; the volumes its PVCs become are removed by pod_gone or img_cleanup.
# Two podman 4.3.1 faults are handled (images/NOTES.md): each init container kube play removes
# logs "Removing container ... from database: no container with ID ... found in DB" (not shown),
# and now and then kube play fails with "failed to remove once init container ... as it is
# running" (podman#18477): the pod is then removed and played once more, and that is said.
pod_up() {
	local err=${E2E:-/tmp}/kube-play.err rc
	mapfile -t -O ${#_img_volumes[@]} _img_volumes < <(python3 "$E2E_PODS" claims "$1")
	pod_play "$1" 2>"$err"
	rc=$?
	if [ $rc -ne 0 ] && grep -q 'failed to remove once init container' "$err"; then
		echo "    podman#18477 (an init container not yet seen as exited): playing the pod again" >&2
		podman kube down "$1" >/dev/null 2>&1
		pod_play "$1" 2>"$err"
		rc=$?
	fi
	grep -v 'level=error msg="Removing container [0-9a-f]* from database: no container with ID' "$err" >&2
	rm -f "$err"
	return $rc
}

# pod_gone YAML [GRACE]: pod_down, and the PVCs' volumes too (kube down leaves them).
pod_gone() {
	local v
	pod_down "$@"
	for v in $(python3 "$E2E_PODS" claims "$1"); do
		podman volume rm --force "$v" >/dev/null 2>&1
	done
}

# kubelet_view POD YAML: builds virt-handler's view of the emptyDirs of POD (played from YAML) and
# prints the pod's UID (podman's pod ID). kubelet keeps an emptyDir at
# /var/lib/kubelet/pods/<uid>/volumes/kubernetes.io~empty-dir/<name>; kube play keeps it as the
# podman volume POD-<name> (pods.py), at that volume's mountpoint. The view links the first, under
# $KUBELET_PODS, to the second, so the suites reach every socket by the path virt-handler computes
# (emptydir).
kubelet_view() {
	local pod=$1 uid dir c type name src names
	uid=$(podman pod inspect --format '{{.Id}}' "$pod") || return 1
	dir=$KUBELET_PODS/$uid/volumes/kubernetes.io~empty-dir
	mkdir -p "$dir" || return 1
	names=" $(python3 "$E2E_PODS" emptydirs "$2" | tr '\n' ' ') "
	for c in $(pod_ctrs "$pod"); do
		while read -r type name src; do
			[ "$type" = volume ] || continue
			case $names in *" $name "*) ln -sfn "$src" "$dir/${name#"$pod"-}" ;; esac
		done < <(podman inspect --format '{{range .Mounts}}{{.Type}} {{.Name}} {{.Source}}{{"\n"}}{{end}}' "$c")
	done
	echo "$uid"
}

# emptydir UID NAME: where virt-handler finds the emptyDir NAME of pod UID
# (e.g. pkg/container-disk/container-disk.go:382-384 for container-disks).
emptydir() {
	echo "$KUBELET_PODS/$1/volumes/kubernetes.io~empty-dir/$2"
}

# vol_path VOLUME: the host directory of a podman volume.
vol_path() {
	podman volume inspect --format '{{.Mountpoint}}' "$1"
}

# peer_pid SOCKET: the pid of the process listening on SOCKET (SO_PEERCRED), as virt-handler's
# isolation detector finds it.
peer_pid() {
	"$E2E_PEERCRED" "$1" | awk '{ print $1 }'
}

# assert_gone YAML POD [PID...]: (in a suite) pod_gone of POD leaves no pod, no volume and none
# of the PIDs.
assert_gone() {
	local yaml=$1 pod=$2 p
	shift 2
	pod_gone "$yaml" 10
	assertFalse "pod $pod gone" "podman pod exists $pod"
	assertEquals "its volumes gone (emptyDirs and the PVCs')" "" "$(podman volume ls -q | grep "^$pod-")"
	for p in "$@"; do
		assertFalse "pid $p gone" "[ -d /proc/$p ]"
	done
}

# died_code CONTAINER: the exit code podman's event log recorded for CONTAINER (also for init
# containers, which kube play removes once they ran), empty if none.
died_code() {
	podman events --stream=false --filter "container=$1" --filter event=died \
		--format '{{.ContainerExitCode}}' 2>/dev/null | tail -1
}

# propagation CONTAINER DEST: the propagation podman gave CONTAINER's mount on DEST (kube play maps
# HostToContainer to rslave, none to rprivate).
propagation() {
	podman inspect --format '{{range .Mounts}}{{.Destination}} {{.Propagation}}{{"\n"}}{{end}}' "$1" |
		awk -v d="$2" '$1 == d { print $2 }'
}

# e2e_helpers DIR: builds the host-side helpers into DIR (E2E_PEERCRED).
e2e_helpers() {
	E2E_PEERCRED=$1/peercred
	[ -x "$E2E_PEERCRED" ] || img_cc "$E2E_PEERCRED" "$TETHER_ROOT/tests/images/peercred.c"
}

# e2e_images [IMAGE...]: builds the images the suites need from the static binaries (build/,
# or TETHER_IMAGE_BUILD); images already built from the same binaries are kept (images/build.sh),
# so a test run builds each image once.
e2e_images() {
	TETHER_IMAGE_BUILD=${TETHER_IMAGE_BUILD:-$TETHER_ROOT/build} "$TETHER_ROOT/images/build.sh" "$@"
}

# e2e_setup [IMAGE...]: podman's environment, a work directory $E2E with the helpers and the
# kubelet view ($KUBELET_PODS), and the images built (all of them without arguments);
# UNAVAILABLE says what the machine lacks, empty if it can run; a helper or image of the
# project's own that does not build is setup_failed (every test FAILs), not a skip.
e2e_setup() {
	img_env
	UNAVAILABLE=$(img_unavailable_reason) || UNAVAILABLE=
	E2E=
	[ -z "$UNAVAILABLE" ] || return 0
	python3 -c 'import yaml' 2>/dev/null || { UNAVAILABLE="python3-yaml is not installed"; return 0; }
	E2E=$(mktemp -d /tmp/tether-e2e.XXXXXX)
	chmod 755 "$E2E"
	KUBELET_PODS=$E2E/kubelet/pods
	e2e_helpers "$E2E" || { setup_failed "cannot build the peercred helper"; return 0; }
	e2e_images "$@" >"$E2E/images.txt" 2>&1 ||
		{ cat "$E2E/images.txt"; setup_failed "images/build.sh $* failed"; }
}
