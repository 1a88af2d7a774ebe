#!/bin/bash
# Installs with apt-get whatever this machine lacks.  Quiet when nothing is
# missing.
#
#   tests/install-deps.sh          everything: build, tests, benchmarks, demo
#   tests/install-deps.sh build    only what `make` needs (musl-gcc and the
#                                  headers); the Makefile runs this before
#                                  its first compile
set -eu
need=()
want() { # want COMMAND-OR-FILE PACKAGE
	if [ "${1#/}" != "$1" ]; then [ -e "$1" ] || need+=("$2")
	else command -v "$1" >/dev/null 2>&1 || need+=("$2"); fi
}
build() {
	want musl-gcc musl-tools
	want gcc gcc
	want make make
	want /usr/include/seccomp.h libseccomp-dev
	want /usr/include/linux/capability.h linux-libc-dev
}
everything() {
	build
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
case "${1:-all}" in
build) build ;;
all) everything ;;
*) echo "usage: $0 [build|all]" >&2; exit 2 ;;
esac
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${need[@]}" >/dev/null
