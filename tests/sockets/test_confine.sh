#!/bin/bash
# Confinement (capabilities, no_new_privs, seccomp) and KubeVirt-shaped
# containers without podman: uid 107, no capabilities, PID namespace,
# read-only bind of the root, emptyDirs bound in; the test acts as
# virt-handler from the host.  Real pods are issue 5's (images/).
. "$(dirname "$0")/../lib/common.sh"
. "$TETHER_ROOT/tests/sockets/cd_lib.sh"

# The ASan build links dynamically: it cannot run in a root with no libc.
static_or_skip() {
	file -L "$CD" | grep -q 'statically linked' && return 0
	skip_test "$CD is dynamically linked (ASan build): no FROM-scratch root for it"
	return 1
}

expect_seccomp() { if is_asan; then echo 0; else echo 2; fi; }

test_started_privileged_it_drops_everything() {
	start_holder h -c "$T/d/x"
	assertEquals CapEff 0000000000000000 "$(status_field "$HOLDER" CapEff)"
	assertEquals CapPrm 0000000000000000 "$(status_field "$HOLDER" CapPrm)"
	assertEquals CapInh 0000000000000000 "$(status_field "$HOLDER" CapInh)"
	assertEquals CapAmb 0000000000000000 "$(status_field "$HOLDER" CapAmb)"
	assertEquals CapBnd 0000000000000000 "$(status_field "$HOLDER" CapBnd)"
	assertEquals NoNewPrivs 1 "$(status_field "$HOLDER" NoNewPrivs)"
	assertEquals Seccomp "$(expect_seccomp)" "$(status_field "$HOLDER" Seccomp)"
	assertEquals "ok 5 failed 0" "$("$SC" "$T/d/x.sock" 5)"
}

test_no_seccomp_option() {
	start_holder h -c "$T/d/x" --no-seccomp
	assertEquals Seccomp 0 "$(status_field "$HOLDER" Seccomp)"
	assertEquals "caps still dropped" 0000000000000000 "$(status_field "$HOLDER" CapEff)"
	assertEquals NoNewPrivs 1 "$(status_field "$HOLDER" NoNewPrivs)"
}

test_seccomp_filter_allows_every_path() {
	# Under the filter: connections, EMFILE shedding, --manage shutdown
	# with a directory listing, and the exit all still work.
	is_asan && { skip_test "ASan build: no seccomp filter (see sockets/README.md)"; return 0; }
	start_holder hp -c "$T/path/hp" --manage
	local hp=$HOLDER
	start_holder a -c "$T/path/hotplug-container-disk-a"
	assertEquals 2 "$(status_field "$hp" Seccomp)"
	assertEquals "ok 20 failed 0" "$("$SC" "$T/path/hp.sock" 20)"
	kill -CHLD "$hp"
	kill -TERM "$hp"
	wait_rc "$hp" 2
	assertEquals 0 "$RC"
	wait_rc "${PIDS[-1]}" 2
	assertEquals "sidecar ended by the manager's cleanup" 0 "$RC"
	assertNotContains "$(cat "$T/hp.log" "$T/a.log")" "EPERM"
	assertEquals "" "$(ls -A "$T/path")"
}

JAIL=$TETHER_BUILD/helpers/jail

# make_image DIR: a FROM-scratch-like root with only the disk and the
# mount points KubeVirt's pods use.
make_image() {
	mkdir -p "$1"/{disk,proc,path,var/run,init/usr/bin}
	echo "disk of $1" >"$1/disk/disk.img"
}

# container ROOT LOG CMD...: CMD as PID 1 of a new PID and mount
# namespace, chrooted in a read-only bind of ROOT, uid/gid 107, no
# capabilities at all, no_new_privs (tests/helpers/jail.c); MOUNTS (src:dst pairs) are bound
# read-write first.  Returns once it listens; its pid (outside) in $CPID.
container() {
	local root=$1 log=$2
	shift 2
	local binds="" m
	for m in $MOUNTS; do binds="$binds mount --bind ${m%%:*} $root${m#*:} &&"; done
	unshare --pid --fork --mount --propagation private sh -c "
		mount --bind '$root' '$root' && mount -o remount,bind,ro '$root' &&
		$binds mount -t proc proc '$root/proc' &&
		exec '$JAIL' '$root' 107 \"\$@\"" sh "$@" 2>"$log" &
	CPID=$!
	PIDS+=("$CPID")
	wait_for_line "$log" '"listening on' 5
}

# as_virt_handler SOCKET IMAGE: what virt-handler checks from the host.
as_virt_handler() {
	local pid
	pid=$("$SC" -p "$1")
	assertTrue "SO_PEERCRED pid from $1" "[ -n '$pid' ] && [ '$pid' -gt 0 ]"
	assertEquals "listener is PID 1 of its container" 1 "$(awk '/^NSpid:/ { print $NF }' /proc/$pid/status)"
	assertEquals "disk through /proc/<pid>/root" "disk of $2" "$(cat /proc/$pid/root/disk/disk.img)"
	assertEquals "uid 107" "107" "$(awk '/^Uid:/ { print $2 }' /proc/$pid/status)"
	assertEquals "no caps" 0000000000000000 "$(status_field "$pid" CapEff)"
	assertEquals "no bounding caps" 0000000000000000 "$(status_field "$pid" CapBnd)"
	assertEquals NoNewPrivs 1 "$(status_field "$pid" NoNewPrivs)"
	assertContains "read-only root in its mount table" "$(awk '$5 == "/" { print $6 }' /proc/$pid/mountinfo)" "ro"
	LISTENER=$pid
}

test_cold_plug_container_disk_as_kubevirt_runs_it() {
	static_or_skip || return 0
	local img=$T/img uid=0f2c5d1e-8d0b-4c1e-9a51-6b3b2b0f3a11
	make_image "$img"
	# emptyDirs: virt-bin-share-dir at /var/run (the binary copied there
	# by the init container), container-disks at .../<vmi-uid>.
	mkdir -p "$T/bin/kubevirt/container-disks/$uid" "$T/cds"
	cp "$CD" "$T/bin/container-disk"
	chmod 0777 "$T/cds"
	MOUNTS="$T/bin:/var/run $T/cds:/var/run/kubevirt/container-disks/$uid" \
		container "$img" "$T/c.log" /var/run/container-disk \
		--copy-path "/var/run/kubevirt/container-disks/$uid/disk_0"
	assertTrue "listening" $?
	as_virt_handler "$T/cds/disk_0.sock" "$img"
	assertEquals Seccomp "$(expect_seccomp)" "$(status_field "$LISTENER" Seccomp)"
	assertEquals "ok 50 failed 0" "$("$SC" "$T/cds/disk_0.sock" 50)"
	# virt-launcher-monitor's cleanup: remove the socket; the container ends.
	rm "$T/cds/disk_0.sock"
	wait_rc "$CPID" 2
	assertEquals "container exit code" 0 "$RC"
}

test_hotplug_pod_as_kubevirt_runs_it() {
	static_or_skip || return 0
	local hpimg=$T/hpimg a=$T/imga b=$T/imgb
	make_image "$hpimg"
	make_image "$a"
	make_image "$b"
	mkdir -p "$T/bin" "$T/path" "$hpimg/usr/bin"
	cp "$CD" "$T/bin/container-disk"
	chmod 0777 "$T/path"
	# hp container: the virt-launcher image, /usr/bin/container-disk.
	cp "$CD" "$T/hpbin"
	touch "$hpimg/usr/bin/container-disk"	# the bind's mount point
	MOUNTS="$T/path:/path $T/hpbin:/usr/bin/container-disk" \
		container "$hpimg" "$T/hp.log" /usr/bin/container-disk --copy-path /path/hp --manage
	local hp=$CPID
	MOUNTS="$T/path:/path $T/bin:/init/usr/bin" \
		container "$a" "$T/a.log" /init/usr/bin/container-disk --copy-path /path/hotplug-container-disk-vol-a
	local ca=$CPID
	MOUNTS="$T/path:/path $T/bin:/init/usr/bin" \
		container "$b" "$T/b.log" /init/usr/bin/container-disk --copy-path /path/hotplug-container-disk-vol-b
	local cb=$CPID
	as_virt_handler "$T/path/hotplug-container-disk-vol-a.sock" "$a"
	as_virt_handler "$T/path/hotplug-container-disk-vol-b.sock" "$b"
	as_virt_handler "$T/path/hp.sock" "$hpimg"
	assertContains "hp holder's mount table has /path" "$(awk '{ print $5 }' /proc/$LISTENER/mountinfo)" "/path"
	wait_for_line "$T/hp.log" "appeared: /path/hotplug-container-disk-vol-b.sock" 2
	assertTrue "manager saw the sidecars" $?
	# The exec probe, inside the hp container, read-only root, uid 107.
	nsenter -t "$LISTENER" -p -m -r -w -S 107 -G 107 -- /usr/bin/container-disk --health-check
	assertEquals "health check in the container" 0 $?
	# Deleting the pod: hp.sock goes (or SIGTERM); every sidecar follows.
	kill -TERM "$LISTENER"
	wait_rc "$hp" 2
	assertEquals "hp exit" 0 "$RC"
	wait_rc "$ca" 2
	assertEquals "sidecar a exit" 0 "$RC"
	wait_rc "$cb" 2
	assertEquals "sidecar b exit" 0 "$RC"
	assertEquals "emptyDir clean" "" "$(ls -A "$T/path")"
}

# Deckhouse's hp pod: the hp container's /path is the hotplug-disks emptyDir,
# each sidecar's /path the hotplug-container-disks one (where virt-handler
# looks for their sockets); tether's template also mounts the latter in the
# hp container and names it with --manage-dir.
test_deckhouse_hotplug_pod_as_deckhouse_lays_it_out() {
	static_or_skip || return 0
	local hpimg=$T/hpimg a=$T/imga
	make_image "$hpimg"
	make_image "$a"
	mkdir -p "$T/bin" "$T/hotplug-disks" "$T/hotplug-container-disks" "$hpimg/usr/bin" \
		"$hpimg/hotplug-container-disks"
	cp "$CD" "$T/bin/container-disk"
	cp "$CD" "$T/hpbin"
	chmod 0777 "$T/hotplug-disks" "$T/hotplug-container-disks"
	touch "$hpimg/usr/bin/container-disk"
	MOUNTS="$T/hotplug-disks:/path $T/hotplug-container-disks:/hotplug-container-disks $T/hpbin:/usr/bin/container-disk" \
		container "$hpimg" "$T/hp.log" /usr/bin/container-disk --copy-path /path/hp \
		--manage --manage-dir /hotplug-container-disks
	local hp=$CPID
	MOUNTS="$T/hotplug-container-disks:/path $T/bin:/init/usr/bin" \
		container "$a" "$T/a.log" /init/usr/bin/container-disk --copy-path /path/hotplug-container-disk-vol-a
	local ca=$CPID
	as_virt_handler "$T/hotplug-container-disks/hotplug-container-disk-vol-a.sock" "$a"
	as_virt_handler "$T/hotplug-disks/hp.sock" "$hpimg"
	wait_for_line "$T/hp.log" "appeared: /hotplug-container-disks/hotplug-container-disk-vol-a.sock" 2
	assertTrue "the manager saw the sidecar in the other emptyDir" $?
	kill -TERM "$LISTENER"
	wait_rc "$hp" 2
	assertEquals "hp exit" 0 "$RC"
	wait_rc "$ca" 2
	assertEquals "sidecar exit" 0 "$RC"
	assertContains "the sidecar left because its socket went" "$(cat "$T/a.log")" "does not exist anymore"
	assertEquals "hotplug-disks clean" "" "$(ls -A "$T/hotplug-disks")"
	assertEquals "hotplug-container-disks clean" "" "$(ls -A "$T/hotplug-container-disks")"
}

. "$TETHER_ROOT/tests/lib/run.sh"
