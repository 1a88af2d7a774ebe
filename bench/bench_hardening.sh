#!/bin/bash
# What the hardening every role is built with (the stack protector and the
# buffer-size checks: HARDEN in the Makefile) costs: each binary's size,
# built as `make` builds it and again with HARDEN=-fno-stack-protector
# (into build/unhardened), and tether's speed as PID 1 on the paths the
# flags touch most: the signal-forwarding round trip and reaping 10,000
# orphans.  The two tethers take turns, round after round, so a slow spell
# of the machine falls on both alike; each ratio is the median of the
# rounds' own ratios.  A ratio under 1 is the hardening's cost.
. "$(dirname "$0")/lib.sh"
: "${TETHER_ROOT:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${TETHER_BUILD:=$TETHER_ROOT/build}"
ROUNDS=${BENCH_ROUNDS:-15}
PLAIN=$TETHER_ROOT/build/unhardened
BINS="tether container-disk tether-enter tether-supervise"

make -C "$TETHER_ROOT" -s -j2 BUILD="$PLAIN" HARDEN=-fno-stack-protector \
	$(for b in $BINS; do echo "$PLAIN/$b"; done) >/dev/null 2>"$PLAIN.err" ||
	{ echo "| bench_hardening: the unhardened build failed: $(tail -n 1 "$PLAIN.err") | | | | |"; exit 1; }
rm -f "$PLAIN.err"

for b in $BINS; do
	row "$b binary size (bytes), hardened vs not" "$(stat -c %s "$TETHER_BUILD/$b")" \
		"$b unhardened" "$(stat -c %s "$PLAIN/$b")"
done

H=$TETHER_BUILD/helpers
out=$(mktemp -d)
#   NAME CPUS ROUNDS HELPER ARGS  (as bench_init.sh: latency on one CPU)
MEASURES=(
	"lat 1 $ROUNDS sigpingpong 2000"
	"zombies 0-1 $ROUNDS orphanstorm 10000 zombies"
)
for m in "${MEASURES[@]}"; do
	set -- $m
	name=$1 cpus=$2 rounds=$3
	shift 3
	for _ in $(seq "$rounds"); do
		for t in hardened plain; do
			bin=$TETHER_BUILD/tether
			[ $t = plain ] && bin=$PLAIN/tether
			taskset -c "$cpus" unshare --pid --fork --mount-proc "$bin" -- \
				"$H/$1" "${@:2}" >>"$out/$t.$name"
		done
	done
done
paired() { paste "$out/plain.$1" "$out/hardened.$1" | awk '{ print $1 / $2 }' | median; }
per_k() { awk '{ print $1 / 1000 }' "$1" | median; }
row_ratio "$(printf %.2f "$(paired zombies)")" \
	"tether as PID 1: reap 10,000 orphans that arrive as zombies at once (median of $ROUNDS), hardened vs not" \
	"$(per_k "$out/hardened.zombies")" "tether unhardened" "$(per_k "$out/plain.zombies")" ms
row_ratio "$(printf %.2f "$(paired lat)")" \
	"tether as PID 1: signal forwarding round trip, one CPU (median of $ROUNDS × 2000), hardened vs not" \
	"$(per_k "$out/hardened.lat")" "tether unhardened" "$(per_k "$out/plain.lat")" µs
rm -rf "$out"
