# Sourced by bench scripts.

# row MEASURE TETHER_VALUE PEER PEER_VALUE [UNIT]: one table row for a
# measure where less is better; the last column is tether's advantage,
# peer/tether (above 1: tether is smaller or faster).
row() {
	row_ratio "$(ratio "$4" "$2")" "$@"
}

# row_higher: the same for a measure where more is better (a rate);
# the advantage is then tether/peer.
row_higher() {
	row_ratio "$(ratio "$2" "$4")" "$@"
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		num = "^[0-9]+([.][0-9]+)?$"
		if (a ~ num && b ~ num && b > 0) printf "%.2f", a / b; else print "-" }'
}

row_ratio() {
	local ratio=$1
	shift
	echo "| $1 | $2${5:+ $5} | $3 | $4${5:+ $5} | $ratio |"
}

# median of the numbers on stdin.
median() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# now_ns: monotonic-enough wall time in nanoseconds.
now_ns() { date +%s%N; }
