#!/bin/bash
# images/build.sh [IMAGE...]: builds tether's FROM-scratch images from the static binaries in
# $TETHER_IMAGE_BUILD (default build/) and prints each image's size. With no IMAGE, every image
# whose binaries exist is built; the others are listed as skipped, so this works at any stage.
#
# Other architectures: TETHER_IMAGE_ARCH=arm64 (or s390x; make images ARCH=arm64) builds the images
# for that architecture from build/<arch>/ (podman build --arch: a FROM-scratch image has no RUN
# step, so nothing of the target runs here), tagged :<arch> instead of :latest
# (localhost/tether:arm64). Every binary put in an image must be an ELF of that architecture.
# The Debian programs of the launcher and virtiofs images (libvirt's daemons, cp, virtiofsd) then
# come from that architecture's Debian packages, unpacked in build/sysroot-<arch>/ by
# images/sysroot.sh, their libraries found from their ELF headers (assemble-rootfs.sh, SYSROOT).
#
# images/build.sh --index [IMAGE...]: joins each image's amd64, arm64 and s390x builds in one
# OCI image index (podman's manifest list), <repository>:multiarch (make images-all builds all
# and then this). Exit 1 if an architecture's image is missing.
#
#   pause       localhost/tether-pause      the pod infra image (tether --pause)
#   tether      localhost/tether            the init alone
#   launcher    localhost/tether-launcher   the virt-launcher image of tether's pods: every binary
#                                           the pod's containers run from the launcher image, under
#                                           KubeVirt's names (below), Debian's virtlogd, libvirtd
#                                           (standing in for virtqemud) and C virtiofsd, and cp
#   disk-demo   localhost/tether-disk-demo  a user's containerDisk image: /disk/disk.img only
#   virtiofs    localhost/tether-virtiofs   tether --placeholder as uid 107, with virtiofsd (not
#                                           used by tether's pods, whose virtiofs container runs
#                                           the launcher image as KubeVirt's does)
#
# Mount points are not created in the images: podman gives a new emptyDir volume the owner of the
# image directory it is mounted on (root, after COPY), and only an absent one the container's uid.
# The few directories a launcher-image container writes on its own root (KubeVirt v1.6.2's are not
# read-only) are made 107's instead (COPY --chown), which also gives the emptyDirs Deckhouse
# mounts on them uid 107.
#
# File capabilities: as KubeVirt's and Deckhouse's launcher images do with setcap on
# virt-launcher-monitor and tini, the binaries that stand in for them get cap_net_bind_service=ep
# (tether-supervise, and tether as /usr/bin/tini); `podman build` keeps the xattr. The placeholder
# is a separate copy of tether without it: a file capability with the effective bit makes exec
# fail (EPERM) where the capability is not in the bounding set, as in the virtiofs container,
# which drops ALL. images/README.md, "File capabilities".
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

ALL="pause tether launcher disk-demo virtiofs"
ARCHES="amd64 arm64 s390x"
HOST_ARCH=$(dpkg --print-architecture)
ARCH=${TETHER_IMAGE_ARCH:-$HOST_ARCH}
case " $ARCHES " in
*" $ARCH "*) ;;
*) echo "images: TETHER_IMAGE_ARCH=$ARCH: not one of $ARCHES" >&2; exit 2 ;;
esac
# SYS: where the Debian programs the images carry come from ("": this host).
SYS=
if [ "$ARCH" != "$HOST_ARCH" ]; then
	BIN=$(realpath "${TETHER_IMAGE_BUILD:-$ROOT/build/$ARCH}")
	SYS=$ROOT/build/sysroot-$ARCH
fi
TRIPLET=$(dpkg-architecture -a "$ARCH" -q DEB_HOST_MULTIARCH 2>/dev/null)

# debian_programs: the tree SYS ready, when the image takes another architecture's programs.
debian_programs() {
	[ -z "$SYS" ] || "$HERE/sysroot.sh" "$ARCH" "$SYS" >"$CTX/sysroot.log" 2>&1 ||
		{ echo "images: images/sysroot.sh $ARCH failed: $(tail -n 2 "$CTX/sysroot.log" | tr '\n' ' ')" >&2; return 1; }
}

# assemble PATH...: assemble-rootfs.sh into the context, from SYS's tree or this host's.
assemble() {
	SYSROOT=$SYS "$HERE/assemble-rootfs.sh" "$CTX/root" "$@"
}

# virtiofsd: Debian's C virtiofsd and its libraries as /usr/libexec/virtiofsd, when there is one.
virtiofsd() {
	[ -x "$SYS/usr/lib/qemu/virtiofsd" ] || return 0
	assemble /usr/lib/qemu/virtiofsd || return 1
	mkdir -p "$CTX/root/usr/libexec"
	ln -s ../lib/qemu/virtiofsd "$CTX/root/usr/libexec/virtiofsd"
}

# image_name IMAGE [ARCH]: the host's images are :latest, another architecture's :<arch>.
image_name() {
	local name arch=${2:-$ARCH}
	case $1 in
	pause) name=$TETHER_INFRA_IMAGE ;;
	tether) name=localhost/tether:latest ;;
	*) name=localhost/tether-$1:latest ;;
	esac
	[ "$arch" = "$HOST_ARCH" ] && echo "$name" || echo "${name%:*}:$arch"
}

# elf_arch FILE: the Debian name of an ELF file's machine (e_machine), empty if not an ELF.
elf_arch() {
	case $(LC_ALL=C readelf -h "$1" 2>/dev/null | sed -n 's/^ *Machine: *//p') in
	*X86-64*) echo amd64 ;;
	AArch64) echo arm64 ;;
	"IBM S/390") echo s390x ;;
	?*) echo other ;;
	esac
}

# needs IMAGE: the build products the image is made from (relative to $BIN).
needs() {
	case $1 in
	pause | tether | virtiofs) echo tether ;;
	launcher) echo "tether tether-supervise container-disk images/launcher" ;;
	disk-demo) ;;
	esac
}

# is_static FILE: a static ELF (no program interpreter): the only kind an image takes as is.
is_static() {
	! LC_ALL=C readelf -l "$1" 2>/dev/null | grep -q 'program interpreter'
}

# put FILE DEST: copies a build product into the context; a dynamic one (a sanitizer build)
# brings its libraries and loader.
put() {
	local machine
	machine=$(elf_arch "$1")
	if [ "$machine" != "$ARCH" ]; then
		echo "images: $1 is ${machine:-not an ELF file}, not $ARCH: make ARCH=$ARCH" >&2
		return 1
	fi
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

# net_bind FILE: the file capability KubeVirt's image build gives virt-launcher-monitor.
net_bind() {
	setcap cap_net_bind_service=+ep "$1" || { echo "setcap $1 failed" >&2; return 1; }
}

# stamp IMAGE: hash of what IMAGE is made from.
stamp() {
	local b
	{
		echo "$1 $ARCH"
		for b in $(needs "$1"); do cat "$BIN/$b"; done
		[ -z "$SYS" ] || cat "$SYS/.made" 2>/dev/null
		cat "$HERE/build.sh" "$HERE/compute/"*
	} | sha256sum | cut -c1-16
}

stage_pause() {
	put "$BIN/tether" /usr/bin/tether || return 1
	containerfile 'ENTRYPOINT ["/usr/bin/tether", "--pause"]'
}

stage_tether() {
	put "$BIN/tether" /usr/bin/tether || return 1
	containerfile 'ENTRYPOINT ["/usr/bin/tether", "--"]'
}

# The virtiofs container: the placeholder as PID 1 (uid 107, no capabilities). virtiofsd is not
# started by the container: virt-handler injects it with tether-enter, from this image's
# /usr/libexec/virtiofsd (Debian's C virtiofsd and its libraries, when the host has it).
stage_virtiofs() {
	put "$BIN/tether" /usr/bin/tether || return 1
	debian_programs || return 1
	if [ -x "$SYS/usr/lib/qemu/virtiofsd" ]; then
		virtiofsd || return 1
		# virtiofsd runs as root; QEMU (uid 107, in compute) reaches its socket through
		# --socket-group=qemu, a name virtiofsd looks up here.
		mkdir -p "$CTX/root/etc"
		cp "$HERE/compute/passwd" "$HERE/compute/group" "$HERE/compute/nsswitch.conf" "$CTX/root/etc/"
	fi
	containerfile 'USER 107:107' 'ENTRYPOINT ["/usr/bin/tether", "--placeholder"]'
}

# A user's containerDisk image, as KubeVirt documents them: FROM scratch, one disk under /disk,
# owned by 107; no binary (the holder reaches the pod through virt-bin-share-dir).
stage_disk_demo() {
	mkdir -p "$CTX/disk"
	if command -v qemu-img >/dev/null; then
		qemu-img create -q -f qcow2 "$CTX/disk/disk.img" 64M || return 1
	else
		truncate -s 1M "$CTX/disk/disk.img"
	fi
	containerfile 'COPY --chown=107:107 disk/ /disk/'
}

LIBVIRT_LIB=/usr/lib/$TRIPLET/libvirt

# The launcher image: what KubeVirt's virt-launcher image provides to the pods' containers, with
# tether's binaries under KubeVirt's paths:
#   /usr/bin/container-disk        the holder (the init containers copy it to virt-bin-share-dir;
#                                  the hp container runs it from here)
#   /usr/bin/tini                  tether (Deckhouse's PID 1 of compute), cap_net_bind_service
#   /usr/bin/tether-supervise      cap_net_bind_service; /usr/bin/virt-launcher-monitor links to
#                                  it (it answers to that name as KubeVirt's monitor)
#   /usr/bin/virtiofs-placeholder  tether, without a file capability
#   /usr/bin/virt-launcher         the launcher (images/launcher.c), in virt-launcher's place
#   /usr/bin/cp                    for the init container that copies the holder
#   /usr/libexec/virtiofsd         Debian's C virtiofsd 7.2 (KubeVirt ships the Rust one)
# and Debian's virtlogd and libvirtd (standing in for virtqemud: Debian's libvirt 9.0 has no
# modular daemons) with their libraries.
stage_launcher() {
	put "$BIN/container-disk" /usr/bin/container-disk || return 1
	put "$BIN/tether" /usr/bin/tini || return 1
	put "$BIN/tether" /usr/bin/virtiofs-placeholder || return 1
	put "$BIN/tether-supervise" /usr/bin/tether-supervise || return 1
	put "$BIN/images/launcher" /usr/bin/virt-launcher || return 1
	net_bind "$CTX/root/usr/bin/tini" && net_bind "$CTX/root/usr/bin/tether-supervise" || return 1
	ln -s tether-supervise "$CTX/root/usr/bin/virt-launcher-monitor"
	debian_programs || return 1
	assemble /usr/sbin/libvirtd /usr/sbin/virtlogd \
		$LIBVIRT_LIB/connection-driver/libvirt_driver_qemu.so /usr/share/libvirt || return 1
	# cp where KubeVirt's init container runs it: this host's /usr/bin/cp, or from a tree whose
	# /usr is not merged (mmdebstrap's extract) its /bin/cp.
	if [ -z "$SYS" ]; then
		assemble /usr/bin/cp || return 1
	else
		assemble /bin/cp && mv "$CTX/root/bin/cp" "$CTX/root/usr/bin/cp" && rmdir "$CTX/root/bin" || return 1
	fi
	rm -rf "$CTX/root/usr/share/libvirt/schemas" # only virt-xml-validate reads them
	virtiofsd || return 1
	mkdir -p "$CTX/root/etc/libvirt-init"
	cp "$HERE/compute/virtqemud.conf" "$HERE/compute/virtlogd.conf" "$HERE/compute/qemu.conf" \
		"$CTX/root/etc/libvirt-init/"
	cp "$HERE/compute/passwd" "$HERE/compute/group" "$HERE/compute/nsswitch.conf" "$CTX/root/etc/"
	ln -s var/run "$CTX/root/run"
	# Where the daemons write when the root is writable (KubeVirt v1.6.2); Deckhouse mounts
	# emptyDirs here, which then start out as 107's too.
	# (One COPY per directory, their parents made root's first: a COPY creates missing parents
	# with its owner.)
	mkdir -p "$CTX/empty" "$CTX/root/var/lib" "$CTX/root/var/cache"
	containerfile 'COPY --chown=107:107 empty/ /etc/libvirt/' \
		'COPY --chown=107:107 empty/ /var/log/' \
		'COPY --chown=107:107 empty/ /var/lib/libvirt/' \
		'COPY --chown=107:107 empty/ /var/cache/libvirt/' \
		'ENV HOME=/var/run/kubevirt-private PATH=/usr/bin:/usr/sbin' \
		'ENTRYPOINT ["/usr/bin/virt-launcher"]'
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
	# (Read from the binary, which may be another architecture's.)
	if [ "$img" = virtiofs ] && ! grep -qa -- --placeholder "$BIN/tether"; then
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
	if ! "stage_${img//-/_}" || ! img_build "$name" "$CTX" "$ARCH"; then
		rm -rf "$CTX"
		printf '%-22s FAILED\n' "$img" >&2
		return 1
	fi
	rm -rf "$CTX"
	printf '%-22s %-42s %9s bytes\n' "$img" "$name" "$(img_size "$name")"
}

# index IMAGE: IMAGE's builds for every architecture joined in <repository>:multiarch, made anew.
index() {
	local img=$1 list a name
	list=$(image_name "$img" "$HOST_ARCH")
	list=${list%:*}:multiarch
	for a in $ARCHES; do
		img_exists "$(image_name "$img" "$a")" && continue
		printf '%-22s FAILED: no %s image (make images ARCH=%s)\n' "$img" "$(image_name "$img" "$a")" "$a" >&2
		return 1
	done
	podman manifest exists "$list" 2>/dev/null && { podman manifest rm "$list" >/dev/null || return 1; }
	podman manifest create "$list" >/dev/null || return 1
	for a in $ARCHES; do
		name=$(image_name "$img" "$a")
		podman manifest add "$list" "containers-storage:$name" >/dev/null ||
			{ printf '%-22s FAILED: podman manifest add %s\n' "$img" "$name" >&2; return 1; }
	done
	printf '%-22s %-42s %s\n' "$img" "$list" "$ARCHES"
}

main() {
	local img rc=0 what=build_one
	if reason=$(img_unavailable_reason); then
		echo "images: cannot build: $reason" >&2
		return 1
	fi
	if [ "${1:-}" = --index ]; then
		shift
		what=index
		[ $# -gt 0 ] || set -- $ALL
	fi
	[ $# -gt 0 ] || set -- $ALL
	for img in "$@"; do
		case " $ALL " in
		*" $img "*) "$what" "$img" || rc=1 ;;
		*) echo "images: unknown image $img (one of: $ALL)" >&2; rc=1 ;;
		esac
	done
	return $rc
}

main "$@"
