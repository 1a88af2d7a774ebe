# shellcheck shell=bash
# Shared by the e2e suites, the demo and the pod benchmark: the repository's pod YAML made
# runnable by podman (see the header of images/pods/virt-launcher.yaml), and virt-handler's
# views of a running pod from the host.

# pod_yaml SRC DST OLD NEW [TERMLOG [DROP]]: SRC with every name starting with OLD renamed to
# start with NEW (unique emptyDir volumes per pod), TERMLOG, a host file, mounted at
# /dev/termination-log where SRC has the "# podman: termination-log" comments, and without the
# containers named in DROP (a space-separated list: roles not built yet).
pod_yaml() {
	local tl=${5:-}
	[ -z "$tl" ] || { : >>"$tl" && chown 107:107 "$tl"; } || return 1
	awk -v old="$3" -v new="$4" -v tl="$tl" -v drop=" ${6:-} " '
		/^  - name: / { skip = index(drop, " " $3 " ") > 0 }
		/^  [a-z]/ { skip = 0 }
		skip { next }
		{ gsub(old, new) }
		/^ *# podman: termination-log volume$/ {
			if (tl != "") print "  - {name: " new "-termination-log, hostPath: {path: " tl ", type: FileOrCreate}}"
			next
		}
		/^ *# podman: termination-log$/ {
			if (tl != "") print "    - {name: " new "-termination-log, mountPath: /dev/termination-log}"
			next
		}
		{ print }' "$1" >"$2"
}

# vol_path VOLUME: the host directory of a podman volume (an emptyDir), as kubelet's
# /var/lib/kubelet/pods/<uid>/volumes/kubernetes.io~empty-dir/<name> is for virt-handler.
vol_path() {
	podman volume inspect --format '{{.Mountpoint}}' "$1"
}

# peer_pid SOCKET: the pid of the process listening on SOCKET (SO_PEERCRED), as virt-handler's
# isolation detector finds it.
peer_pid() {
	"$E2E_PEERCRED" "$1" | awk '{ print $1 }'
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

# e2e_setup [IMAGE...]: podman's environment, a work directory $E2E with
# the helpers, and the images built (all of them without arguments);
# UNAVAILABLE says why the suite cannot run, empty if it can.
e2e_setup() {
	img_env
	UNAVAILABLE=$(img_unavailable_reason) || UNAVAILABLE=
	E2E=
	[ -z "$UNAVAILABLE" ] || return 0
	E2E=$(mktemp -d /tmp/tether-e2e.XXXXXX)
	chmod 755 "$E2E"
	e2e_helpers "$E2E" || UNAVAILABLE="cannot build the peercred helper"
	e2e_images "$@" >"$E2E/images.txt" 2>&1 ||
		{ cat "$E2E/images.txt"; UNAVAILABLE="images failed to build"; }
}
