#!/bin/bash
# The FROM-scratch images of every architecture (images/README.md, "Other architectures"):
# images/build.sh builds pause, tether and disk-demo for amd64 (this host's, :latest), arm64 and
# s390x (:arm64, :s390x, from build/<arch>/), and joins each image's three in an OCI image index
# (<repository>:multiarch). Checked from outside, on the index as podman pushes it to an OCI
# layout (what a registry would get): the index lists the three platforms, each manifest's config
# says its architecture, the tether in each image's layer is byte for byte build/<arch>/tether and
# its ELF header names that machine and byte order; and each foreign image's tether answers
# --version when podman runs that image (through binfmt when the kernel has qemu-user's handler
# for it, else with qemu-user-static as the container's entrypoint, reading the image's binary).
# Needs make arches (make test runs it) and, for the last test, qemu-user-static.
. "$(dirname "$0")/../lib/common.sh"
. "$TETHER_ROOT/images/lib.sh"

ARCHES="amd64 arm64 s390x"
IMAGES="pause tether disk-demo"
BUILD_DIR=${TETHER_IMAGE_BUILD:-$TETHER_ROOT/build}

oneTimeSetUp() {
	local a
	img_env
	UNAVAILABLE=$(img_unavailable_reason) || UNAVAILABLE=
	[ -z "$UNAVAILABLE" ] || return 0
	command -v jq >/dev/null || { UNAVAILABLE="jq is not installed"; return 0; }
	HOST_ARCH=$(dpkg --print-architecture)
	WORK=$(mktemp -d /tmp/tether-arch-images.XXXXXX)
	# Every build must succeed now: an image left from an earlier build would test old binaries.
	for a in $ARCHES; do
		if [ "$a" = "$HOST_ARCH" ]; then
			TETHER_IMAGE_BUILD=$BUILD_DIR "$TETHER_ROOT/images/build.sh" $IMAGES
		elif [ ! -x "$BUILD_DIR/$a/tether" ]; then
			echo "no $BUILD_DIR/$a/tether (make arches)"
			false
		else
			TETHER_IMAGE_ARCH=$a TETHER_IMAGE_BUILD=$BUILD_DIR/$a "$TETHER_ROOT/images/build.sh" $IMAGES
		fi >>"$WORK/build.txt" 2>&1 || { cat "$WORK/build.txt"; setup_failed "the $a images were not built"; return 0; }
	done
	"$TETHER_ROOT/images/build.sh" --index >>"$WORK/build.txt" 2>&1 ||
		{ cat "$WORK/build.txt"; setup_failed "images/build.sh --index failed"; return 0; }
	# Each index as a registry would receive it: an OCI layout with the images' blobs.
	for img in $IMAGES; do
		podman manifest push --quiet --all --format oci "$(index_name "$img")" "oci:$WORK/oci-$img:multiarch" \
			>>"$WORK/build.txt" 2>&1 ||
			{ cat "$WORK/build.txt"; setup_failed "podman manifest push of $img's index failed"; return 0; }
	done
}

oneTimeTearDown() {
	[ -z "$UNAVAILABLE" ] || return 0
	rm -rf "$WORK"
}

suite_setUp() {
	[ -z "$UNAVAILABLE" ] || skip_test "$UNAVAILABLE"
}

# index_name IMAGE / arch_name IMAGE ARCH: the names images/build.sh gives.
index_name() {
	local n
	n=$(arch_name "$1" "$HOST_ARCH")
	echo "${n%:*}:multiarch"
}
arch_name() {
	local n
	case $1 in
	pause) n=$TETHER_INFRA_IMAGE ;;
	tether) n=localhost/tether:latest ;;
	*) n=localhost/tether-$1:latest ;;
	esac
	[ "$2" = "$HOST_ARCH" ] && echo "$n" || echo "${n%:*}:$2"
}

# blob LAYOUT DIGEST: the path of a blob in an OCI layout.
blob() {
	echo "$1/blobs/${2%%:*}/${2#*:}"
}

# image_index IMAGE: the pushed index's own blob (index.json points to it).
image_index() {
	local dir=$WORK/oci-$1 d
	d=$(jq -r '.manifests[0].digest' "$dir/index.json") && blob "$dir" "$d"
}

# manifest_of IMAGE ARCH: the blob of ARCH's image manifest in IMAGE's index.
manifest_of() {
	local d
	d=$(jq -r --arg a "$2" '.manifests[] | select(.platform.architecture == $a and .platform.os == "linux") | .digest' \
		"$(image_index "$1")")
	[ -n "$d" ] && blob "$WORK/oci-$1" "$d"
}

test_each_index_lists_the_three_platforms() {
	local img idx
	for img in $IMAGES; do
		idx=$(image_index "$img")
		assertEquals "$img: index.json's entry is an OCI image index" "application/vnd.oci.image.index.v1+json" \
			"$(jq -r '.manifests[0].mediaType' "$WORK/oci-$img/index.json")"
		assertEquals "$img: the index's platforms" "linux/amd64 linux/arm64 linux/s390x" \
			"$(jq -r '.manifests[].platform | "\(.os)/\(.architecture)"' "$idx" | sort | tr '\n' ' ' | sed 's/ $//')"
	done
}

test_each_config_says_its_architecture() {
	local img a m cfg
	for img in $IMAGES; do
		for a in $ARCHES; do
			m=$(manifest_of "$img" "$a")
			assertTrue "$img: the index has a linux/$a manifest" "[ -f '$m' ]" || continue
			cfg=$(blob "$WORK/oci-$img" "$(jq -r '.config.digest' "$m")")
			assertEquals "$img/$a: the config's architecture" "$a" "$(jq -r '.architecture' "$cfg")"
			assertEquals "$img/$a: the config's os" "linux" "$(jq -r '.os' "$cfg")"
			# And podman's own view of the image the index was made from.
			assertEquals "$img/$a: podman's image $(arch_name "$img" "$a")" "$a" \
				"$(podman image inspect --format '{{.Architecture}}' "$(arch_name "$img" "$a")")"
		done
	done
}

# e_machine FILE: "<EI_DATA> <e_machine>" read from the ELF header itself (the machine field in
# the file's own byte order: 1 little-endian, 2 big-endian).
e_machine() {
	python3 - "$1" <<'EOF'
import struct, sys
h = open(sys.argv[1], 'rb').read(20)
assert h[:4] == b'\x7fELF', 'not an ELF file'
order = '<' if h[5] == 1 else '>'
print(h[5], struct.unpack(order + 'H', h[18:20])[0])
EOF
}

# The tether in each image's layer, compared with the build it came from.
test_each_image_holds_its_architectures_tether() {
	local img a m layer dir want
	declare -A machine=([amd64]="1 62" [arm64]="1 183" [s390x]="2 22")	# EM_X86_64, EM_AARCH64, EM_S390
	for img in pause tether; do
		for a in $ARCHES; do
			m=$(manifest_of "$img" "$a") || { fail "$img: no $a manifest"; continue; }
			assertEquals "$img/$a: one layer" 1 "$(jq '.layers | length' "$m")"
			layer=$(blob "$WORK/oci-$img" "$(jq -r '.layers[0].digest' "$m")")
			dir=$T/$img-$a
			mkdir -p "$dir"
			tar -xf "$layer" -C "$dir" usr/bin/tether || { fail "$img/$a: no usr/bin/tether in the layer"; continue; }
			want=$BUILD_DIR/tether
			[ "$a" = "$HOST_ARCH" ] || want=$BUILD_DIR/$a/tether
			assertTrue "$img/$a: the image's tether is $want" "cmp -s '$dir/usr/bin/tether' '$want'"
			assertEquals "$img/$a: ELF byte order and e_machine" "${machine[$a]}" "$(e_machine "$dir/usr/bin/tether")"
		done
	done
}

# A binary of another architecture is refused, and the image it was for is left as it was.
test_a_binary_of_another_architecture_is_refused() {
	local before out rc
	before=$(podman image inspect --format '{{.Id}}' localhost/tether:arm64)
	out=$(TETHER_IMAGES_REBUILD=1 TETHER_IMAGE_ARCH=arm64 TETHER_IMAGE_BUILD=$BUILD_DIR \
		"$TETHER_ROOT/images/build.sh" tether 2>&1)
	rc=$?
	assertEquals "exit code" 1 "$rc"
	assertContains "the error names the binary and both architectures" "$out" "tether is amd64, not arm64"
	assertEquals "localhost/tether:arm64 unchanged" "$before" \
		"$(podman image inspect --format '{{.Id}}' localhost/tether:arm64)"
}

# launcher and virtiofs carry this host's Debian programs: not built for another architecture.
test_host_only_images_are_skipped_for_another_architecture() {
	local out
	out=$(TETHER_IMAGE_ARCH=s390x TETHER_IMAGE_BUILD=$BUILD_DIR/s390x "$TETHER_ROOT/images/build.sh" launcher virtiofs 2>&1)
	assertEquals "exit code" 0 $?
	assertContains "$out" "launcher               skipped: $HOST_ARCH only"
	assertContains "$out" "virtiofs               skipped: $HOST_ARCH only"
	assertFalse "no s390x launcher image" "img_exists localhost/tether-launcher:s390x"
}

# qemu_of ARCH: qemu-user's name for ARCH.
qemu_of() {
	case $1 in arm64) echo aarch64 ;; *) echo "$1" ;; esac
}

test_foreign_tether_answers_version_under_podman() {
	local a q img out how
	for a in $ARCHES; do
		[ "$a" = "$HOST_ARCH" ] && continue
		q=$(qemu_of "$a")
		for img in pause tether; do
			if grep -qx enabled "/proc/sys/fs/binfmt_misc/qemu-$q" 2>/dev/null; then
				how="binfmt"
				out=$(podman run --rm --arch "$a" --entrypoint /usr/bin/tether "$(arch_name "$img" "$a")" --version 2>&1)
			elif [ -x "/usr/bin/qemu-$q-static" ]; then
				how="qemu-$q-static as entrypoint (no binfmt handler)"
				out=$(podman run --rm --arch "$a" -v "/usr/bin/qemu-$q-static:/qemu:ro" --entrypoint /qemu \
					"$(arch_name "$img" "$a")" /usr/bin/tether --version 2>&1)
			else
				skip_test "qemu-user-static is not installed (no /usr/bin/qemu-$q-static)"
				return
			fi
			assertEquals "$img/$a ($how): tether --version" "tether $(cat "$TETHER_ROOT/VERSION")" "$out"
		done
	done
}

. "$TETHER_ROOT/tests/lib/run.sh"
