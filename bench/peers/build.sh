#!/bin/bash
# Builds the peers of bench_init (tini, catatonit, dumb-init) with musl, so
# that the benchmark can set tether beside peers built the same way: the
# source of Debian 12's packages (apt-get source, Debian's patches applied),
# compiled with musl-gcc, static, with the size flags tether's Makefile uses
# (bench/peers/flags.sh).  Each peer is one C file; its build system's
# generated header is written here the way that build system would write it.
# The re-implementation of KubeVirt's container-disk holder
# (kubevirt-container-disk.c, in this folder) is built with the same flags.
#
#   bench/peers/build.sh  -> build/peers/bin/{tini,catatonit,dumb-init,kubevirt-container-disk}
#
# Nothing of the peers is committed: the sources are fetched into
# build/peers/src and the binaries written to build/peers/bin.  Needs deb-src
# entries for Debian 12 (tests/install-deps.sh peers adds them).
set -eu
cd "$(dirname "$0")/../.."
OUT=$PWD/build/peers
SRC=$OUT/src
. bench/peers/flags.sh
FLAGS=$PEER_FLAGS
mkdir -p "$SRC" "$OUT/bin"

# fetch PACKAGE: the unpacked, patched source tree of PACKAGE (prints its
# path).  A package whose Debian part the mirror does not serve is unpacked
# from its upstream tarball alone, and the build log says so.
fetch() {
	local pkg=$1 dir
	dir=$(find "$SRC" -maxdepth 1 -type d -name "$pkg-[0-9]*" | head -n 1)
	if [ -z "$dir" ]; then
		(cd "$SRC" && apt-get source -qq "$pkg" >"$pkg.fetch.log" 2>&1) ||
			(cd "$SRC" && echo "$pkg: Debian's patches not applied (apt-get source failed: $(grep -m1 '^E:' "$pkg.fetch.log"))" | tee "$pkg.note" >&2 &&
				tar xf "$(ls "$pkg"_*.orig.tar.* | head -n 1)")
		dir=$(find "$SRC" -maxdepth 1 -type d -name "$pkg-[0-9]*" | head -n 1)
	fi
	[ -n "$dir" ] || { echo "no source for $pkg in $SRC" >&2; return 1; }
	echo "$dir"
}

build_tini() {
	local d
	d=$(fetch tini)
	local v=$(sed -n 's/^Version: \([0-9.]*\).*/\1/p' "$SRC"/tini_*.dsc | head -n 1)
	printf '#define TINI_VERSION "%s"\n#define TINI_GIT ""\n' "$v" >"$d/src/tiniConfig.h"
	musl-gcc $FLAGS -std=gnu99 -I"$d/src" -o "$OUT/bin/tini" "$d/src/tini.c"
}

build_catatonit() {
	local d
	d=$(fetch catatonit)
	local v=$(sed -n 's/^Version: \([0-9.]*\).*/\1/p' "$SRC"/catatonit_*.dsc | head -n 1)
	sed -e 's/@PACKAGE_NAME@/catatonit/' -e "s/@PACKAGE_VERSION@/$v/" \
		-e 's/@PACKAGE_BUGREPORT@//' -e 's/@PACKAGE_URL@//' "$d/config.h.in" >"$d/config.h"
	musl-gcc $FLAGS -std=gnu99 -I"$d" -o "$OUT/bin/catatonit" "$d/catatonit.c"
}

build_dumb_init() {
	local d
	d=$(fetch dumb-init)
	musl-gcc $FLAGS -std=gnu99 -I"$d" -o "$OUT/bin/dumb-init" "$d/dumb-init.c"
}

build_tini
build_catatonit
build_dumb_init
musl-gcc $FLAGS -o "$OUT/bin/kubevirt-container-disk" bench/peers/kubevirt-container-disk.c
for b in tini catatonit dumb-init kubevirt-container-disk; do
	echo "$b: $(stat -c %s "$OUT/bin/$b") bytes, $(file -b "$OUT/bin/$b" | cut -d, -f1,4)"
done
