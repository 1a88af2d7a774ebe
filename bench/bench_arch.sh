#!/bin/bash
# Each role's size on every architecture built (make ARCH=<arch>, which
# make bench runs through make arches): bytes, static, musl, stripped,
# beside the amd64 build's.  The last column is amd64's size over this
# one's (below 1: larger than on amd64).
. "$(dirname "$0")/lib.sh"
: "${TETHER_ROOT:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${TETHER_BUILD:=$TETHER_ROOT/build}"
# The host's build is amd64 on this project's machines; elsewhere its
# own name comes from dpkg.
host=$(dpkg --print-architecture 2>/dev/null || echo host)
for arch in arm64 s390x amd64; do
	[ "$arch" = "$host" ] && continue
	dir=$TETHER_BUILD/$arch
	if [ ! -x "$dir/tether" ]; then
		echo "| sizes on $arch: no build in $dir (make ARCH=$arch) | | | | |"
		continue
	fi
	for b in tether container-disk tether-enter tether-supervise; do
		budget=$(awk -v b="$b" '$1 == b { print $2 }' "$TETHER_ROOT/sizes/$arch" 2>/dev/null)
		row "$b size on $arch (bytes; budget ${budget:-none})" "$(stat -c %s "$dir/$b")" \
			"$b on $host" "$(stat -c %s "$TETHER_BUILD/$b")"
	done
done
