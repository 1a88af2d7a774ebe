#!/bin/bash
# container-disk against KubeVirt's holder and socat: socket removal →
# exit latency, idle wake-ups, size, memory, connection rate.
#
# KubeVirt's holder is not installed on this machine, and the project
# builds none of KubeVirt's code.  The peer here is a RE-IMPLEMENTATION of
# its documented behaviour (bench/peers/kubevirt-container-disk.c: 1 s
# sleep when the last pass accepted nothing, stat, accept-and-close,
# backlog 50, stdio logging), built with musl and tether's own size flags
# (bench/peers/flags.sh), so the size rows compare code, not link flags;
# rows name it "KubeVirt holder (re-impl.)".  socat is a strawman kept for
# context (a fork per connection is not what anyone holds a disk with).
# Connection rates are measured at several client counts: each client
# waits for the close before it reconnects, so a holder that sleeps 1 s
# when its queue is empty serves about one connection per client per
# second at low counts and far more at high ones.
. "$(dirname "$0")/lib.sh"
set -u
: "${TETHER_ROOT:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${TETHER_BUILD:=$TETHER_ROOT/build}"
CD=$TETHER_BUILD/container-disk
SC=$TETHER_BUILD/helpers/sockclient
N=${BENCH_SOCKETS_N:-15}
IDLE=${BENCH_SOCKETS_IDLE:-10}
W=$(mktemp -d /tmp/bench-sockets.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$W"
}
trap cleanup EXIT

KV=$W/kubevirt-container-disk
. "$TETHER_ROOT/bench/peers/flags.sh"
# shellcheck disable=SC2086 # PEER_FLAGS is a list of flags
if ! musl-gcc $PEER_FLAGS -o "$KV" "$TETHER_ROOT/bench/peers/kubevirt-container-disk.c" 2>"$W/cc.log"; then
	echo "| container-disk: cannot build the KubeVirt re-implementation | | | | |"
	exit 0
fi
PEER="KubeVirt holder (re-impl.)"

# start BIN PATH: the holder in the background, pid in $P once listening.
start() {
	"$1" -c "$2" 2>"$W/log" &
	P=$!
	PIDS+=("$P")
	until [ -S "$2.sock" ] && "$SC" "$2.sock" >/dev/null 2>&1; do sleep 0.005; done
}

reap() { wait "$1" 2>/dev/null; }

# removal BIN RUNS [JITTER]: per run, "exit_us decided_us": microseconds
# from unlink to the process being gone, and to its log line saying so
# (tether's JSON timestamp; 0 for the peer, whose log has 1 s resolution).
# JITTER: a random 0-1 s wait first, so a polling peer is caught at a
# random phase of its loop.  Without it, 0.1 s between runs: a holder
# exits once in its life, and back-to-back exits contend for the kernel's
# unix GC that frees the parked inotify fd (lib/dirwatch.h).
removal() {
	local i e w ts
	for i in $(seq "$2"); do
		start "$1" "$W/r/x$i"
		if [ -n "${3:-}" ]; then sleep "0.$((RANDOM % 1000))"; else sleep 0.1; fi
		read -r e w < <("$SC" -r "$W/r/x$i.sock" "$P")
		reap "$P"
		ts=$(sed -n 's/.*does not exist anymore.*"timestamp":"\([^"]*\)".*/\1/p' "$W/log" 2>/dev/null | tail -1)
		if [ -n "$ts" ]; then echo "$e $(($(date -d "$ts" +%s%6N) - w))"; else echo "$e 0"; fi
	done
}

ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }

removal "$CD" "$N" >"$W/t.rem"
removal "$KV" "$((N < 11 ? N : 11))" jitter >"$W/k.rem"
row "socket removal → holder exits (process gone), median [min–max] of $N and $((N < 11 ? N : 11))" \
	"$(cut -d' ' -f1 "$W/t.rem" | stats 1000)" "$PEER" \
	"$(cut -d' ' -f1 "$W/k.rem" | stats 1000)" ms
row_ref "socket removal → holder has acted (its log line's time stamp), median [min–max] of $N" \
	"$(cut -d' ' -f2 "$W/t.rem" | stats 1000) ms" "$PEER" "n/a (1 s log stamps)" "" "-"

ctxt() { awk '/ctxt_switches/ { n += $2 } END { print n }' "/proc/$1/status"; }

start "$CD" "$W/i/t"
tp=$P
start "$KV" "$W/i/k"
kp=$P
t0=$(ctxt "$tp")
k0=$(ctxt "$kp")
sleep "$IDLE"
row "context switches while idle, $IDLE s" "$(($(ctxt "$tp") - t0))" "$PEER" "$(($(ctxt "$kp") - k0))"

# container-disk as shipped is hardened (stack protector, buffer checks);
# the peer is not: the second row, both built without, is like for like.
row "stripped static size (both musl, tether's flags; container-disk hardened, the peer not)" "$(stat -c %s "$CD")" "$PEER" "$(stat -c %s "$KV")" bytes
if plain=$(unhardened container-disk); then
	row "stripped static size (both musl, tether's flags, neither hardened)" "$(stat -c %s "$plain")" "$PEER" "$(stat -c %s "$KV")" bytes
fi

# The same work for both: 64 clients, 4 connections each.
hwm() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }
same_work() {
	local i cl=()
	for i in $(seq 64); do "$SC" "$1" 4 >/dev/null & cl+=($!); done
	wait "${cl[@]}"
}
same_work "$W/i/t.sock"
same_work "$W/i/k.sock"
row "RSS high-water mark (VmHWM), after the same 256 connections (64 clients × 4)" "$(hwm "$tp")" "$PEER" "$(hwm "$kp")" kB
kill -TERM "$tp" "$kp"
reap "$tp"
reap "$kp"

# rate PATH CLIENTS: CLIENTS clients connecting (each waiting for the close
# before the next connect) in a loop for RATE_S seconds; appends
# "accepted/s failed" to $W/rate.
RATE_S=${BENCH_SOCKETS_RATE_S:-2}
RATE_RUNS=${BENCH_SOCKETS_RATE_RUNS:-3}
rate() {
	local i cl=() ok=0 failed=0
	for i in $(seq "$2"); do "$SC" -l "$1" "$RATE_S" >"$W/c$i" & cl+=($!); done
	wait "${cl[@]}"
	for i in $(seq "$2"); do
		ok=$((ok + $(awk '{ print $2 }' "$W/c$i")))
		failed=$((failed + $(awk '{ print $4 }' "$W/c$i")))
	done
	echo "$((ok / RATE_S)) $failed"
}

# rates NAME PATH: for each client count, RATE_RUNS runs (each against the
# running holder): "$W/NAME.CLIENTS" holds one "per_s failed" line per run.
CLIENTS=${BENCH_SOCKETS_CLIENTS:-1 4 16 64}
rates() {
	local n
	for n in $CLIENTS; do
		for _ in $(seq "$RATE_RUNS"); do rate "$2" "$n"; done >"$W/$1.$n"
	done
}
start "$CD" "$W/c/t"
rates t "$W/c/t.sock"
kill -TERM "$P"; reap "$P"
start "$KV" "$W/c/k"
rates k "$W/c/k.sock"
kill -TERM "$P"; reap "$P"
socat -t 0 "UNIX-LISTEN:$W/c/s.sock,fork,backlog=4096" OPEN:/dev/null 2>/dev/null &
sp=$!
PIDS+=("$sp")
until [ -S "$W/c/s.sock" ]; do sleep 0.005; done
rates s "$W/c/s.sock"
kill -TERM "$sp"; reap "$sp"

failed() { awk '{ n += $2 } END { print n + 0 }' "$1"; }
for n in $CLIENTS; do
	row_higher "connections accepted and closed per s, $n client(s), median [min–max] of $RATE_RUNS × $RATE_S s (higher is better; failed: $(failed "$W/t.$n") vs $(failed "$W/k.$n"))" \
		"$(cut -d' ' -f1 "$W/t.$n" | stats 1 0)" "$PEER" "$(cut -d' ' -f1 "$W/k.$n" | stats 1 0)"
done
for n in $CLIENTS; do
	row_higher "connections per s, $n client(s), against a strawman (failed: $(failed "$W/t.$n") vs $(failed "$W/s.$n"))" \
		"$(cut -d' ' -f1 "$W/t.$n" | stats 1 0)" "socat UNIX-LISTEN,fork" "$(cut -d' ' -f1 "$W/s.$n" | stats 1 0)"
done
