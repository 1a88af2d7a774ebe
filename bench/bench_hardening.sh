#!/bin/bash
# What the hardening every role is built with (the stack protector and the
# buffer-size checks: HARDEN in the Makefile) costs: each binary's size,
# built as `make` builds it and again with HARDEN=-fno-stack-protector
# (into build/unhardened: bench/lib.sh's unhardened), and tether's speed as
# PID 1 on the paths the flags touch most: the signal-forwarding round trip
# and reaping 10,000 orphans.  The two tethers take turns, round after
# round, so a slow spell of the machine falls on both alike.  As in every
# row, the ratio is the two printed medians'; the median of the rounds'
# own (paired) ratios is given beside it.  A ratio under 1 is the
# hardening's cost.
. "$(dirname "$0")/lib.sh"
: "${TETHER_ROOT:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${TETHER_BUILD:=$TETHER_ROOT/build}"
ROUNDS=${BENCH_ROUNDS:-15}
BINS="tether container-disk tether-enter tether-supervise"
LOSES="the hardening's cost"

declare -A PLAIN
for b in $BINS; do
	PLAIN[$b]=$(unhardened "$b") ||
		{ echo "| bench_hardening: the unhardened build of $b failed | | | | |"; exit 1; }
	# tether-enter is hardened by its own flags (cgroup/build.mk) whatever
	# HARDEN says: the same binary both times is no comparison.
	if cmp -s "$TETHER_BUILD/$b" "${PLAIN[$b]}"; then
		echo "| $b binary size (bytes): always hardened (its build.mk), no unhardened build to compare | $(stat -c %s "$TETHER_BUILD/$b") bytes | - | - | - |"
		continue
	fi
	row "$b binary size (bytes), hardened vs not" "$(stat -c %s "$TETHER_BUILD/$b")" \
		"$b unhardened" "$(stat -c %s "${PLAIN[$b]}")"
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
			[ $t = plain ] && bin=${PLAIN[tether]}
			taskset -c "$cpus" unshare --pid --fork --mount-proc "$bin" -- \
				"$H/$1" "${@:2}" >>"$out/$t.$name"
		done
	done
done
paired() { paste "$out/plain.$1" "$out/hardened.$1" | awk '{ print $1 / $2 }' | median; }
row "tether as PID 1: reap 10,000 orphans that arrive as zombies at once, hardened vs not (median [min–max] of $ROUNDS; paired ratio $(printf %.2f "$(paired zombies)"))" \
	"$(stats 1000 <"$out/hardened.zombies")" "tether unhardened" "$(stats 1000 <"$out/plain.zombies")" ms
row "tether as PID 1: signal forwarding round trip, one CPU, hardened vs not (median [min–max] of $ROUNDS × 2000; paired ratio $(printf %.2f "$(paired lat)"))" \
	"$(stats 1000 <"$out/hardened.lat")" "tether unhardened" "$(stats 1000 <"$out/plain.lat")" µs
rm -rf "$out"
