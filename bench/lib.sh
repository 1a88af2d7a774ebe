# Sourced by bench scripts.

# row MEASURE TETHER_VALUE PEER PEER_VALUE [UNIT]: one table row; the ratio
# is peer/tether (above 1: tether is smaller or faster, for measures where
# less is better).
row() {
	local ratio
	ratio=$(awk -v t="$2" -v p="$4" 'BEGIN {
		num = "^[0-9]+([.][0-9]+)?$"
		if (t ~ num && p ~ num && t > 0) printf "%.2f", p / t; else print "-" }')
	echo "| $1 | $2${5:+ $5} | $3 | $4${5:+ $5} | $ratio |"
}

# median of the numbers on stdin.
median() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# now_ns: monotonic-enough wall time in nanoseconds.
now_ns() { date +%s%N; }
