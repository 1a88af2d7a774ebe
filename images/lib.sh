# images/lib.sh: podman/buildah helpers for tether's images, pods, tests and demo.
# Source it from bash:  . images/lib.sh; img_env
# Settings and their reasons: images/containers.conf and images/NOTES.md.

TETHER_IMAGES_DIR=${TETHER_IMAGES_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
# The pod infra image: whatever containers.conf names, so the two never disagree.
TETHER_INFRA_IMAGE=$(sed -n 's/^infra_image *= *"\(.*\)"/\1/p' "$TETHER_IMAGES_DIR/containers.conf")
# "podman" is the plain bridge network: no DNS, so no aardvark-dns daemon per pod (kube play's
# own default network starts one, and it complains "failed to connect to syslog" here).
TETHER_POD_NETWORK=${TETHER_POD_NETWORK:-podman}
TETHER_CC=${TETHER_CC:-musl-gcc}
TETHER_CFLAGS=${TETHER_CFLAGS:--std=gnu11 -Wall -Wextra -Werror -static -Os}

_img_pods=()	# every pod pod_play was asked to create, for img_cleanup
_img_volumes=()	# volumes vol_tmpfs created, for img_cleanup

img_log() { printf 'images: %s\n' "$*" >&2; }

# Point podman and buildah at the repository's configuration.
img_env() {
	export CONTAINERS_CONF="$TETHER_IMAGES_DIR/containers.conf"
}

# Succeeds when podman can run containers here; otherwise prints why on stdout.
img_unavailable_reason() {
	local t
	for t in podman runc conmon; do
		command -v "$t" >/dev/null 2>&1 || { echo "$t is not installed"; return 0; }
	done
	[ "$(id -u)" = 0 ] || { echo "podman tests need root (rootful podman)"; return 0; }
	img_env
	podman info >/dev/null 2>&1 || { echo "podman info fails: $(podman info 2>&1 | tail -1)"; return 0; }
	return 1
}

# img_build NAME DIR [ARCH]: build DIR/Containerfile (FROM scratch) with DIR as context, for ARCH
# (podman's --arch: the image's config says it) when given. The image NAME named before is removed
# when nothing else names it, so rebuilds leave no <none> images.
img_build() {
	local old new
	old=$(podman image inspect --format '{{.Id}}' "$1" 2>/dev/null)
	new=$(podman build --quiet --layers=false ${3:+--arch "$3"} --tag "$1" --file "$2/Containerfile" "$2") || return 1
	if [ -n "$old" ] && [ "$old" != "$new" ] &&
	    [ -z "$(podman image inspect --format '{{join .RepoTags " "}}' "$old" 2>/dev/null)" ]; then
		podman rmi "$old" >/dev/null 2>&1
	fi
	return 0
}

# img_size NAME: the image's size in bytes.
img_size() {
	podman image inspect --format '{{.Size}}' "$1"
}

img_exists() { podman image exists "$1"; }

img_rm() { podman rmi --force "$@" >/dev/null 2>&1 || true; }

# img_cc OUT SRC...: compile a static test or helper program with musl.
img_cc() {
	local out=$1
	shift
	# shellcheck disable=SC2086 # TETHER_CFLAGS is a list of flags
	"$TETHER_CC" $TETHER_CFLAGS -o "$out" "$@"
}

# Build the pod infra image (infra_image in containers.conf): `tether --pause`, from the static
# tether in $TETHER_IMAGE_BUILD (default build/) by images/build.sh.
img_build_pause() {
	"$TETHER_IMAGES_DIR/build.sh" pause >/dev/null && img_exists "$TETHER_INFRA_IMAGE" ||
		{ img_log "no pod infra image: build tether first (make)"; return 1; }
}

img_infra_ensure() {
	img_exists "$TETHER_INFRA_IMAGE" || img_build_pause
}

# pod_play YAML: create and start the pods of a Kubernetes YAML file.
pod_play() {
	img_infra_ensure || return 1
	# Recorded before playing: a failed play can leave a created pod behind.
	mapfile -t -O ${#_img_pods[@]} _img_pods < <(pod_names "$1")
	podman kube play --network "$TETHER_POD_NETWORK" "$1" >/dev/null
}

# vol_tmpfs NAME: a tmpfs volume. kube play ignores emptyDir's medium: Memory (it makes a disk
# volume named after the emptyDir) but uses an existing volume of that name: create it first.
vol_tmpfs() {
	podman volume create --opt type=tmpfs --opt device=tmpfs --opt o=nodev,nosuid "$1" >/dev/null &&
		_img_volumes+=("$1")
}

# pod_stop POD [GRACE]: SIGTERM to every container, SIGKILL after GRACE seconds (podman's
# default 10: kube play ignores terminationGracePeriodSeconds).
pod_stop() {
	podman pod stop ${2:+--time "$2"} "$1" >/dev/null
}

# pod_down YAML [GRACE]: stop the YAML's pods gracefully, then remove them with their
# containers and emptyDir volumes. (`podman kube down` alone sends SIGKILL, not SIGTERM.)
pod_down() {
	local pod
	for pod in $(pod_names "$1"); do
		podman pod exists "$pod" && pod_stop "$pod" "$2"
	done
	podman kube down "$1" >/dev/null
}

# pod_names YAML: metadata.name of each Pod in the file (as `kube play` names the pods).
pod_names() {
	awk 'function flush() { if (kind == "Pod" && name != "") print name; kind = name = ""; meta = 0 }
	     /^---/ { flush(); next }
	     /^kind:/ { kind = $2 }
	     /^metadata:/ { meta = 1; next }
	     /^[^ #]/ { meta = 0 }
	     meta && name == "" && /^  name:/ { name = $2; gsub(/["\047]/, "", name) }
	     END { flush() }' "$1"
}

# pod_ctrs POD: the pod's container names, infra excluded.
pod_ctrs() {
	podman ps --all --filter "pod=$1" --format '{{.Names}} {{.IsInfra}}' |
		awk '$2 == "false" { print $1 }'
}

# pod_wait_running POD TIMEOUT: wait until every container of POD runs. podman 4.3.1 has
# `podman wait --condition`; it returns as soon as a container is running or has exited
# (podman checks the state every --interval), then all must be running.
pod_wait_running() {
	local ids
	ids=$(podman pod inspect --format '{{range .Containers}}{{.Id}} {{end}}' "$1") || return 1
	# shellcheck disable=SC2086 # one argument per container
	timeout "$2" podman wait --interval 50ms --condition running --condition exited \
		--condition stopped $ids >/dev/null || { img_log "pod $1: not running after $2 s"; return 1; }
	# shellcheck disable=SC2086
	! podman inspect --format '{{.Name}} {{.State.Status}}' $ids | grep -v ' running$' >&2
}

# ctr_pid CONTAINER: host PID of the container's PID 1.
ctr_pid() {
	podman inspect --format '{{.State.Pid}}' "$1"
}

# ctr_exit_code CONTAINER: exit status of an exited container (128+N after signal N).
ctr_exit_code() {
	podman inspect --format '{{.State.ExitCode}}' "$1"
}

# ctr_state CONTAINER: created, running, exited, ...
ctr_state() {
	podman inspect --format '{{.State.Status}}' "$1"
}

# ctr_logs CONTAINER: the container's stdout on stdout, its stderr on stderr.
ctr_logs() {
	podman logs "$1"
}

# ctr_wait_log CONTAINER REGEX [SECONDS]: wait until the container's log (stdout or stderr) has
# a line matching REGEX; tail -F wakes on inotify, nothing is polled.
ctr_wait_log() {
	local log fd tpid rc
	log=$(podman inspect --format '{{.HostConfig.LogConfig.Path}}' "$1") || return 1
	exec {fd}< <(exec timeout "${3:-10}" tail -n +1 -F "$log" 2>/dev/null)
	tpid=$!
	grep -q -m1 -E "$2" <&"$fd"
	rc=$?
	kill "$tpid" 2>/dev/null
	exec {fd}<&-
	return $rc
}

# Remove every pod (with its containers and emptyDir volumes) that pod_play created, and the
# volumes of vol_tmpfs. Stopping first makes the removal fast: `pod rm --force` straight after
# SIGKILL spends ~3 s retrying the removal of the pod's cgroup (cgroupfs).
img_cleanup() {
	local pod
	for pod in "${_img_pods[@]}"; do
		podman pod exists "$pod" || continue
		podman pod stop --time 0 "$pod" >/dev/null 2>&1
		podman pod rm --force "$pod" >/dev/null 2>&1
	done
	_img_pods=()
	[ ${#_img_volumes[@]} -eq 0 ] || podman volume rm --force "${_img_volumes[@]}" >/dev/null 2>&1
	_img_volumes=()
}
