#!/bin/bash
# tether as PID 1 beside tini, catatonit and dumb-init, each as Debian
# builds it and as built with musl like tether (bench/peers/):
# size, peak RSS, idle wake-ups, reaping 10,000 orphans, signal latency.
# tether runs as shipped (hardened); bench_hardening.sh measures what the
# hardening costs tether in the same timed runs.
. "$(dirname "$0")/lib.sh"
: "${TETHER_ROOT:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${TETHER_BUILD:=$TETHER_ROOT/build}"
H=$TETHER_BUILD/helpers
ROUNDS=${BENCH_ROUNDS:-15}

# The same command line for each init, its own way of saying "run this",
# and the peers: Debian's builds and the musl builds (bench/peers/).
. "$(dirname "$0")/peers/peers.sh"


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
# slow spell of the machine falls on every init alike; each round starts
# with the next init in turn, so none always runs first after the last
# measure's clean-up.  Each value is the median of its rounds with their
# range [min–max]; the ratio is the two printed medians' (peer/tether), so
# a row can be checked by hand.  Latency goes first (the kernel's clean-up
# after 10,000 exits would otherwise slow it) and on one CPU: whether the
# init and its child share a CPU changes a round trip from about 9 to
# about 60 µs, for every init alike, which would otherwise decide it.
#   NAME CPUS ROUNDS HELPER ARGS
MEASURES=(
	"lat 1 $ROUNDS sigpingpong 2000"
	"zombies 0-1 $ROUNDS orphanstorm 10000 zombies"
	"storm 0-1 $(( (ROUNDS + 1) / 2 )) orphanstorm 10000"
)
timed_rounds() {
	for m in "${MEASURES[@]}"; do
		set -- $m
		local name=$1 cpus=$2 rounds=$3
		shift 3
		local all=(tether $PEERS) r i
		for r in $(seq 0 $((rounds - 1))); do
			# Each round starts with another init: none always runs
			# first after the previous measure's clean-up.
			for i in $(seq 0 $((${#all[@]} - 1))); do
				init=${all[$(((r + i) % ${#all[@]}))]}
				taskset -c "$cpus" unshare --pid --fork --mount-proc ${CMD[$init]} \
					"$H/$1" "${@:2}" >>"$out/$init.$name"
			done
		done
	done
}

# per_k FILE: "median [min–max]" of FILE's values divided by 1000.
per_k() { stats 1000 <"$1"; }

declare -A SIZE KIND RSS WAKE
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
done
# rows LABEL ARRAY [UNIT]: one row per peer for the measure in ARRAY.
rows() {
	local -n v=$2
	for peer in $PEERS; do
		row "$1" "${v[tether]}" "$peer" "${v[$peer]}" "${3:-}"
	done
}

# tether as shipped is hardened (the stack protector, lib/fortify.h's
# buffer checks); the musl peers are built without, so each also stands
# beside tether built without: that row alone is like for like.
plain=$(unhardened tether) && plain_size=$(stat -c %s "$plain")
for peer in $PEERS; do
	row "binary size (bytes; tether hardened; peer ${KIND[$peer]}, not hardened)" "${SIZE[tether]}" "$peer" "${SIZE[$peer]}"
	[[ $peer == *-musl && -n ${plain_size:-} ]] &&
		row "binary size (bytes; both static musl, tether's flags, neither hardened)" "$plain_size" "$peer" "${SIZE[$peer]}"
done
for peer in $PEERS; do
	note=
	[ "${KIND[$peer]}" = dynamic ] && note="; a dynamic peer's includes its shared libraries' pages"
	row "peak RSS as PID 1 (VmHWM, one run$note)" "${RSS[tether]}" "$peer" "${RSS[$peer]}" KB
done
rows "context switches, 10 s idle (one run)" WAKE
# timed_rows NAME LABEL UNIT
timed_rows() {
	for peer in $PEERS; do
		row "$2" "$(per_k "$out/tether.$1")" "$peer" "$(per_k "$out/$peer.$1")" "$3"
	done
}
timed_rows zombies "reap 10,000 orphans that reach the init as zombies at once (median [min–max] of $ROUNDS)" ms
timed_rows storm "10,000 orphans exit at once, until all are reaped (median [min–max] of $(( (ROUNDS + 1) / 2 )))" ms
timed_rows lat "signal forwarding round trip, pinned to one CPU (median [min–max] of $ROUNDS runs of 2000)" µs
rm -rf "$out"
