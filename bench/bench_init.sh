#!/bin/bash
# tether as PID 1 beside Debian's tini-static, catatonit and dumb-init:
# size, peak RSS, idle wake-ups, reaping 10,000 orphans, signal latency.
. "$(dirname "$0")/lib.sh"
: "${TETHER_BUILD:=$(dirname "$0")/../build}"
H=$TETHER_BUILD/helpers
ROUNDS=${BENCH_ROUNDS:-5}

# The same command line for each init: its own way of saying "run this".
declare -A CMD=(
	[tether]="$TETHER_BUILD/tether --"
	[tini-static]="tini-static --"
	[catatonit]="catatonit --"
	[dumb-init]="dumb-init"
)
PEERS="tini-static catatonit dumb-init"


# init_pid UNSHARE_PID: the host pid of the init that unshare started.
init_pid() {
	local p
	until p=$(pgrep -P "$1") && [ -n "$p" ]; do :; done
	echo "$p"
}

size_of() {
	local bin
	bin=$(command -v "${CMD[$1]%% *}")
	local kind="static"
	file -L "$bin" | grep -q 'statically linked' || kind="dynamic"
	echo "$(stat -L -c %s "$bin") $kind"
}

# idle INIT: VmHWM (KB) and context switches over 10 s, with a sleeping child.
idle() {
	unshare --pid --fork --mount-proc ${CMD[$1]} sleep 1000 &
	local ns=$! pid before after hwm
	pid=$(init_pid "$ns")
	until pgrep -P "$pid" >/dev/null; do :; done
	before=$(awk '/ctxt_switches/ {s += $2} END {print s}' /proc/$pid/status)
	sleep 10
	after=$(awk '/ctxt_switches/ {s += $2} END {print s}' /proc/$pid/status)
	hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
	kill -KILL "$ns" "$pid" 2>/dev/null
	wait "$ns" 2>/dev/null
	echo "$hwm $((after - before))"
}

# The timed runs take turns, init after init, round after round, so that a
# slow spell of the machine falls on every init alike.  Latency goes first
# (the kernel's clean-up after 10,000 exits would otherwise slow it) and
# on one CPU: whether the init and its child share a CPU changes a round
# trip from about 9 to about 60 µs, for every init alike, which would
# otherwise decide the median.
timed_rounds() {
	for what in "sigpingpong 2000 lat 1" "orphanstorm 10000 reap 0-1"; do
		set -- $what
		for _ in $(seq "$ROUNDS"); do
			for init in tether $PEERS; do
				taskset -c "$4" unshare --pid --fork --mount-proc ${CMD[$init]} \
					"$H/$1" "$2" >>"$out/$init.$3"
			done
		done
	done
}

# per_k FILE: the median of FILE's values divided by 1000.
per_k() { awk '{ print $1 / 1000 }' "$1" | median; }

declare -A SIZE KIND RSS WAKE REAP LAT
out=$(mktemp -d)
# The idle runs share one 10 s window; the timed runs go one by one after.
for init in tether $PEERS; do
	idle "$init" >"$out/$init" &
done
wait
timed_rounds
for init in tether $PEERS; do
	read -r SIZE[$init] KIND[$init] < <(size_of "$init")
	read -r RSS[$init] WAKE[$init] <"$out/$init"
	REAP[$init]=$(per_k "$out/$init.reap")
	LAT[$init]=$(per_k "$out/$init.lat")
done
rm -rf "$out"
# rows LABEL ARRAY [UNIT]: one row per peer for the measure in ARRAY.
rows() {
	local -n v=$2
	for peer in $PEERS; do
		row "$1" "${v[tether]}" "$peer" "${v[$peer]}" "${3:-}"
	done
}

for peer in $PEERS; do
	row "binary size (bytes; peer ${KIND[$peer]})" "${SIZE[tether]}" "$peer" "${SIZE[$peer]}"
done
rows "peak RSS as PID 1 (VmHWM)" RSS KB
rows "context switches, 10 s idle" WAKE
rows "reap 10,000 orphans (median of $ROUNDS)" REAP ms
rows "signal forwarding round trip (median)" LAT µs
