# Shared by the container-disk suites (sourced after common.sh).
CD=$TETHER_BUILD/container-disk
SC=$TETHER_BUILD/helpers/sockclient
PIDS=()

# start_holder NAME ARGS...: container-disk ARGS in the background, stderr
# in $T/NAME.log, pid in $HOLDER; returns once it logs that it listens.
start_holder() {
	local name=$1
	shift
	"$CD" "$@" 2>"$T/$name.log" &
	HOLDER=$!
	PIDS+=("$HOLDER")
	wait_for_line "$T/$name.log" '"listening on' 5
}

# wait_rc PID [SECS]: waits for our child PID; its exit code in $RC (137
# when it had to be killed after SECS).
wait_rc() {
	local pid=$1 dog done
	# The deadline is a background sleep, killed with KILL: a TERM that
	# lands before its exec would run shunit2's traps in the fork.
	sleep "${2:-5}" &
	dog=$!
	wait -n -p done "$pid" "$dog"
	RC=$?
	if [ "$done" = "$dog" ]; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid"
		RC=$?
	else
		kill -KILL "$dog" 2>/dev/null
		wait "$dog" 2>/dev/null
	fi
}

alive() { kill -0 "$1" 2>/dev/null; }

# wedge PID SOCKET: stops the holder PID and fills SOCKET's listen queue
# (backlog_fill), so the socket has a live owner that accepts nothing.
# The fds that takes (somaxconn + 1) are allowed by raising the limit, the
# hard one too where it is lower (root may: a VM's is 4096, its somaxconn
# 4096 too); where even that is refused, the test is skipped.  Returns
# non-zero after a skip or a failure, both recorded: the caller returns 0.
wedge() {
	local need=$(($(cat /proc/sys/net/core/somaxconn) + 64))
	(ulimit -n $need) 2>/dev/null ||
		{ skip_test "filling a queue needs $need open files; ulimit -Hn is $(ulimit -Hn) and cannot be raised"; return 1; }
	kill -STOP "$1"
	(ulimit -n $need && exec "$TETHER_BUILD/helpers/backlog_fill" "$2") >"$T/fill" 2>&1 &
	PIDS+=("$!")
	wait_for_line "$T/fill" "^full" 10 ||
		{ fail "backlog_fill did not fill $2's queue: $(tr '\n' ' ' <"$T/fill")"; return 1; }
}

nfds() { ls "/proc/$1/fd" | wc -l; }

# status_field PID FIELD: a value from /proc/PID/status.
status_field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

is_asan() { grep -q __asan_init "$CD"; }

suite_tearDown() {
	local p
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	PIDS=()
}
