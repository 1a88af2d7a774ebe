# Sourced by bench scripts.
#
# A row is "| measure | tether | peer | peer value | tether advantage (×) |".
# A measured value is printed as "median [min–max]" of its runs (stats); the
# ratio is computed from the two printed medians, nothing else.  A number
# that is not a measurement of the peer (a documented constant, a target)
# goes through row_ref: it is printed as what it is, with no ratio.

# row MEASURE TETHER_VALUE PEER PEER_VALUE [UNIT]: one table row for a
# measure where less is better; the last column is tether's advantage,
# peer/tether (above 1: tether is smaller or faster; below 1: tether loses).
row() {
	row_ratio "$(ratio "$4" "$2")" "$@"
}

# row_higher: the same for a measure where more is better (a rate);
# the advantage is then tether/peer.
row_higher() {
	row_ratio "$(ratio "$2" "$4")" "$@"
}

# row_ref MEASURE TETHER_VALUE WHAT REF_VALUE [UNIT] [VERDICT]: a measured
# value beside a number that was not measured here (a target, a documented
# sleep); no ratio, only VERDICT (e.g. "target met").
row_ref() {
	echo "| $1 | $(unit "$2" "${5:-}") | $3 | $(unit "$4" "${5:-}") | ${6:-- (not a measurement)} |"
}

# ratio A B: A/B of the leading numbers (the medians) of A and B.
ratio() {
	awk -v a="${1%% *}" -v b="${2%% *}" 'BEGIN {
		num = "^[0-9]+([.][0-9]+)?$"
		if (a ~ num && b ~ num && b > 0) printf "%.2f", a / b; else print "-" }'
}

# A ratio below 1 says in words that tether loses the row.  Where the
# "peer" is one of tether's own builds (another architecture's, the
# unhardened one) no one loses: the script may say what it means instead
# (LOSES), else the ratio stands alone.
LOSES=
row_ratio() {
	local ratio=$1 words=$LOSES
	shift
	case $3 in tether*|container-disk*) ;; *) words=${words:-tether loses} ;; esac
	[ -n "$words" ] && awk -v r="$ratio" 'BEGIN { exit !(r ~ /^[0-9]+([.][0-9]+)?$/ && r < 1) }' &&
		ratio="$ratio ($words)"
	echo "| $1 | $(unit "$2" "${5:-}") | $3 | $(unit "$4" "${5:-}") | $ratio |"
}

# unhardened BIN: the path of tether's BIN built without the hardening
# (HARDEN=-fno-stack-protector: neither the stack protector nor
# lib/fortify.h), as the peers are built; made once into build/unhardened.
# Prints nothing and returns 1 when that build fails.
unhardened() {
	local plain=$TETHER_ROOT/build/unhardened
	make -C "$TETHER_ROOT" -s -j2 BUILD="$plain" HARDEN=-fno-stack-protector "$plain/$1" \
		>/dev/null 2>"$plain.$1.err" || { tail -n 1 "$plain.$1.err" >&2; return 1; }
	rm -f "$plain.$1.err"
	echo "$plain/$1"
}

# unit VALUE UNIT: VALUE with its unit, unless it is no number ("-", "n/a").
unit() {
	case $1 in -|n/a*|'') echo "$1" ;; *) echo "$1${2:+ $2}" ;; esac
}

# median of the numbers on stdin.
median() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# stats [DIVISOR [DECIMALS]]: "median [min–max]" of the numbers on stdin,
# each divided by DIVISOR (default 1), with DECIMALS (default 2) digits.
stats() {
	sort -n | awk -v d="${1:-1}" -v p="${2:-2}" '{ v[NR] = $1 / d } END {
		if (NR == 0) { print "-"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		f = "%." p "f"
		printf f " [" f "–" f "]\n", m, v[1], v[NR] }'
}

# now_ns: monotonic-enough wall time in nanoseconds.
now_ns() { date +%s%N; }
