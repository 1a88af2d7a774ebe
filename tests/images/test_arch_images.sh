#!/bin/bash
# The FROM-scratch images of every architecture (images/README.md, "Other architectures"):
# images/build.sh builds each image for amd64 (this host's, :latest), arm64 and s390x (:arm64,
# :s390x, from build/<arch>/ and that architecture's Debian packages), and joins each image's
# three in an OCI image index (<repository>:multiarch). Checked from outside, on the index as
# podman pushes it to an OCI layout (what a registry would get): the index lists the three
# platforms, each manifest's config says its architecture, each tether binary in the layers is
# byte for byte build/<arch>/'s and every binary checked (tether's and Debian's) has that
# architecture's ELF machine and byte order; and each foreign image's programs answer --version
# when podman runs that image (through binfmt when the kernel has qemu-user's handler for it,
# else with qemu-user-static as the container's entrypoint, reading the image's binary and, for
# Debian's, the image's loader and libraries). Needs make arches (make test runs it) and, for the
# last test, qemu-user-static.
. "$(dirname "$0")/../lib/common.sh"
. "$TETHER_ROOT/images/lib.sh"

ARCHES="amd64 arm64 s390x"
IMAGES="pause tether launcher disk-demo virtiofs"
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

# binaries IMAGE: PATH:BUILD-PRODUCT for each binary checked in IMAGE, one a line (BUILD-PRODUCT
# "-": one of Debian's, checked for its machine only).
binaries() {
	case $1 in
	pause | tether) printf '%s\n' usr/bin/tether:tether ;;
	launcher) printf '%s\n' usr/bin/tini:tether usr/bin/tether-supervise:tether-supervise \
		usr/bin/container-disk:container-disk usr/bin/virt-launcher:images/launcher \
		usr/sbin/libvirtd:- usr/bin/cp:- usr/lib/qemu/virtiofsd:- ;;
	virtiofs) printf '%s\n' usr/bin/tether:tether usr/lib/qemu/virtiofsd:- ;;
	esac
}

# The binaries in each image's layers, compared with the build they came from.
test_each_image_holds_its_architectures_binaries() {
	local img a m l layer dir want entry path prod got
	declare -A machine=([amd64]="1 62" [arm64]="1 183" [s390x]="2 22")	# EM_X86_64, EM_AARCH64, EM_S390
	for img in pause tether launcher virtiofs; do
		for a in $ARCHES; do
			m=$(manifest_of "$img" "$a") || { fail "$img: no $a manifest"; continue; }
			dir=$T/$img-$a
			mkdir -p "$dir"
			for l in $(jq -r '.layers[].digest' "$m"); do
				layer=$(blob "$WORK/oci-$img" "$l")
				tar -xf "$layer" -C "$dir" || fail "$img/$a: layer $l does not unpack"
			done
			for entry in $(binaries "$img"); do
				path=${entry%%:*} prod=${entry#*:}
				got=$dir/$path
				assertTrue "$img/$a: /$path is in the image" "[ -f '$got' ] && [ ! -L '$got' ]" || continue
				if [ "$prod" != - ]; then
					want=$BUILD_DIR/$prod
					[ "$a" = "$HOST_ARCH" ] || want=$BUILD_DIR/$a/$prod
					assertTrue "$img/$a: /$path is $want" "cmp -s '$got' '$want'"
				fi
				assertEquals "$img/$a: /$path: ELF byte order and e_machine" "${machine[$a]}" "$(e_machine "$got")"
			done
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

# Another architecture's program whose library the tree lacks: one line, exit 1, nothing copied
# for it (the image would not start).
test_a_library_missing_from_the_tree_is_an_error() {
	local out rc
	mkdir -p "$T/sys/usr/sbin" "$T/sys/usr/lib/aarch64-linux-gnu"
	# The tree is made by the first launcher image built for arm64; made here
	# when that image came from podman's storage (a clean clone after another).
	"$TETHER_ROOT/images/sysroot.sh" arm64 "$TETHER_ROOT/build/sysroot-arm64" >"$T/sysroot.log" 2>&1 ||
		{ fail "images/sysroot.sh arm64: $(tail -n 2 "$T/sysroot.log" | tr '\n' ' ')"; return; }
	cp "$TETHER_ROOT/build/sysroot-arm64/usr/sbin/virtlogd" "$T/sys/usr/sbin/" || { fail "no arm64 tree"; return; }
	out=$(SYSROOT=$T/sys "$TETHER_ROOT/images/assemble-rootfs.sh" "$T/dest" /usr/sbin/virtlogd 2>&1)
	rc=$?
	assertEquals "exit code" 1 "$rc"
	assertContains "the error names the program and the library" "$out" "/usr/sbin/virtlogd: libvirt.so.0 not found in $T/sys"
	assertEquals "one line" 1 "$(printf '%s\n' "$out" | wc -l)"
	assertFalse "no virtlogd copied" "[ -e '$T/dest/usr/sbin/virtlogd' ]"
}

# qemu_of ARCH: qemu-user's name for ARCH.
qemu_of() {
	case $1 in arm64) echo aarch64 ;; *) echo "$1" ;; esac
}

# run_foreign ARCH IMAGE PROGRAM ARGS...: PROGRAM of IMAGE run by podman as ARCH; HOW says how.
run_foreign() {
	local a=$1 img=$2 prog=$3 q
	shift 3
	q=$(qemu_of "$a")
	if grep -qx enabled "/proc/sys/fs/binfmt_misc/qemu-$q" 2>/dev/null; then
		HOW="binfmt"
		podman run --rm --arch "$a" --user 0 --entrypoint "$prog" "$(arch_name "$img" "$a")" "$@" 2>&1
	else
		HOW="qemu-$q-static as entrypoint (no binfmt handler)"
		podman run --rm --arch "$a" --user 0 -v "/usr/bin/qemu-$q-static:/qemu:ro" --entrypoint /qemu \
			"$(arch_name "$img" "$a")" "$prog" "$@" 2>&1
	fi
}

test_foreign_programs_answer_version_under_podman() {
	local a q out img path prog entry
	for a in $ARCHES; do
		[ "$a" = "$HOST_ARCH" ] && continue
		q=$(qemu_of "$a")
		if ! grep -qx enabled "/proc/sys/fs/binfmt_misc/qemu-$q" 2>/dev/null && [ ! -x "/usr/bin/qemu-$q-static" ]; then
			skip_test "no binfmt handler for $a and qemu-user-static is not installed (no /usr/bin/qemu-$q-static)"
			return
		fi
		# tether's: the same line as the host's build prints.
		for entry in pause:/usr/bin/tether:tether tether:/usr/bin/tether:tether launcher:/usr/bin/tini:tether \
			launcher:/usr/bin/tether-supervise:tether-supervise launcher:/usr/bin/container-disk:container-disk \
			virtiofs:/usr/bin/tether:tether; do
			IFS=: read -r img path prog <<<"$entry"
			out=$(run_foreign "$a" "$img" "$path" --version)
			assertEquals "$img/$a ($HOW): $path --version" "$("$BUILD_DIR/$prog" --version 2>&1)" "$out"
		done
		# Debian's, dynamic: the image's loader and libraries must all be there.
		out=$(run_foreign "$a" launcher /usr/sbin/libvirtd --version)
		assertContains "launcher/$a ($HOW): libvirtd --version" "$out" "/usr/sbin/libvirtd (libvirt) "
		out=$(run_foreign "$a" launcher /usr/sbin/virtlogd --version)
		assertContains "launcher/$a ($HOW): virtlogd --version" "$out" "/usr/sbin/virtlogd (libvirt) "
		out=$(run_foreign "$a" launcher /usr/bin/cp --version)
		assertContains "launcher/$a ($HOW): cp --version" "$out" "cp (GNU coreutils)"
		out=$(run_foreign "$a" virtiofs /usr/libexec/virtiofsd --version)
		assertContains "virtiofs/$a ($HOW): virtiofsd --version" "$out" "virtiofsd version "
	done
}

. "$TETHER_ROOT/tests/lib/run.sh"
