#!/bin/bash
# Connections: every one accepted and closed, fast, under bursts and fd
# exhaustion, and the listener is the holder itself (SO_PEERCRED).
. "$(dirname "$0")/../lib/common.sh"
. "$TETHER_ROOT/tests/sockets/cd_lib.sh"

test_200_spaced_connections_none_refused() {
	# KubeVirt's own test: one every 25 ms, none refused.
	start_holder h -c "$T/d/x"
	local ok=0 i n=$(fewer 200 20)
	for i in $(seq $n); do
		socat -u OPEN:/dev/null "UNIX-CONNECT:$T/d/x.sock" && ok=$((ok + 1))
		sleep 0.025
	done
	# No bound on the loop's time: it is socat's start-up and sleep's,
	# not the holder's (it failed at 9 s on a loaded machine); the
	# holder's speed is the back-to-back count below.
	assertEquals "none refused" $n "$ok"
	local t1 out
	t1=$(date +%s%N)
	out=$("$SC" "$T/d/x.sock" 200)
	assertEquals "ok 200 failed 0" "$out"
	assertTrue "200 back-to-back under $(slow 200) ms, the client's start included" "[ $((($(date +%s%N) - t1) / 1000000)) -lt $(slow 200) ]"
}

test_burst_of_thousands_no_refusal_no_fd_leak() {
	start_holder h -c "$T/d/x"
	local before after i t0 ms total=0 n=$(fewer 5000 500)
	before=$(nfds "$HOLDER")
	t0=$(date +%s%N)
	local cl=()
	for i in 1 2 3 4; do "$SC" "$T/d/x.sock" $n >"$T/c$i" & cl+=($!); done
	wait "${cl[@]}"
	ms=$((($(date +%s%N) - t0) / 1000000))
	for i in 1 2 3 4; do
		assertEquals "client $i" "ok $n failed 0" "$(cat "$T/c$i")"
	done
	after=$(nfds "$HOLDER")
	assertEquals "open fds before and after $((4 * n)) connections" "$before" "$after"
	echo "$((4 * n)) connections in $ms ms"
	# Thousands per second: at least 5,000/s (scaled down by TETHER_SLOW),
	# the four clients' starts included; the bench measures 20,000-60,000.
	assertTrue "thousands per second ($ms ms for $((4 * n)))" "[ $ms -lt $(slow $((4 * n / 5))) ]"
	assertTrue "still running" "alive $HOLDER"
}

# start_dense ARGS...: like start_holder, but with no fd above 2 inherited,
# so its fds are exactly 0..N-1 and RLIMIT_NOFILE bites where we say.
start_dense() {
	(
		for fd in $(ls /proc/$BASHPID/fd); do
			[ "$fd" -gt 2 ] && eval "exec $fd>&-"
		done
		exec "$CD" "$@"
	) 2>"$T/h.log" &
	HOLDER=$!
	PIDS+=("$HOLDER")
	wait_for_line "$T/h.log" '"listening on' 5
}

test_emfile_never_kills_it() {
	start_dense -c "$T/d/x"
	local n
	n=$(nfds "$HOLDER")
	assertEquals "dense fds" "$((n - 1))" "$(ls /proc/$HOLDER/fd | sort -n | tail -1)"
	# No free slot: every accept hits EMFILE and is shed through the spare fd.
	prlimit --pid "$HOLDER" --nofile="$n:"
	assertEquals "connections shed, none hang" "ok 50 failed 0" "$("$SC" "$T/d/x.sock" 50)"
	assertTrue "still running" "alive $HOLDER"
	assertContains "$(cat "$T/h.log")" "EMFILE"
	assertEquals "no fd leaked" "$n" "$(nfds "$HOLDER")"
	# Below the spare fd: shedding fails too, so it backs off (no spin)
	# and the clients wait in the backlog until fds come back.
	prlimit --pid "$HOLDER" --nofile=4:
	"$SC" "$T/d/x.sock" 20 >"$T/c" &
	local cl=$!
	sleep 0.3	# let it hit the limit and back off a few times
	assertTrue "still running at the limit" "alive $HOLDER"
	prlimit --pid "$HOLDER" --nofile=1024:
	wait_rc "$cl" 5
	assertEquals "ok 20 failed 0" "$(cat "$T/c")"
	assertEquals "ok 20 failed 0" "$("$SC" "$T/d/x.sock" 20)"
	# A second episode: the spare fd came back with the fds, so it sheds
	# again instead of leaving the clients in the backlog.
	prlimit --pid "$HOLDER" --nofile="$n:"
	assertEquals "spare restored" "ok 20 failed 0" "$(timeout 5 "$SC" "$T/d/x.sock" 20)"
	assertEquals "two episodes, two warnings" 2 "$(grep -c 'shedding connections' "$T/h.log")"
	prlimit --pid "$HOLDER" --nofile=1024:
	"$SC" -r "$T/d/x.sock" "$HOLDER" >/dev/null
	wait_rc "$HOLDER"
	assertEquals "removal still ends it" 0 "$RC"
}

test_removed_while_connections_arrive() {
	start_holder h -c "$T/d/x"
	local i
	local cl=()
	for i in 1 2 3 4; do "$SC" -l "$T/d/x.sock" 2 >"$T/c$i" & cl+=($!); done
	"$SC" "$T/d/x.sock" 200 >/dev/null	# the clients are running
	"$SC" -r "$T/d/x.sock" "$HOLDER" >"$T/us"
	assertEquals "removal under load: exit within 2 s" 0 $?
	wait_rc "$HOLDER"
	assertEquals 0 "$RC"
	wait "${cl[@]}"
	for i in 1 2 3 4; do
		assertContains "client $i connected before the removal" "$(cat "$T/c$i")" "ok "
	done
	assertFalse "no socket left" "[ -e '$T/d/x.sock' ]"
	echo "exit $(cut -d" " -f1 "$T/us") us after removal under load"
}

test_signal_while_connections_arrive() {
	start_holder h -c "$T/d/x"
	local i
	local cl=()
	for i in 1 2; do "$SC" -l "$T/d/x.sock" 1 >/dev/null & cl+=($!); done
	"$SC" "$T/d/x.sock" 100 >/dev/null
	kill -TERM "$HOLDER"
	wait_rc "$HOLDER" 2
	assertEquals 0 "$RC"
	wait "${cl[@]}"
	assertFalse "[ -e '$T/d/x.sock' ]"
}

test_peercred_is_the_holder_and_its_root_is_visible() {
	start_holder h -c "$T/d/x"
	assertEquals "SO_PEERCRED pid" "$HOLDER" "$("$SC" -p "$T/d/x.sock")"
	assertEquals "/proc/<pid>/root" / "$(readlink "/proc/$HOLDER/root")"
	assertTrue "[ -d /proc/$HOLDER/root/$T ]"
	assertContains "listener in its own mount table" "$(cat /proc/$HOLDER/mountinfo)" " / "
}

. "$TETHER_ROOT/tests/lib/run.sh"
