#!/bin/bash
# Installs with apt-get whatever this machine lacks.  Quiet when nothing is
# missing.
#
#   tests/install-deps.sh          everything: build, tests, benchmarks, demo
#   tests/install-deps.sh build    only what `make` needs (musl-gcc and the
#                                  headers); the Makefile runs this before
#                                  its first compile
#   tests/install-deps.sh vm       only what tests/vm needs: Debian 12's
#                                  kernel (its modules go into the VMs'
#                                  initramfs), a static busybox and
#                                  apparmor_parser (the AppArmor suite)
#   tests/install-deps.sh peers    what bench/peers/build.sh needs: musl-gcc,
#                                  dpkg-source and Debian 12's deb-src entries
#   tests/install-deps.sh missing [CC]
#                                  installs nothing: prints what the build
#                                  lacks ("musl-gcc (musl-tools) ..."), one
#                                  line, empty when nothing; CC is the
#                                  compiler asked for (default musl-gcc).
#                                  A plain `make` runs this and stops with
#                                  that line
#   tests/install-deps.sh arch     what make ARCH=arm64|s390x and tests/vm/arch
#                                  need: dpkg's arm64 and s390x architectures,
#                                  Debian's cross compilers, musl-dev and kernel
#                                  headers of each, qemu-system-arm and -misc,
#                                  mmdebstrap (the guests' userland)
set -eu
need=()
update=
lean=() # installed without their recommends (a kernel would bring apparmor)
want() { # want COMMAND-OR-FILE PACKAGE
	if [ "${1#/}" != "$1" ]; then [ -e "$1" ] || need+=("$2")
	else command -v "$1" >/dev/null 2>&1 || need+=("$2"); fi
}
build() {
	local cc=${1:-musl-gcc}
	case $cc in
	musl-gcc) want musl-gcc musl-tools ;;
	gcc) ;;
	*) want "$cc" "$cc" ;;	# a compiler the user named: no package known
	esac
	want gcc gcc
	want make make
	want /usr/include/seccomp.h libseccomp-dev
	want /usr/include/linux/capability.h linux-libc-dev
}
vm() {
	compgen -G '/boot/vmlinuz-6.1.*-amd64' >/dev/null || lean+=(linux-image-amd64)
	[ -x /bin/busybox ] || lean+=(busybox-static)
	want qemu-system-x86_64 qemu-system-x86
	want cpio cpio
	# The VMs' root is this machine's: tests/virtiofs/test_enter_apparmor.sh
	# loads its profiles there with apparmor_parser.
	[ -x /usr/sbin/apparmor_parser ] || lean+=(apparmor)
}
peers() {
	build
	want dpkg-source dpkg-dev
	want xz xz-utils
	if ! grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d; then
		echo "adding Debian 12's deb-src entries: /etc/apt/sources.list.d/tether-src.sources"
		cat >/etc/apt/sources.list.d/tether-src.sources <<-SRC
		Types: deb-src
		URIs: http://deb.debian.org/debian
		Suites: bookworm bookworm-updates
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		SRC
		update=1
	fi
}
# Foreign architectures of dpkg: musl-dev:arm64 and the VMs' kernels and
# userland (apt-get download, mmdebstrap) come through them.
foreign() {
	local a have
	have=$(dpkg --print-foreign-architectures)
	for a in "$@"; do
		grep -qx "$a" <<<"$have" && continue
		echo "adding dpkg's architecture $a"
		dpkg --add-architecture "$a"
		update=1
	done
}
arch() {
	build
	foreign arm64 s390x
	want aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu
	want s390x-linux-gnu-gcc gcc-s390x-linux-gnu
	want /usr/lib/aarch64-linux-musl/musl-gcc.specs musl-dev:arm64
	want /usr/lib/s390x-linux-musl/musl-gcc.specs musl-dev:s390x
	want /usr/aarch64-linux-gnu/include/linux/capability.h linux-libc-dev-arm64-cross
	want /usr/s390x-linux-gnu/include/linux/capability.h linux-libc-dev-s390x-cross
	want qemu-system-aarch64 qemu-system-arm
	want qemu-system-s390x qemu-system-misc
	want qemu-aarch64-static qemu-user-static
	want mmdebstrap mmdebstrap
	want cpio cpio
}
everything() {
	build
	vm
	peers
	arch
	want shunit2 shunit2
	want file file
	want readelf binutils
	want unshare util-linux
	want strace strace
	want socat socat
	want hyperfine hyperfine
	want tini-static tini
	want catatonit catatonit
	want dumb-init dumb-init
	want python3 python3
	want podman podman
	want buildah buildah
	want runc runc
	want virtlogd libvirt-daemon-system
	want virsh libvirt-clients
	want qemu-system-x86_64 qemu-system-x86
	want /usr/lib/qemu/virtiofsd qemu-system-common
	want qemu-img qemu-utils
	want jq jq
	want setcap libcap2-bin
	want /usr/lib/python3/dist-packages/yaml/__init__.py python3-yaml
}
# missing CC: what `want` found lacking, as "WHAT (PACKAGE)", installing nothing.
missing() {
	local line=
	want() {
		if [ "${1#/}" != "$1" ]; then [ -e "$1" ] && return; else command -v "$1" >/dev/null 2>&1 && return; fi
		line="${line:+$line, }$1"
		[ "$1" = "$2" ] || line="$line ($2)"
	}
	build "${1:-musl-gcc}"
	[ -z "$line" ] || echo "$line"
}
case "${1:-all}" in
missing) missing "${2:-}"; exit 0 ;;
build|vm|peers|arch) "$1" ;;
all) everything ;;
*) echo "usage: $0 [build|vm|peers|arch|missing [CC]|all]" >&2; exit 2 ;;
esac
[ ${#need[@]} -eq 0 ] && [ ${#lean[@]} -eq 0 ] && { [ -z "$update" ] || apt-get update -qq; exit 0; }
echo "installing: ${need[*]} ${lean[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
[ ${#need[@]} -eq 0 ] || apt-get install -y -qq "${need[@]}" >/dev/null
[ ${#lean[@]} -eq 0 ] || apt-get install -y -qq --no-install-recommends "${lean[@]}" >/dev/null
