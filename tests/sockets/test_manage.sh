#!/bin/bash
# --manage (the hotplug pod's /path/hp holder) and --health-check.
. "$(dirname "$0")/../lib/common.sh"
. "$TETHER_ROOT/tests/sockets/cd_lib.sh"

# stale NAME: a socket at $T/path/NAME that nobody listens on.
stale() {
	start_holder "stale-$1" -c "$T/path/${1%.sock}"
	kill -KILL "$HOLDER"
	wait "$HOLDER" 2>/dev/null
	[ -S "$T/path/$1" ]
}

sidecar() {
	start_holder "$1" -c "$T/path/hotplug-container-disk-$1"
	eval "SIDE_$1=$HOLDER"
}

test_start_clears_only_dead_sockets() {
	mkdir -p "$T/path/pvc-a"
	sidecar live
	stale hotplug-container-disk-dead.sock
	stale hp.sock
	echo keep >"$T/path/notes.sock"
	: >"$T/path/pvc-a/disk.img"
	start_holder hp -c "$T/path/hp" --manage
	assertTrue "manager listening" $?
	assertTrue "live sidecar socket kept" "[ -S '$T/path/hotplug-container-disk-live.sock' ]"
	assertTrue "live sidecar still running" "alive $SIDE_live"
	assertFalse "dead sidecar socket removed" "[ -e '$T/path/hotplug-container-disk-dead.sock' ]"
	assertEquals "non-socket *.sock untouched" keep "$(cat "$T/path/notes.sock")"
	assertTrue "volume dirs untouched" "[ -f '$T/path/pvc-a/disk.img' ]"
	assertEquals "own stale socket replaced" "$HOLDER" "$("$SC" -p "$T/path/hp.sock")"
	assertContains "$(cat "$T/hp.log")" "removed stale socket $T/path/hotplug-container-disk-dead.sock"
	assertContains "$(cat "$T/hp.log")" "volume socket present: $T/path/hotplug-container-disk-live.sock"
}

test_logs_sockets_appearing_and_disappearing() {
	start_holder hp -c "$T/path/hp" --manage
	local hp=$HOLDER
	sidecar vol1
	wait_for_line "$T/hp.log" "volume socket appeared: $T/path/hotplug-container-disk-vol1.sock" 2
	assertTrue "appeared" $?
	kill -TERM "$SIDE_vol1"
	wait_for_line "$T/hp.log" "volume socket disappeared: $T/path/hotplug-container-disk-vol1.sock" 2
	assertTrue "disappeared" $?
	: >"$T/path/plain-file"
	mkdir "$T/path/pvc"
	assertNotContains "$(cat "$T/hp.log")" "plain-file"
	assertTrue "alive $hp"
}

# Shutting down the manager (by $1) ends every sidecar at once.
check_shutdown() {
	local how=$1
	start_holder hp -c "$T/path/hp" --manage
	local hp=$HOLDER
	sidecar a
	sidecar b
	echo keep >"$T/path/notes.sock"
	if [ "$how" = remove ]; then rm "$T/path/hp.sock"; else kill -"$how" "$hp"; fi
	wait_rc "$hp" 2
	assertEquals "manager exit ($how)" 0 "$RC"
	wait_rc "$SIDE_a" 1
	assertEquals "sidecar a exit ($how)" 0 "$RC"
	wait_rc "$SIDE_b" 1
	assertEquals "sidecar b exit ($how)" 0 "$RC"
	assertEquals "only the non-socket is left ($how)" notes.sock "$(ls -A "$T/path")"
	rm -rf "$T/path"
}

test_shutdown_by_signal_ends_every_sidecar() {
	check_shutdown TERM
	check_shutdown INT
}

test_shutdown_by_socket_removal_ends_every_sidecar() {
	check_shutdown remove
}

test_without_manage_other_sockets_are_left_alone() {
	stale hotplug-container-disk-dead.sock
	start_holder hp -c "$T/path/hp"
	sidecar a
	kill -TERM "${PIDS[-2]}"
	wait_rc "${PIDS[-2]}" 2
	assertEquals 0 "$RC"
	assertTrue "dead socket kept" "[ -S '$T/path/hotplug-container-disk-dead.sock' ]"
	assertTrue "sidecar kept" "alive $SIDE_a"
	assertNotContains "$(cat "$T/hp.log")" "volume socket"
}

test_sidecar_started_after_manager_restart() {
	# restartPolicy Always: the hp container restarts after a SIGKILL; the
	# new manager must come up over its own stale socket and keep the
	# live sidecars.
	start_holder hp -c "$T/path/hp" --manage
	sidecar a
	kill -KILL "${PIDS[-2]}"
	wait "${PIDS[-2]}" 2>/dev/null
	start_holder hp2 -c "$T/path/hp" --manage
	assertTrue "restarted" $?
	assertTrue "sidecar kept" "alive $SIDE_a"
	assertContains "$(cat "$T/hp2.log")" "present: $T/path/hotplug-container-disk-a.sock"
}

# Deckhouse's hotplug pod: hp.sock on /path (the hotplug-disks emptyDir),
# the sidecars' sockets on their own emptyDir, mounted in the hp
# container too and named with --manage-dir.
side() {
	start_holder "$1" -c "$T/side/hotplug-container-disk-$1"
	eval "SIDE_$1=$HOLDER"
}

test_manage_dir_clears_logs_and_ends_the_sidecars_there() {
	mkdir -p "$T/path/pvc-a" "$T/side"
	side live
	start_holder stale-side -c "$T/side/hotplug-container-disk-dead"
	kill -KILL "$HOLDER"
	wait "$HOLDER" 2>/dev/null
	# A dead socket on /path is not the manager's: only --manage-dir's are.
	start_holder stale-path -c "$T/path/other"
	kill -KILL "$HOLDER"
	wait "$HOLDER" 2>/dev/null
	start_holder hp -c "$T/path/hp" --manage --manage-dir "$T/side"
	assertTrue "manager listening" $?
	local hp=$HOLDER log
	assertContains "its start line names the managed directory" "$(cat "$T/hp.log")" \
		"listening on $T/path/hp.sock (managing the sockets of $T/side)"
	assertFalse "dead sidecar socket removed" "[ -e '$T/side/hotplug-container-disk-dead.sock' ]"
	assertTrue "dead socket on /path left alone" "[ -S '$T/path/other.sock' ]"
	assertTrue "live sidecar kept" "alive $SIDE_live"
	side b
	wait_for_line "$T/hp.log" "volume socket appeared: $T/side/hotplug-container-disk-b.sock" 2
	assertTrue "appeared" $?
	kill -TERM "$SIDE_b"
	wait_for_line "$T/hp.log" "volume socket disappeared: $T/side/hotplug-container-disk-b.sock" 2
	assertTrue "disappeared" $?
	side c
	log=$(cat "$T/hp.log")
	assertContains "$log" "volume socket present: $T/side/hotplug-container-disk-live.sock"
	assertNotContains "nothing logged about /path's other sockets" "$log" "$T/path/other"
	# hp.sock removed (the pod deleted): every sidecar of the other emptyDir exits 0 at once.
	rm "$T/path/hp.sock"
	wait_rc "$hp" 2
	assertEquals "manager exit" 0 "$RC"
	wait_rc "$SIDE_live" 1
	assertEquals "sidecar live exit" 0 "$RC"
	wait_rc "$SIDE_c" 1
	assertEquals "sidecar c exit" 0 "$RC"
	assertContains "$(cat "$T/live.log")" "does not exist anymore"
	assertEquals "the sidecars' emptyDir is empty" "" "$(ls -A "$T/side")"
	assertEquals "/path keeps what is not the manager's" "other.sock pvc-a" "$(ls "$T/path" | tr '\n' ' ' | sed 's/ $//')"
}

test_manage_dir_shutdown_by_signal() {
	mkdir -p "$T/side"
	start_holder hp -c "$T/path/hp" --manage --manage-dir "$T/side"
	local hp=$HOLDER
	side a
	kill -TERM "$hp"
	wait_rc "$hp" 2
	assertEquals "manager exit" 0 "$RC"
	wait_rc "$SIDE_a" 1
	assertEquals "sidecar exit" 0 "$RC"
	assertFalse "its own socket gone too" "[ -e '$T/path/hp.sock' ]"
}

test_manage_dir_that_is_its_own_directory() {
	# Naming dirname(PATH) itself is KubeVirt's layout: the own socket is spared.
	mkdir -p "$T/path"
	start_holder hp -c "$T/path/hp" --manage --manage-dir "$T/path/."
	local hp=$HOLDER
	sidecar a
	wait_for_line "$T/hp.log" "appeared: $T/path/./hotplug-container-disk-a.sock" 2
	assertTrue "appeared" $?
	assertEquals "own socket still answers" "$hp" "$("$SC" -p "$T/path/hp.sock")"
	kill -TERM "$hp"
	wait_rc "$hp" 2
	assertEquals 0 "$RC"
	wait_rc "$SIDE_a" 1
	assertEquals "sidecar exit" 0 "$RC"
	assertEquals "" "$(ls -A "$T/path")"
}

test_health_check_with_copy_path() {
	"$CD" --health-check -c "$T/path/hp" 2>"$T/err"
	assertEquals "no socket" 1 $?
	assertContains "$(cat "$T/err")" "ENOENT"
	stale hp.sock
	"$CD" --health-check -c "$T/path/hp" 2>/dev/null
	assertEquals "stale socket" 1 $?
	start_holder hp -c "$T/path/hp" --manage
	"$CD" --health-check -c "$T/path/hp"
	assertEquals "listening" 0 $?
	"$CD" --health-check --copy-path="$T/path/hp"
	assertEquals "listening (--copy-path=)" 0 $?
	: >"$T/path/file.sock"
	"$CD" --health-check -c "$T/path/file" 2>/dev/null
	assertEquals "not a socket" 1 $?
}

test_health_check_finds_pid1s_path() {
	# The probe runs inside the container: PID 1 is the holder.
	in_pidns "$CD" -c "$T/path/hp" --manage 2>"$T/hp.log" &
	PIDS+=($!)
	wait_for_line "$T/hp.log" '"listening on' 5
	local pid
	pid=$("$SC" -p "$T/path/hp.sock")
	nsenter -t "$pid" -p -m -- "$CD" --health-check
	assertEquals "PID 1 holder listening" 0 $?
	# Another PID 1 (not a holder): the probe says so.
	in_pidns sh -c "'$CD' --health-check 2>'$T/err'; echo \$? >'$T/rc'"
	assertEquals 1 "$(cat "$T/rc")"
	assertContains "$(cat "$T/err")" "PID 1 is not a container-disk holder"
	# A holder outside our PID namespace is not this container's.
	in_pidns "$CD" --health-check -c "$T/path/hp" 2>"$T/err"
	assertEquals 1 $?
	assertContains "$(cat "$T/err")" "not this container's holder"
}

# The probe's connect is bounded: a holder that accepts nothing (stopped,
# its queue full) is reported unhealthy after 1 s (kubelet's default probe
# timeout); an unbounded connect waited for room for ever.
test_health_check_of_a_wedged_holder_answers_within_1s() {
	start_holder hp -c "$T/path/hp"
	wedge "$HOLDER" "$T/path/hp.sock" || return
	local t0=$(date +%s%N) ms
	timeout -s KILL "$(slow 10)" "$CD" --health-check -c "$T/path/hp" 2>"$T/err"
	assertEquals "unhealthy" 1 $?
	ms=$((($(date +%s%N) - t0) / 1000000))
	assertTrue "after its 1 s bound (took $ms ms)" "[ $ms -ge 950 ] && [ $ms -lt $((1000 + $(slow 500))) ]"
	assertContains "$(cat "$T/err")" "queue stayed full for 1 s"
}

# audit-2 R4: a sidecar that is alive but accepts nothing (stopped, its
# queue full) is checked without waiting: it counts as present (its
# socket kept), the manager listens at once and ends on SIGTERM (a
# blocking connect hung it for ever, deaf to SIGTERM).
test_wedged_sidecar_does_not_hold_up_the_start() {
	sidecar w
	wedge "$SIDE_w" "$T/path/hotplug-container-disk-w.sock" || return 0
	local t0=$(date +%s%N) ms
	start_holder hp -c "$T/path/hp" --manage
	assertTrue "manager listening" $?
	ms=$((($(date +%s%N) - t0) / 1000000))
	# With the start of a holder: a check that waited 1 s would fail.
	assertTrue "at once (took $ms ms)" "[ $ms -lt $(slow 500) ]"
	assertContains "$(cat "$T/hp.log")" "volume socket present: $T/path/hotplug-container-disk-w.sock (its queue is full)"
	assertTrue "its socket kept" "[ -S '$T/path/hotplug-container-disk-w.sock' ]"
	kill -TERM "$HOLDER"
	wait_rc "$HOLDER" 2
	assertEquals "SIGTERM: exit" 0 "$RC"
}

. "$TETHER_ROOT/tests/lib/run.sh"
