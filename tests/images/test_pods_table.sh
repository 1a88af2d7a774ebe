#!/bin/bash
# tether's pods (images/pods/<rendering>/NAME.yaml) differ from what virt-controller renders
# (NAME.rendered.yaml) only where the differences table of images/README.md has a row
# (tests/images/pods_table.py). Also: the checker refuses a changed line without a marker, a
# dropped line, an unknown marker and a row that marks nothing, so it cannot pass by accident.
. "$(dirname "$0")/../lib/common.sh"

CHECK=$TETHER_ROOT/tests/images/pods_table.py
README=$TETHER_ROOT/images/README.md
PODS=$TETHER_ROOT/images/pods

suite_setUp() {
	python3 -c 'import yaml' 2>/dev/null || skip_test "python3-yaml is not installed"
}

check() {
	OUT=$(python3 "$CHECK" "$@" 2>&1)
}

# mutant SED FILE: a copy of the pods and the README in $T/m, with SED applied to FILE
# (relative to $T/m); OUT and $? are the checker's on it.
mutant() {
	rm -rf "$T/m"
	mkdir -p "$T/m"
	cp -r "$PODS" "$T/m/pods"
	cp "$README" "$T/m/README.md"
	sed -i "$1" "$T/m/$2"
	check "$T/m/README.md" "$T/m/pods"
}

test_every_difference_has_a_row() {
	isSkipping && return 0
	check "$README" "$PODS"
	assertEquals "checker output: $OUT" 0 $?
	assertEquals "" "$OUT"
}

test_renderings_and_pods_are_there() {
	isSkipping && return 0
	local r p
	for r in kubevirt deckhouse; do
		for p in virt-launcher hotplug; do
			assertTrue "$r/$p.rendered.yaml" "[ -f '$PODS/$r/$p.rendered.yaml' ]"
			assertTrue "$r/$p.yaml" "[ -f '$PODS/$r/$p.yaml' ]"
		done
		assertTrue "$r/vmi.yaml" "[ -f '$PODS/$r/vmi.yaml' ]"
	done
}

test_a_changed_line_without_a_marker_is_refused() {
	isSkipping && return 0
	mutant 's|memory: 405760Ki|memory: 1Gi|' pods/kubevirt/virt-launcher.yaml
	assertEquals 1 $?
	assertContains "$OUT" "virt-launcher.yaml:"
	assertContains "$OUT" "differs from the rendering without a row: memory: 1Gi"
}

test_a_dropped_line_is_refused() {
	isSkipping && return 0
	mutant '/terminationMessagePolicy: FallbackToLogsOnError/d' pods/deckhouse/hotplug.yaml
	assertEquals 1 $?
	assertContains "$OUT" "dropped without a row: terminationMessagePolicy: FallbackToLogsOnError"
}

test_an_unknown_marker_and_an_unused_row_are_refused() {
	isSkipping && return 0
	mutant 's|# tether: hp-exec|# tether: no-such-row|' pods/kubevirt/hotplug.yaml
	assertEquals 1 $?
	assertContains "$OUT" "marker no-such-row is no row of the table"
	assertContains "$OUT" "row hp-exec marks no line of any pod"
}

test_a_marker_on_an_unchanged_line_is_refused() {
	isSkipping && return 0
	mutant 's|^  restartPolicy: Never$|  restartPolicy: Never   # tether: img|' pods/kubevirt/virt-launcher.yaml
	assertEquals 1 $?
	assertContains "$OUT" "marked img but equal to the rendering"
}

test_a_mount_of_an_undeclared_volume_is_refused() {
	isSkipping && return 0
	mutant '/- {name: virtiofs-sockets, emptyDir: {}}/d' pods/deckhouse/virt-launcher.yaml
	assertEquals 1 $?
	assertContains "$OUT" "virtiofs-shared mounts virtiofs-sockets, which is no volume of the pod"
}

. "$TETHER_ROOT/tests/lib/run.sh"
