#!/bin/bash
# images/build.sh [IMAGE...]: builds tether's FROM-scratch images from the static binaries in
# $TETHER_IMAGE_BUILD (default build/) and prints each image's size. With no IMAGE, every image
# whose binaries exist is built; the others are listed as skipped, so this works at any stage.
#
#   pause                 localhost/tether-pause   the pod infra image (tether --pause)
#   tether                localhost/tether         the init alone
#   virtiofs              localhost/tether-virtiofs          tether --placeholder, uid 107, virtiofsd
#   container-disk-demo   localhost/tether-container-disk-demo   the holder + disk/disk.img
#   hotplug               localhost/tether-hotplug           the holder with --manage (/path/hp)
#   compute               localhost/tether-compute           tether-supervise + virtlogd + libvirtd
#                                                            + the launcher as MAIN
#
# Mount points are not created in the images: podman gives a new emptyDir volume the owner of the
# image directory it is mounted on (root, after COPY), and only an absent one the container's uid.
#
# An image is rebuilt only when what it is made from changed: each carries a label with the hash
# of its binaries and of this directory's inputs, so a test run builds each image at most once.
# TETHER_IMAGES_REBUILD=1 rebuilds anyway. An image whose binaries are missing is removed, so no
# stale image stands in for a role that is not built. Exit 1 if an image fails to build.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=$(realpath "${TETHER_IMAGE_BUILD:-$ROOT/build}")
. "$HERE/lib.sh"
img_env

ALL="pause tether virtiofs container-disk-demo hotplug compute"

image_name() {
	case $1 in
	pause) echo "$TETHER_INFRA_IMAGE" ;;
	tether) echo localhost/tether:latest ;;
	*) echo "localhost/tether-$1:latest" ;;
	esac
}

# needs IMAGE: the build products the image is made from (relative to $BIN).
needs() {
	case $1 in
	pause | tether) echo tether ;;
	virtiofs) echo tether ;;
	container-disk-demo | hotplug) echo container-disk ;;
	compute) echo "tether-supervise images/launcher" ;;
	esac
}

# is_static FILE: a static ELF (no program interpreter): the only kind an image takes as is.
is_static() {
	! LC_ALL=C readelf -l "$1" 2>/dev/null | grep -q 'program interpreter'
}

# put FILE DEST: copies a build product into the context; a dynamic one (a sanitizer build)
# brings its libraries and loader.
put() {
	mkdir -p "$CTX/root$(dirname "$2")"
	cp "$1" "$CTX/root$2"
	is_static "$1" && return 0
	# shellcheck disable=SC2046 # one path per library
	"$HERE/assemble-rootfs.sh" "$CTX/root" $(ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
}

containerfile() {
	{
		echo "FROM scratch"
		echo "COPY root/ /"
		printf '%s\n' "$@"
		echo "LABEL tether.stamp=$STAMP"
	} >"$CTX/Containerfile"
}

# stamp IMAGE: hash of what IMAGE is made from.
stamp() {
	local b
	{
		echo "$1"
		for b in $(needs "$1"); do cat "$BIN/$b"; done
		cat "$HERE/build.sh" "$HERE/compute/"*
	} | sha256sum | cut -c1-16
}

stage_pause() {
	put "$BIN/tether" /usr/bin/tether
	containerfile 'ENTRYPOINT ["/usr/bin/tether", "--pause"]'
}

stage_tether() {
	put "$BIN/tether" /usr/bin/tether
	containerfile 'ENTRYPOINT ["/usr/bin/tether", "--"]'
}

# The virtiofs container: the placeholder as PID 1 (uid 107, no capabilities). virtiofsd is not
# started by the container: virt-handler injects it with tether-enter, from this image's
# /usr/libexec/virtiofsd (Debian's C virtiofsd and its libraries, when the host has it).
stage_virtiofs() {
	put "$BIN/tether" /usr/bin/tether
	if [ -x /usr/lib/qemu/virtiofsd ]; then
		"$HERE/assemble-rootfs.sh" "$CTX/root" /usr/lib/qemu/virtiofsd || return 1
		mkdir -p "$CTX/root/usr/libexec"
		ln -s ../lib/qemu/virtiofsd "$CTX/root/usr/libexec/virtiofsd"
		# virtiofsd runs as root; QEMU (uid 107, in compute) reaches its socket through
		# --socket-group=qemu, a name virtiofsd looks up here.
		mkdir -p "$CTX/root/etc"
		cp "$HERE/compute/passwd" "$HERE/compute/group" "$HERE/compute/nsswitch.conf" "$CTX/root/etc/"
	fi
	containerfile 'USER 107:107' 'ENTRYPOINT ["/usr/bin/tether", "--placeholder"]'
}

# A container disk as KubeVirt reads it: /disk/disk.img, owned by 107, next to the holder.
stage_container_disk_demo() {
	put "$BIN/container-disk" /usr/bin/container-disk
	mkdir -p "$CTX/disk"
	if command -v qemu-img >/dev/null; then
		qemu-img create -q -f qcow2 "$CTX/disk/disk.img" 64M || return 1
	else
		truncate -s 1M "$CTX/disk/disk.img"
	fi
	containerfile 'COPY --chown=107:107 disk/ /disk/' 'USER 107:107' \
		'ENTRYPOINT ["/usr/bin/container-disk"]'
}

stage_hotplug() {
	put "$BIN/container-disk" /usr/bin/container-disk
	containerfile 'USER 107:107' 'ENTRYPOINT ["/usr/bin/container-disk"]' \
		'CMD ["--copy-path", "/path/hp", "--manage"]'
}

LIBVIRT_LIB=/usr/lib/x86_64-linux-gnu/libvirt

# The compute container: tether-supervise as PID 1, Debian's virtlogd and libvirtd (standing
# in for virtqemud) with their libraries, and the launcher in virt-launcher's place. As in
# KubeVirt's non-root mode it runs as 107 with XDG_RUNTIME_DIR=/var/run, so the daemons' sockets
# are /var/run/libvirt/{virtlogd,libvirt}-sock.
stage_compute() {
	put "$BIN/tether-supervise" /usr/bin/tether-supervise
	put "$BIN/images/launcher" /usr/bin/launcher
	"$HERE/assemble-rootfs.sh" "$CTX/root" /usr/sbin/libvirtd /usr/sbin/virtlogd \
		$LIBVIRT_LIB/connection-driver/libvirt_driver_qemu.so /usr/share/libvirt || return 1
	rm -rf "$CTX/root/usr/share/libvirt/schemas" # only virt-xml-validate reads them
	mkdir -p "$CTX/root/etc/libvirt-init"
	cp "$HERE/compute/virtqemud.conf" "$HERE/compute/virtlogd.conf" "$HERE/compute/qemu.conf" \
		"$CTX/root/etc/libvirt-init/"
	cp "$HERE/compute/passwd" "$HERE/compute/group" "$HERE/compute/nsswitch.conf" "$CTX/root/etc/"
	ln -s var/run "$CTX/root/run"
	containerfile 'USER 107:107' \
		'ENV XDG_RUNTIME_DIR=/var/run XDG_CONFIG_HOME=/var/run/kubevirt-private XDG_CACHE_HOME=/var/run/kubevirt-private HOME=/var/run/kubevirt-private PATH=/usr/bin:/usr/sbin' \
		'ENTRYPOINT ["/usr/bin/tether-supervise", "--virtqemud", "/usr/sbin/libvirtd", "--virtqemud-conf", "/var/run/libvirt/virtqemud.conf", "--virtqemud-socket", "/var/run/libvirt/libvirt-sock", "--virtlogd-conf", "/etc/libvirt/virtlogd.conf", "--prepare-dir", "/var/run/libvirt", "--prepare-dir", "/var/log/libvirt", "--prepare-dir", "/var/run/kubevirt-private/libvirt", "--", "/usr/bin/launcher", "--socket", "/var/run/libvirt/libvirt-sock"]'
}

build_one() {
	local img=$1 name b missing=
	name=$(image_name "$img")
	for b in $(needs "$img"); do
		[ -x "$BIN/$b" ] || missing="$missing $b"
	done
	if [ -n "$missing" ]; then
		img_exists "$name" && img_rm "$name"
		printf '%-22s skipped: not built yet:%s\n' "$img" "$missing"
		return 0
	fi
	if [ "$img" = virtiofs ] && ! "$BIN/tether" --help 2>&1 | grep -q -- --placeholder; then
		printf '%-22s skipped: this tether has no --placeholder yet\n' "$img"
		return 0
	fi
	STAMP=$(stamp "$img")
	if [ -z "${TETHER_IMAGES_REBUILD:-}" ] &&
	    [ "$(podman image inspect --format '{{index .Labels "tether.stamp"}}' "$name" 2>/dev/null)" = "$STAMP" ]; then
		printf '%-22s %-42s %9s bytes (up to date)\n' "$img" "$name" "$(img_size "$name")"
		return 0
	fi
	CTX=$(mktemp -d /tmp/tether-image.XXXXXX) || return 1
	mkdir "$CTX/root"
	if ! "stage_${img//-/_}" || ! img_build "$name" "$CTX"; then
		rm -rf "$CTX"
		printf '%-22s FAILED\n' "$img" >&2
		return 1
	fi
	rm -rf "$CTX"
	printf '%-22s %-42s %9s bytes\n' "$img" "$name" "$(img_size "$name")"
}

main() {
	local img rc=0
	if reason=$(img_unavailable_reason); then
		echo "images: cannot build: $reason" >&2
		return 1
	fi
	[ $# -gt 0 ] || set -- $ALL
	for img in "$@"; do
		case " $ALL " in
		*" $img "*) build_one "$img" || rc=1 ;;
		*) echo "images: unknown image $img (one of: $ALL)" >&2; rc=1 ;;
		esac
	done
	return $rc
}

main "$@"
