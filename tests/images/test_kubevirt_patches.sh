#!/bin/bash
# Every patch in images/kubevirt/ applies at the ref its name gives, alone and stacked with the
# ref's other patches, leaves gofmt-clean Go, and keeps its point:
#   NAME.kubevirt-v1.6.2.patch                  kubevirt/kubevirt, tag v1.6.2
#   NAME.deckhouse-v1.6.2-virtualization.patch  deckhouse/3p-kubevirt, branch v1.6.2-virtualization
# The sources come from the git mirrors ($TETHER_MIRRORS, default /work/.mirror): the files the
# patches touch are taken at the ref with `git archive` into a scratch directory (the mirror is not
# changed), each patch is checked and applied there with `git apply`, and gofmt lists no touched Go
# file. Without the mirrors or gofmt (Debian's golang-go) the tests are skipped and say why (CI
# has no mirrors). KubeVirt cannot be compiled here (it needs Go 1.23; Debian 12 has 1.19); the C
# side of the virt-launcher patches runs for real in tests/supervisor/test_for_parent.sh and in
# the compute container of the e2e suites (tests/e2e/test_launcher_*.sh).
. "$(dirname "$0")/../lib/common.sh"

MIRRORS=${TETHER_MIRRORS:-/work/.mirror}
PATCHES=$TETHER_ROOT/images/kubevirt
REFS="kubevirt-v1.6.2 deckhouse-v1.6.2-virtualization"

# ref_of PATCH: "MIRROR-DIR REF" for the patch's name, or nothing.
ref_of() {
	case $1 in
	*.kubevirt-v1.6.2.patch) echo "$MIRRORS/kubevirt+kubevirt/repo v1.6.2" ;;
	*.deckhouse-v1.6.2-virtualization.patch) echo "$MIRRORS/deckhouse+3p-kubevirt/repo v1.6.2-virtualization" ;;
	esac
}

# touched PATCH...: the paths they change.
touched() { sed -n 's|^+++ b/||p' "$@" | sed 's/\t.*//' | sort -u; }

# stack PATCH...: the patches (all for the first one's ref) applied one after the other on the
# ref's files; "ok" or the first failure on stdout. The patched tree is left in $T/last.
stack() {
	local repo ref dir p f
	read -r repo ref <<<"$(ref_of "$1")"
	rm -rf "$T/last"
	dir=$(mktemp -d "$T/src.XXXXXX")
	# shellcheck disable=SC2046 # one path per file
	git -C "$repo" archive "$ref" -- $(touched "$@") | tar -x -C "$dir" ||
		{ echo "git archive of $ref failed"; return; }
	for p in "$@"; do
		(cd "$dir" && git apply --check "$p" && git apply "$p") >"$T/apply.out" 2>&1 ||
			{ echo "$(basename "$p") does not apply at $ref: $(head -2 "$T/apply.out")"; return; }
	done
	for f in $(touched "$@"); do
		case $f in *.go) ;; *) continue ;; esac
		[ -z "$(gofmt -l "$dir/$f" 2>&1)" ] || { echo "not gofmt-clean at $ref: $f"; return; }
	done
	mv "$dir" "$T/last"
	echo ok
}

suite_setUp() {
	local p
	command -v gofmt >/dev/null || { skip_test "gofmt is not installed (apt-get install golang-go)"; return; }
	for p in kubevirt+kubevirt deckhouse+3p-kubevirt; do
		[ -d "$MIRRORS/$p/repo" ] || { skip_test "no git mirror $MIRRORS/$p/repo (CI has none)"; return; }
	done
}

test_every_patch_names_its_ref() {
	isSkipping && return 0
	local p name c n=0
	for p in "$PATCHES"/*.patch; do
		[ -e "$p" ] || continue
		n=$((n + 1))
		assertNotNull "$(basename "$p") names a known ref" "$(ref_of "$p")"
		assertNotNull "$(basename "$p") touches files" "$(touched "$p")"
	done
	for name in $REFS; do
		for c in virt-controller virt-launcher virt-handler; do
			assertTrue "$c.$name.patch exists" "[ -f '$PATCHES/$c.$name.patch' ]"
		done
	done
	assertTrue "six patches at least ($n)" "[ $n -ge 6 ]"
}

test_each_patch_alone_applies_and_is_gofmt_clean() {
	isSkipping && return 0
	local p
	for p in "$PATCHES"/*.patch; do
		[ -n "$(ref_of "$p")" ] || continue
		assertEquals "$(basename "$p")" ok "$(stack "$p")"
	done
}

test_all_of_a_ref_apply_together() {
	isSkipping && return 0
	local name
	for name in $REFS; do
		assertEquals "every $name patch, stacked" ok "$(stack "$PATCHES"/*."$name".patch)"
	done
}

# What the patched sources say, so that a patch that applies but lost its point fails.
test_the_patched_sources() {
	isSkipping && return 0
	local h=pkg/virt-launcher/virtwrap/util/libvirt_helper.go
	stack "$PATCHES"/virt-launcher.kubevirt-v1.6.2.patch >/dev/null
	assertTrue "upstream: tether-supervise with upstream's daemon settings" \
		"grep -q 'exec.Command(\"/usr/bin/tether-supervise\", \"--for-parent\",' '$T/last/$h' && grep -q '\"--no-restricted-flags\", \"--auth-pid\", \"none\", \"--virtqemud-env\", \"inherit\")' '$T/last/$h'"
	assertFalse "upstream: no daemon is started by virt-launcher" "grep -q '/usr/sbin/virt' '$T/last/$h'"
	assertTrue "upstream: main waits for the daemons" "grep -q '<-daemonsDone' '$T/last/cmd/virt-launcher/virt-launcher.go'"
	stack "$PATCHES"/virt-launcher.deckhouse-v1.6.2-virtualization.patch >/dev/null
	assertTrue "Deckhouse: tether-supervise --for-parent --strict" \
		"grep -q 'exec.Command(\"/usr/bin/tether-supervise\", \"--for-parent\", \"--strict\")' '$T/last/$h'"
	assertFalse "Deckhouse: no daemon is started by virt-launcher" "grep -q '/usr/sbin/virt' '$T/last/$h'"
	assertFalse "Deckhouse: nothing writes the termination log" \
		"grep -q 'termination-log\"' '$T/last/pkg/virt-launcher/notify-client/client.go'"
	assertTrue "Deckhouse: SHUTDOWN goes to the event socket" \
		"grep -q 'net.DialTimeout(\"unixgram\", \"/var/run/kubevirt-private/tether-events.sock\"' '$T/last/pkg/virt-launcher/notify-client/client.go'"
	stack "$PATCHES"/virt-handler.kubevirt-v1.6.2.patch >/dev/null
	assertTrue "virt-handler: virtqemud may be virt-launcher's grandchild" \
		"grep -q 'process.PPid() != launcherPid && parents\[process.PPid()\] != launcherPid' '$T/last/pkg/virt-handler/isolation/detector.go'"
}

test_the_check_fails_on_a_patch_that_does_not_apply() {
	isSkipping && return 0
	local p=$T/broken.kubevirt-v1.6.2.patch
	# One context line that is not in the source.
	sed '0,/^ 	pod.Spec.Volumes = append(pod.Spec.Volumes, sidecarVolumes...)/s//  	pod.Spec.Volumes = append(pod.Spec.Volumes, sidecarVolumes)/' \
		"$PATCHES/virt-controller.kubevirt-v1.6.2.patch" >"$p"
	assertNotEquals "the broken copy differs" "" "$(cmp "$p" "$PATCHES/virt-controller.kubevirt-v1.6.2.patch" 2>&1)"
	assertContains "$(stack "$p")" "does not apply at v1.6.2"
}

test_the_check_fails_on_go_that_gofmt_would_change() {
	isSkipping && return 0
	local p=$T/unformatted.kubevirt-v1.6.2.patch
	sed 's/^+\tcommand := \[\]string{"\/usr\/libexec\/virtiofsd"}$/+\tcommand :=  []string{"\/usr\/libexec\/virtiofsd"}/' \
		"$PATCHES/virt-controller.kubevirt-v1.6.2.patch" >"$p"
	assertNotEquals "the unformatted copy differs" "" "$(cmp "$p" "$PATCHES/virt-controller.kubevirt-v1.6.2.patch" 2>&1)"
	assertContains "$(stack "$p")" "not gofmt-clean at v1.6.2: pkg/virt-controller/services/virtiofs.go"
}

. "$TETHER_ROOT/tests/lib/run.sh"
