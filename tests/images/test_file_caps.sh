#!/bin/bash
# The launcher image's file capabilities (images/README.md, "File capabilities"): tini (tether) and
# tether-supervise carry cap_net_bind_service=ep, as KubeVirt's and Deckhouse's images give it to
# virt-launcher-monitor and tini; the placeholder and the holder carry none. Their effect is shown
# with runc itself, from an OCI spec shaped as containerd writes it for a non-root container with
# capabilities.add [NET_BIND_SERVICE] and allowPrivilegeEscalation false (bounding, effective and
# permitted hold the capability, ambient and inheritable do not, no_new_privs): podman cannot show
# it, because it also fills the ambient set (images/NOTES.md).
. "$(dirname "$0")/../lib/common.sh"
. "$TETHER_ROOT/images/lib.sh"

IMAGE=localhost/tether-launcher:latest
NET_BIND=0000000000000400
NONE=0000000000000000

oneTimeSetUp() {
	img_env
	UNAVAILABLE=$(img_unavailable_reason) || UNAVAILABLE=
	[ -z "$UNAVAILABLE" ] || return 0
	for t in getcap jq; do
		command -v $t >/dev/null || { UNAVAILABLE="$t is not installed"; return 0; }
	done
	WORK=$(mktemp -d /tmp/tether-caps.XXXXXX)
	# The build must succeed now: an image left from an earlier build would test old binaries.
	TETHER_IMAGE_BUILD=${TETHER_IMAGE_BUILD:-$TETHER_ROOT/build} "$TETHER_ROOT/images/build.sh" launcher \
		>"$WORK/images.txt" 2>&1 || { cat "$WORK/images.txt"; setup_failed "images/build.sh launcher failed"; return 0; }
	# A container's root over the image: writable, so runc can make its mount points.
	CTR=$(podman create "$IMAGE") && ROOTFS=$(podman mount "$CTR") ||
		setup_failed "podman create/mount of $IMAGE failed"
	CTRS=()
}

oneTimeTearDown() {
	[ -z "$UNAVAILABLE" ] || return 0
	[ -z "${CTR:-}" ] || podman rm --force "$CTR" >/dev/null 2>&1
	rm -rf "$WORK"
}

suite_setUp() {
	[ -z "$UNAVAILABLE" ] || skip_test "$UNAVAILABLE"
}

suite_tearDown() {
	local c
	for c in "${CTRS[@]}"; do
		runc kill "$c" KILL >/dev/null 2>&1
		runc delete --force "$c" >/dev/null 2>&1
	done
	CTRS=()
}

# bundle DIR CAPS ARGS...: an OCI bundle in DIR over the image's root (read-only), the process ARGS
# as uid/gid 107 with no_new_privs, CAPS (a JSON list) in its bounding, effective and permitted
# sets and nothing in ambient or inheritable; /tmp is a tmpfs owned by 107 (runc gives a
# tmpfs the mode of the directory it covers, so mode=1777 would not do).
bundle() {
	local dir=$1 caps=$2
	shift 2
	local args
	rm -rf "$dir"
	mkdir -p "$dir"
	(cd "$dir" && runc spec) || return 1
	args=$(printf '%s\n' "$@" | jq -R . | jq -s .)
	jq --arg root "$ROOTFS" --argjson caps "$caps" --argjson args "$args" '
		.root = {path: $root, readonly: true}
		| .process.terminal = false
		| .process.user = {uid: 107, gid: 107}
		| .process.args = $args
		| .process.noNewPrivileges = true
		| .process.capabilities = {bounding: $caps, effective: $caps, permitted: $caps}
		| .mounts += [{destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "uid=107", "gid=107"]}]
	' <"$dir/config.json" >"$dir/config.new" && mv "$dir/config.new" "$dir/config.json"
}

# run_pid1 NAME CAPS ARGS...: runs ARGS as PID 1 of a runc container NAME; PID1 is its host pid,
# empty if it did not start (its stderr in $WORK/NAME.err).
run_pid1() {
	local tag=$1 name=tether-caps-$1-$$ caps=$2
	shift 2
	PID1=
	bundle "$WORK/$tag" "$caps" "$@" || return 1
	CTRS+=("$name")
	runc run --detach --bundle "$WORK/$tag" "$name" </dev/null >"$WORK/$tag.out" 2>"$WORK/$tag.err" || return 1
	# A process that could not be executed leaves a stopped container with pid 0.
	PID1=$(runc state "$name" | jq -r .pid)
	[ "$PID1" != 0 ] || PID1=
	[ -n "$PID1" ]
}

cap_of() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

test_the_image_carries_the_file_capabilities() {
	isSkipping && return 0
	local f
	for f in tini tether-supervise; do
		assertEquals "/usr/bin/$f" "$ROOTFS/usr/bin/$f cap_net_bind_service=ep" "$(getcap "$ROOTFS/usr/bin/$f")"
	done
	for f in virtiofs-placeholder container-disk virt-launcher; do
		assertEquals "/usr/bin/$f has none" "" "$(getcap "$ROOTFS/usr/bin/$f")"
	done
	assertTrue "the placeholder is not the capable tini (a file of its own)" \
		"[ \"\$(stat -c %i '$ROOTFS/usr/bin/tini')\" != \"\$(stat -c %i '$ROOTFS/usr/bin/virtiofs-placeholder')\" ]"
}

test_a_non_root_pid1_gets_the_capability_from_its_file() {
	isSkipping && return 0
	run_pid1 tini '["CAP_NET_BIND_SERVICE"]' /usr/bin/tini --pause
	assertTrue "tini started: $(cat "$WORK/tini.err" 2>/dev/null)" "[ -n '$PID1' ]"
	[ -n "$PID1" ] || return 0
	assertEquals "uid 107" 107 "$(cap_of "$PID1" Uid)"
	assertEquals "no_new_privs" 1 "$(cap_of "$PID1" NoNewPrivs)"
	assertEquals "no ambient set from the runtime" $NONE "$(cap_of "$PID1" CapAmb)"
	assertEquals "NET_BIND_SERVICE effective, from the file" $NET_BIND "$(cap_of "$PID1" CapEff)"
	assertEquals "and permitted" $NET_BIND "$(cap_of "$PID1" CapPrm)"
}

test_without_the_file_capability_it_does_not() {
	isSkipping && return 0
	# A binary without a file capability that keeps what it gets (the launcher; the placeholder
	# would drop it itself and prove nothing).
	run_pid1 plain '["CAP_NET_BIND_SERVICE"]' /usr/bin/virt-launcher --config-dir /tmp --socket /tmp/libvirt-sock
	assertTrue "the launcher started: $(cat "$WORK/plain.err" 2>/dev/null)" "[ -n '$PID1' ]"
	[ -n "$PID1" ] || return 0
	assertEquals "the capability is in the bounding set" $NET_BIND "$(cap_of "$PID1" CapBnd)"
	assertEquals "but not effective" $NONE "$(cap_of "$PID1" CapEff)"
	assertEquals "nor permitted" $NONE "$(cap_of "$PID1" CapPrm)"
}

test_tether_supervise_passes_it_on_to_main() {
	isSkipping && return 0
	local main
	# MAIN: the launcher, which keeps the capabilities it is given (the placeholder drops them),
	# waiting for a libvirt socket that never comes.
	run_pid1 sup '["CAP_NET_BIND_SERVICE"]' /usr/bin/tether-supervise --no-virtlogd --no-virtqemud \
		--no-termination-log --no-prepare --no-seed --no-cleanup -- \
		/usr/bin/virt-launcher --config-dir /tmp --socket /tmp/libvirt-sock
	assertTrue "tether-supervise started: $(cat "$WORK/sup.err" 2>/dev/null)" "[ -n '$PID1' ]"
	[ -n "$PID1" ] || return 0
	assertEquals "tether-supervise's own, from its file" $NET_BIND "$(cap_of "$PID1" CapEff)"
	until_true 5 pgrep -P "$PID1" >/dev/null
	main=$(pgrep -P "$PID1")
	assertNotNull "MAIN runs" "$main"
	[ -n "$main" ] || return 0
	# MAIN (here a binary without a file capability) gets it through the ambient set.
	assertEquals "MAIN's ambient set" $NET_BIND "$(cap_of "$main" CapAmb)"
	assertEquals "MAIN's effective set" $NET_BIND "$(cap_of "$main" CapEff)"
}

test_the_capable_file_cannot_run_where_the_capability_is_dropped() {
	isSkipping && return 0
	# Why the placeholder is a copy of its own: the virtiofs container drops ALL, and a file
	# capability with the effective bit then makes the exec fail.
	run_pid1 dropped '[]' /usr/bin/tini --pause
	assertNull "tini does not start without the capability" "$PID1"
	assertContains "$(cat "$WORK/dropped.err")" "operation not permitted"
	run_pid1 dropped2 '[]' /usr/bin/virtiofs-placeholder --socket /tmp/p.sock
	assertNotNull "the placeholder does: $(cat "$WORK/dropped2.err" 2>/dev/null)" "$PID1"
}

. "$TETHER_ROOT/tests/lib/run.sh"
