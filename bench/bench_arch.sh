#!/bin/bash
# Each role's size on every architecture built (make ARCH=<arch>, which
# make bench runs through make arches): bytes, static, musl, stripped,
# beside the amd64 build's.  The last column is amd64's size over this
# one's (below 1: larger than on amd64).  Then each FROM-scratch image's
# size on every architecture (images/build.sh; up to date ones are not
# rebuilt), when podman can build them here.
. "$(dirname "$0")/lib.sh"
: "${TETHER_ROOT:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${TETHER_BUILD:=$TETHER_ROOT/build}"
# The host's build is amd64 on this project's machines; elsewhere its
# own name comes from dpkg.
host=$(dpkg --print-architecture 2>/dev/null || echo host)
built=()
for arch in arm64 s390x amd64; do
	[ "$arch" = "$host" ] && continue
	dir=$TETHER_BUILD/$arch
	if [ ! -x "$dir/tether" ]; then
		echo "| sizes on $arch: no build in $dir (make ARCH=$arch) | | | | |"
		continue
	fi
	built+=("$arch")
	for b in tether container-disk tether-enter tether-supervise; do
		budget=$(awk -v b="$b" '$1 == b { print $2 }' "$TETHER_ROOT/sizes/$arch" 2>/dev/null)
		row "$b size on $arch (bytes; budget ${budget:-none})" "$(stat -c %s "$dir/$b")" \
			"$b on $host" "$(stat -c %s "$TETHER_BUILD/$b")"
	done
done

. "$TETHER_ROOT/images/lib.sh"
img_env
if reason=$(img_unavailable_reason); then
	echo "| image sizes per architecture: not measured: $reason | | | | |"
	exit 0
fi
images="pause tether launcher disk-demo virtiofs"
log=$(mktemp /tmp/tether-bench-arch.XXXXXX)
hlog=$(mktemp /tmp/tether-bench-arch.XXXXXX)
trap 'rm -f "$log" "$hlog"' EXIT
# shellcheck disable=SC2086 # one argument per image
TETHER_IMAGE_BUILD=$TETHER_BUILD "$TETHER_ROOT/images/build.sh" $images >"$hlog" 2>&1 ||
	{ echo "| images on $host: images/build.sh failed: $(tail -n 1 "$hlog") | | | | |"; exit 0; }
# name LOG IMAGE: the name images/build.sh printed for IMAGE.
name() { awk -v i="$2" '$1 == i { print $2 }' "$1"; }
for arch in "${built[@]}"; do
	# shellcheck disable=SC2086
	if ! TETHER_IMAGE_ARCH=$arch TETHER_IMAGE_BUILD=$TETHER_BUILD/$arch \
	    "$TETHER_ROOT/images/build.sh" $images >"$log" 2>&1; then
		echo "| images on $arch: images/build.sh failed: $(tail -n 1 "$log") | | | | |"
		continue
	fi
	for i in $images; do
		row "image $(name "$log" "$i") (bytes)" "$(img_size "$(name "$log" "$i")")" \
			"$(name "$hlog" "$i")" "$(img_size "$(name "$hlog" "$i")")"
	done
done
