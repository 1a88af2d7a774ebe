#!/bin/bash
# The virt-launcher and virt-handler patches of images/kubevirt/ (this
# role's) apply at their refs, all of a ref's patches together, and leave
# gofmt-clean Go:
#   NAME.kubevirt-v1.6.2.patch                  kubevirt/kubevirt, tag v1.6.2
#   NAME.deckhouse-v1.6.2-virtualization.patch  deckhouse/3p-kubevirt, branch v1.6.2-virtualization
# The sources come from the git mirrors ($TETHER_MIRRORS, default
# /work/.mirror), taken with `git archive` (the mirror is not changed).
# Without the mirrors or gofmt the tests are skipped and say why (CI has no
# mirrors).  KubeVirt cannot be compiled here: it needs Go 1.23, Debian 12
# has 1.19; the C side of the patches is tested by test_for_parent.sh.
. "$(dirname "$0")/../lib/common.sh"

MIRRORS=${TETHER_MIRRORS:-/work/.mirror}
PATCHES=$TETHER_ROOT/images/kubevirt
REFS="kubevirt-v1.6.2 deckhouse-v1.6.2-virtualization"

# repo_of REF-NAME: "MIRROR-DIR REF".
repo_of() {
	case $1 in
	kubevirt-v1.6.2) echo "$MIRRORS/kubevirt+kubevirt/repo v1.6.2" ;;
	deckhouse-v1.6.2-virtualization) echo "$MIRRORS/deckhouse+3p-kubevirt/repo v1.6.2-virtualization" ;;
	esac
}

touched() { sed -n 's|^+++ b/||p' "$@" | sed 's/\t.*//' | sort -u; }

# stack REF-NAME PATCH...: the patches applied one after the other on the
# ref's files; "ok" or the first failure.
stack() {
	local name=$1 repo ref dir p f
	shift
	read -r repo ref <<<"$(repo_of "$name")"
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
	cp -r "$dir" "$T/last"
	echo ok
}

suite_setUp() {
	local p
	command -v gofmt >/dev/null || { skip_test "gofmt is not installed (apt-get install golang-go)"; return; }
	for p in kubevirt+kubevirt deckhouse+3p-kubevirt; do
		[ -d "$MIRRORS/$p/repo" ] || { skip_test "no git mirror $MIRRORS/$p/repo (CI has none)"; return; }
	done
}

test_ours_apply_and_are_gofmt_clean() {
	isSkipping && return 0
	local name c
	for name in $REFS; do
		for c in virt-launcher virt-handler; do
			assertTrue "$c.$name.patch exists" "[ -f '$PATCHES/$c.$name.patch' ]"
			assertEquals "$c.$name.patch" ok "$(stack "$name" "$PATCHES/$c.$name.patch")"
		done
	done
}

test_all_of_a_ref_apply_together() {
	isSkipping && return 0
	local name
	for name in $REFS; do
		assertEquals "every $name patch, stacked" ok "$(stack "$name" "$PATCHES"/*."$name".patch)"
	done
}

# What the patched sources say, so that a patch that applies but lost
# its point fails.
test_the_patched_sources() {
	isSkipping && return 0
	local h=pkg/virt-launcher/virtwrap/util/libvirt_helper.go
	stack kubevirt-v1.6.2 "$PATCHES"/virt-launcher.kubevirt-v1.6.2.patch >/dev/null
	assertTrue "upstream: tether-supervise with upstream's daemon settings" \
		"grep -q 'exec.Command(\"/usr/bin/tether-supervise\", \"--for-parent\",' '$T/last/$h' && grep -q '\"--no-restricted-flags\", \"--auth-pid\", \"none\", \"--virtqemud-env\", \"inherit\")' '$T/last/$h'"
	assertFalse "upstream: no daemon is started by virt-launcher" "grep -q '/usr/sbin/virt' '$T/last/$h'"
	assertTrue "upstream: main waits for the daemons" "grep -q '<-daemonsDone' '$T/last/cmd/virt-launcher/virt-launcher.go'"
	rm -rf "$T/last"
	stack deckhouse-v1.6.2-virtualization "$PATCHES"/virt-launcher.deckhouse-v1.6.2-virtualization.patch >/dev/null
	assertTrue "Deckhouse: tether-supervise --for-parent --strict" \
		"grep -q 'exec.Command(\"/usr/bin/tether-supervise\", \"--for-parent\", \"--strict\")' '$T/last/$h'"
	assertFalse "Deckhouse: no daemon is started by virt-launcher" "grep -q '/usr/sbin/virt' '$T/last/$h'"
	assertFalse "Deckhouse: nothing writes the termination log" \
		"grep -q 'termination-log\"' '$T/last/pkg/virt-launcher/notify-client/client.go'"
	assertTrue "Deckhouse: SHUTDOWN goes to the event socket" \
		"grep -q 'net.DialTimeout(\"unixgram\", \"/var/run/kubevirt-private/tether-events.sock\"' '$T/last/pkg/virt-launcher/notify-client/client.go'"
	rm -rf "$T/last"
	stack kubevirt-v1.6.2 "$PATCHES"/virt-handler.kubevirt-v1.6.2.patch >/dev/null
	assertTrue "virt-handler: virtqemud may be virt-launcher's grandchild" \
		"grep -q 'process.PPid() != launcherPid && parents\[process.PPid()\] != launcherPid' '$T/last/pkg/virt-handler/isolation/detector.go'"
}

test_the_check_fails_on_a_broken_patch() {
	isSkipping && return 0
	local p=$T/broken.patch
	# One context line that is not in the source.
	sed 's/^ 	domainName := api.VMINamespaceKeyFunc(vmi)$/ 	domainName := api.VMINamespaceKeyFunc(vm)/' \
		"$PATCHES/virt-launcher.kubevirt-v1.6.2.patch" >"$p"
	assertFalse "the broken copy differs" "cmp -s '$p' '$PATCHES/virt-launcher.kubevirt-v1.6.2.patch'"
	assertContains "$(stack kubevirt-v1.6.2 "$p")" "does not apply at v1.6.2"
	sed 's/^+	done := make(chan struct{})$/+	done :=  make(chan struct{})/' \
		"$PATCHES/virt-launcher.kubevirt-v1.6.2.patch" >"$p"
	assertFalse "the unformatted copy differs" "cmp -s '$p' '$PATCHES/virt-launcher.kubevirt-v1.6.2.patch'"
	assertContains "$(stack kubevirt-v1.6.2 "$p")" "not gofmt-clean at v1.6.2"
}

. "$TETHER_ROOT/tests/lib/run.sh"
