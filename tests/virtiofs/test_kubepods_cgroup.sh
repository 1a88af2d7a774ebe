#!/bin/bash
# tether-enter on a kubelet node's cgroups (systemd driver): the
# placeholder already runs in its container's cgroup,
#   kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid>.slice/
#   cri-containerd-<id>.scope
# in every mounted hierarchy (the one cgroup2 tree, with the controllers
# delegated down as systemd does, or each v1 controller's tree, or both on
# a hybrid host), and tether-enter, run from another cgroup, must put the
# program into exactly that cgroup, beside the placeholder.  Checked from
# /proc/<pid>/cgroup and from each hierarchy's own cgroup.procs.
. "$(dirname "$0")/../lib/common.sh"
. "$TETHER_ROOT/tests/virtiofs/lib.sh"

suite_setUp() {
	MADE=()
	local id=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
	POD=kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${id:0:8}_${id:8:4}_$$.slice
	CTR=$POD/cri-containerd-$id$id.scope
}

suite_tearDown() {
	stop_container
	local i
	for ((i = ${#MADE[@]} - 1; i >= 0; i--)); do
		# The killed container's last processes may still be exiting.
		until_true 5 rmdir "${MADE[$i]}" 2>/dev/null || echo "could not remove ${MADE[$i]}" >&2
	done
	# shunit2 calls the teardown once more at exit: nothing left to remove.
	MADE=()
}

# hierarchies: the mount point of each cgroup hierarchy under /sys/fs/cgroup.
hierarchies() {
	awk '($3 == "cgroup" || $3 == "cgroup2") && $2 ~ "^/sys/fs/cgroup(/|$)" { print $2 }' /proc/self/mounts
}

is_v2() {
	[ "$(stat -f -c %T "$1")" = cgroup2fs ]
}

# make_level DIR: one level of the path, made as systemd and kubelet make
# it: a v1 cpuset gets its parent's CPUs and memory nodes (else nothing can
# join it); a v2 level that is not the leaf delegates every controller it
# has to its children.
make_level() {
	local dir=$1 leaf=$2 c
	if [ ! -d "$dir" ]; then
		mkdir "$dir" || return 1
		MADE+=("$dir")
	fi
	if [ -e "$dir/cpuset.cpus" ] && ! is_v2 "$dir"; then
		[ -n "$(cat "$dir/cpuset.cpus")" ] || cat "$dir/../cpuset.cpus" >"$dir/cpuset.cpus"
		[ -n "$(cat "$dir/cpuset.mems")" ] || cat "$dir/../cpuset.mems" >"$dir/cpuset.mems"
	fi
	if is_v2 "$dir" && [ "$leaf" = no ]; then
		for c in $(cat "$dir/cgroup.controllers"); do
			echo "+$c" >"$dir/cgroup.subtree_control" || return 1
		done
	fi
}

# make_pod: the container's cgroup in every hierarchy; CTR_DIRS lists them.
make_pod() {
	local h rel part
	CTR_DIRS=
	for h in $(hierarchies); do
		rel=
		for part in ${CTR//\// }; do
			rel=$rel/$part
			make_level "$h$rel" "$([ "$rel" = "/$CTR" ] && echo yes || echo no)" ||
				{ fail "cannot make $h$rel"; return 1; }
		done
		CTR_DIRS="$CTR_DIRS $h/$CTR"
	done
	[ -n "$CTR_DIRS" ] || { fail "no cgroup hierarchy under /sys/fs/cgroup"; return 1; }
}

# start_in_pod: the placeholder as lib.sh's start_container starts it, but
# in the container's nested cgroups.
start_in_pod() {
	chmod 755 "$T"
	mkdir -m 777 "$T/run"
	SOCK=$T/run/ph.sock
	sh -c 'for d in $1; do echo $$ >"$d/cgroup.procs" || exit 1; done; shift; exec "$@"' \
		sh "$CTR_DIRS" \
		unshare --pid --fork --mount --mount-proc --net --ipc --uts --cgroup \
		setpriv --reuid 107 --regid 107 --clear-groups --inh-caps=-all --bounding-set=-all -- \
		"$TETHER" --placeholder --socket "$SOCK" -vv --log-format text >"$T/ph.out" 2>"$T/ph.err" &
	U=$!
	ph_listening 10 || { cat "$T/ph.err"; fail "placeholder did not start"; return 1; }
}

test_the_program_joins_the_placeholders_nested_container_cgroup() {
	make_pod || return
	start_in_pod || return
	local d n=0 f
	for d in $CTR_DIRS; do
		assertTrue "placeholder in $d" "grep -qx $PH '$d/cgroup.procs'"
		assertFalse "runner not in $d" "grep -qx $$ '$d/cgroup.procs'"
		n=$((n + 1))
	done
	enter_fake
	assertEquals "tether-enter exit code" 0 $?
	assertTrue "record written" "wait_for_line '$T/rec' '^done' 5"
	f=$(fake_pid_in_pod)
	assertNotNull "the program runs under the placeholder" "$f"
	[ -n "$f" ] || return
	for d in $CTR_DIRS; do
		assertTrue "program listed in $d/cgroup.procs: $(tr '\n' ' ' <"$d/cgroup.procs")" \
			"grep -qx $f '$d/cgroup.procs'"
		assertTrue "placeholder still in $d" "grep -qx $PH '$d/cgroup.procs'"
	done
	assertEquals "/proc/<program>/cgroup names the container in each of the $n hierarchies: $(tr '\n' ' ' </proc/$f/cgroup)" \
		$n "$(grep -c ":/$CTR\$" /proc/$f/cgroup)"
	assertEquals "/proc/<program>/cgroup is the placeholder's" "$(cat /proc/$PH/cgroup)" "$(cat /proc/$f/cgroup)"
	assertEquals "the container's own view (cgroup namespace)" \
		"$(nsenter -t "$PH" -m -p -C cat /proc/1/cgroup)" "$(sed -n 's|^cgroup ||p' "$T/rec")"
}

# On a pure v2 host the container's cgroup has the controllers systemd
# delegated down to it, so the program is accounted where kubelet set limits.
test_on_pure_v2_the_controllers_reach_the_container() {
	[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] ||
		{ skip_test "not a pure cgroup v2 host (runs in tests/vm's v2 VM)"; return; }
	make_pod || return
	local want
	want=$(tr ' ' '\n' </sys/fs/cgroup/cgroup.subtree_control | grep -xE 'memory|pids|cpu' | sort | tr '\n' ' ')
	assertNotNull "the root delegates memory, pids or cpu" "$want"
	assertEquals "controllers of the container's cgroup" "$want" \
		"$(tr ' ' '\n' </sys/fs/cgroup/$CTR/cgroup.controllers | grep -xE 'memory|pids|cpu' | sort | tr '\n' ' ')"
	start_in_pod || return
	enter_fake
	assertEquals "tether-enter exit code" 0 $?
	wait_for_line "$T/rec" '^done' 5
	local f=$(fake_pid_in_pod)
	assertEquals "/proc/<program>/cgroup" "0::/$CTR" "$(cat /proc/$f/cgroup 2>/dev/null)"
	assertTrue "the container's pids.current counts both" "[ \$(cat /sys/fs/cgroup/$CTR/pids.current) -ge 2 ]"
}

fake_pid_in_pod() {
	pgrep -P "$PH" -f fake_virtiofsd
}

. "$TETHER_ROOT/tests/lib/run.sh"
