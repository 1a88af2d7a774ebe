#!/bin/bash
# images/sysroot.sh ARCH DIR: the Debian programs the launcher and virtiofs images carry, of
# architecture ARCH (arm64, s390x), unpacked in DIR for images/build.sh to copy from when it
# builds those images for ARCH: cp (coreutils), libvirt's daemons and QEMU driver, virtiofsd
# (qemu-system-common), with their dependencies. mmdebstrap --variant=extract unpacks the packages
# and runs no maintainer script, so nothing of ARCH runs here. Made only when missing or when the
# package list changes (a stamp written last). Needs dpkg's ARCH added and mmdebstrap
# (tests/install-deps.sh arch). Exit 2 on a bad argument, 1 if the tree cannot be made.
set -eu
arch=${1:?usage: sysroot.sh ARCH DIR}
dir=${2:?usage: sysroot.sh ARCH DIR}
case $arch in
amd64|arm64|s390x) ;;
*) echo "sysroot.sh: no architecture '$arch' (amd64, arm64, s390x)" >&2; exit 2 ;;
esac
PACKAGES="coreutils libvirt-daemon libvirt-daemon-driver-qemu libvirt0 qemu-system-common"
want=$(echo $PACKAGES)
[ "$(cat "$dir/.made" 2>/dev/null)" = "$want" ] && exit 0
command -v mmdebstrap >/dev/null || { echo "sysroot.sh: needs mmdebstrap (tests/install-deps.sh arch)" >&2; exit 1; }
mkdir -p "$(dirname "$dir")"
rm -rf "$dir" "$dir.tmp"
mmdebstrap --quiet --variant=extract --architectures="$arch" --include="$(echo $PACKAGES | tr ' ' ,)" \
	bookworm "$dir.tmp" >&2
mv "$dir.tmp" "$dir"
echo "$want" >"$dir/.made"
