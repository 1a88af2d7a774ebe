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

as_pid1() { # as_pid1 INIT PROGRAM...: INIT as PID 1 of a new namespace
	local init=$1
	shift
	unshare --pid --fork --mount-proc ${CMD[$init]} "$@"
}

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

reap_ms() {
	for _ in $(seq "$ROUNDS"); do as_pid1 "$1" "$H/orphanstorm" 10000; done |
		awk '{ print $1 / 1000 }' | median
}

latency_us() {
	for _ in $(seq "$ROUNDS"); do as_pid1 "$1" "$H/sigpingpong" 2000; done |
		awk '{ print $1 / 1000 }' | median
}

declare -A SIZE KIND RSS WAKE REAP LAT
out=$(mktemp -d)
# The idle runs share one 10 s window; the timed runs go one by one after.
for init in tether $PEERS; do
	idle "$init" >"$out/$init" &
done
wait
for init in tether $PEERS; do
	read -r SIZE[$init] KIND[$init] < <(size_of "$init")
	read -r RSS[$init] WAKE[$init] <"$out/$init"
	REAP[$init]=$(reap_ms "$init")
	LAT[$init]=$(latency_us "$init")
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
