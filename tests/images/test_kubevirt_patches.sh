#!/bin/bash
# Every patch in images/kubevirt/ applies at the ref its name gives and leaves gofmt-clean Go:
#   NAME.kubevirt-v1.6.2.patch                  kubevirt/kubevirt, tag v1.6.2
#   NAME.deckhouse-v1.6.2-virtualization.patch  deckhouse/3p-kubevirt, branch v1.6.2-virtualization
# The sources come from the git mirrors ($TETHER_MIRRORS, default /work/.mirror): the files a patch
# touches are taken at the ref with `git archive` into a scratch directory (the mirror is not
# changed), the patch is checked and applied there with `git apply`, and gofmt lists no touched Go
# file. Without the mirrors or gofmt (Debian's golang-go) the tests are skipped and say why.
# KubeVirt cannot be compiled here (it needs Go 1.23; Debian 12 has 1.19).
. "$(dirname "$0")/../lib/common.sh"

MIRRORS=${TETHER_MIRRORS:-/work/.mirror}
PATCHES=$TETHER_ROOT/images/kubevirt

# ref_of PATCH: "MIRROR-DIR REF" for the patch's name, or nothing.
ref_of() {
	case $1 in
	*.kubevirt-v1.6.2.patch) echo "$MIRRORS/kubevirt+kubevirt/repo v1.6.2" ;;
	*.deckhouse-v1.6.2-virtualization.patch) echo "$MIRRORS/deckhouse+3p-kubevirt/repo v1.6.2-virtualization" ;;
	esac
}

# touched PATCH: the paths it changes.
touched() {
	sed -n 's|^+++ b/||p' "$1" | sed 's/\t.*//'
}

# check_patch PATCH: "ok" or the first failure, on stdout; the scratch tree is removed.
check_patch() {
	local patch=$1 repo ref dir f bad
	read -r repo ref <<<"$(ref_of "$patch")"
	dir=$(mktemp -d "$T/src.XXXXXX")
	# shellcheck disable=SC2046 # one path per file
	git -C "$repo" archive "$ref" -- $(touched "$patch") | tar -x -C "$dir" ||
		{ echo "git archive of $ref failed"; return; }
	(cd "$dir" && git apply --check "$patch" 2>&1 && git apply "$patch" 2>&1) >"$T/apply.out" ||
		{ echo "does not apply at $ref: $(head -3 "$T/apply.out")"; return; }
	for f in $(touched "$patch"); do
		case $f in *.go) ;; *) continue ;; esac
		bad=$(gofmt -l "$dir/$f" 2>&1)
		[ -z "$bad" ] || { echo "not gofmt-clean at $ref: $f"; return; }
	done
	rm -rf "$dir"
	echo ok
}

suite_setUp() {
	local p
	command -v gofmt >/dev/null || { skip_test "gofmt is not installed (apt-get install golang-go)"; return; }
	for p in kubevirt+kubevirt deckhouse+3p-kubevirt; do
		[ -d "$MIRRORS/$p/repo" ] || { skip_test "no git mirror $MIRRORS/$p/repo"; return; }
	done
}

test_every_patch_names_its_ref() {
	isSkipping && return 0
	local p n=0
	for p in "$PATCHES"/*.patch; do
		[ -e "$p" ] || continue
		n=$((n + 1))
		assertNotNull "$(basename "$p") names a known ref" "$(ref_of "$p")"
		assertNotNull "$(basename "$p") touches files" "$(touched "$p")"
	done
	assertTrue "at least the two virt-controller patches ($n)" "[ $n -ge 2 ]"
}

test_every_patch_applies_and_is_gofmt_clean() {
	isSkipping && return 0
	local p
	for p in "$PATCHES"/*.patch; do
		[ -n "$(ref_of "$p")" ] || continue
		assertEquals "$(basename "$p")" ok "$(check_patch "$p")"
	done
}

test_the_check_fails_on_a_patch_that_does_not_apply() {
	isSkipping && return 0
	local p=$T/broken.kubevirt-v1.6.2.patch
	# One context line that is not in the source.
	sed '0,/^ 	pod.Spec.Volumes = append(pod.Spec.Volumes, sidecarVolumes...)/s//  	pod.Spec.Volumes = append(pod.Spec.Volumes, sidecarVolumes)/' \
		"$PATCHES/virt-controller.kubevirt-v1.6.2.patch" >"$p"
	assertNotEquals "the broken copy differs" "" "$(cmp "$p" "$PATCHES/virt-controller.kubevirt-v1.6.2.patch" 2>&1)"
	assertContains "$(check_patch "$p")" "does not apply at v1.6.2"
}

test_the_check_fails_on_go_that_gofmt_would_change() {
	isSkipping && return 0
	local p=$T/unformatted.kubevirt-v1.6.2.patch
	sed 's/^+\tcommand := \[\]string{"\/usr\/libexec\/virtiofsd"}$/+\tcommand :=  []string{"\/usr\/libexec\/virtiofsd"}/' \
		"$PATCHES/virt-controller.kubevirt-v1.6.2.patch" >"$p"
	assertNotEquals "the unformatted copy differs" "" "$(cmp "$p" "$PATCHES/virt-controller.kubevirt-v1.6.2.patch" 2>&1)"
	assertContains "$(check_patch "$p")" "not gofmt-clean at v1.6.2: pkg/virt-controller/services/virtiofs.go"
}

. "$TETHER_ROOT/tests/lib/run.sh"
