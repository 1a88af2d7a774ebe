#!/bin/bash
# The command line every binary shares (lib/cli.h, README "Shared
# options"): the same usage-error line and exit code for the same mistake,
# --help and --version ending the parse, and -q, -v, --log-level and
# --log-format meaning the same in all four, run from outside over each.
. "$(dirname "$0")/../lib/common.sh"

# name|usage exit code|version line's name
ROLES=(
	"tether|2|tether"
	"tether-enter|2|tether-enter"
	"container-disk|1|container-disk (tether)"
	"tether-supervise|2|tether-supervise"
)
VERSION=$(cat "$TETHER_ROOT/VERSION")

# usage_error BIN CODE TEXT ARGS...: exit CODE, stdout empty, and stderr
# exactly "BIN: error: TEXT (see BIN --help)".
usage_error() {
	local bin=$1 code=$2 text=$3 rc
	shift 3
	(cd "$T" && "$TETHER_BUILD/$bin" "$@" >"$T/out" 2>"$T/err")
	rc=$?
	assertEquals "$bin $*: exit code" "$code" "$rc"
	assertEquals "$bin $*: the one error line" "$bin: error: $text (see $bin --help)" "$(cat "$T/err")"
	assertFalse "$bin $*: nothing on stdout" "[ -s '$T/out' ]"
}

test_same_usage_error_in_every_role() {
	local row bin code
	for row in "${ROLES[@]}"; do
		IFS='|' read -r bin code _ <<<"$row"
		usage_error "$bin" "$code" "--log-format takes json or text, not 'yaml'" --log-format yaml
		usage_error "$bin" "$code" "--log-level takes error, warning, info or debug, not 'loud'" --log-level loud
		usage_error "$bin" "$code" "missing argument for '--log-level'" --log-level
		usage_error "$bin" "$code" "option takes no argument: '--quiet'" --quiet=1
		usage_error "$bin" "$code" "option takes no argument: '--verbose'" -q --verbose=2
		usage_error "$bin" "$code" "unknown option '--bogus'" -v --bogus
		usage_error "$bin" "$code" "unknown option '-Z'" -q -Z
	done
}

# --help and --version end the parse where they stand (what follows is not
# read), print on stdout, nothing on stderr, exit 0; the help names the
# shared options with the one meaning of -q.
test_help_and_version_end_the_parse() {
	local row bin name rc
	for row in "${ROLES[@]}"; do
		IFS='|' read -r bin _ name <<<"$row"
		"$TETHER_BUILD/$bin" -v --help --bogus >"$T/out" 2>"$T/err"
		rc=$?
		assertEquals "$bin --help: exit 0" 0 "$rc"
		assertTrue "$bin --help: the usage line" "grep -q '^usage: $bin ' '$T/out'"
		assertTrue "$bin --help: -q's one meaning" "grep -qF -- '-q, --quiet (errors only)' '$T/out'"
		assertTrue "$bin --help: --log-level" "grep -qF -- '--log-level error|warning|info|debug' '$T/out'"
		assertFalse "$bin --help: stderr empty" "[ -s '$T/err' ]"
		"$TETHER_BUILD/$bin" --version --log-format yaml >"$T/out" 2>"$T/err"
		rc=$?
		assertEquals "$bin --version: exit 0" 0 "$rc"
		assertEquals "$bin --version" "$name $VERSION" "$(cat "$T/out")"
		assertFalse "$bin --version: stderr empty" "[ -s '$T/err' ]"
	done
}

# run_ROLE ARGS...: one short run of that role with ARGS, its log in
# $T/log (text format), producing info lines at the default level or
# above it (tether's default shows none of them: its run mode is quiet).
run_tether() {
	"$TETHER" --log-format text "$@" -- /bin/true 2>"$T/log"
}
run_tether-supervise() {
	"$TETHER_BUILD/tether-supervise" --log-format text "$@" --no-virtlogd --no-virtqemud \
		--no-prepare --no-seed --no-cleanup --no-termination-log \
		--event-socket "$T/ev.sock" -- /bin/true 2>"$T/log"
}
# The holder until its socket is removed (then it exits 0 on its own).
run_container-disk() {
	local pid
	mkdir -p "$T/d"
	"$TETHER_BUILD/container-disk" --log-format text "$@" -c "$T/d/x" 2>"$T/log" &
	pid=$!
	until_true 5 test -S "$T/d/x.sock"
	rm -f "$T/d/x.sock"
	wait "$pid"
}
# No such target: one error line, which no level hides.
run_tether-enter() {
	"$TETHER_BUILD/tether-enter" --log-format text "$@" --pid 4194304 -- /bin/true 2>"$T/log"
}

# levels ROLE ARGS...: the log levels of run_ROLE ARGS's lines, sorted,
# one of each.
levels() {
	local role=$1
	shift
	"run_$role" "$@" >/dev/null
	sed -n "s/^$role: \\([a-z]*\\): .*/\\1/p" "$T/log" | sort -u | tr '\n' ' '
}

# Whatever the role: -q and --log-level error leave only errors; -q -v is
# the default again; --log-level warning hides info; --log-level info and
# -v show info lines the default (tether's) may not.
test_levels_mean_the_same_in_every_role() {
	local role dflt
	for role in tether tether-supervise container-disk tether-enter; do
		dflt=$(levels "$role")
		assertEquals "$role -q: errors only" "$(echo "$dflt" | grep -o 'error ')" "$(levels "$role" -q)"
		assertEquals "$role --log-level error: errors only" "$(echo "$dflt" | grep -o 'error ')" \
			"$(levels "$role" --log-level error)"
		assertEquals "$role -q -v: the default" "$dflt" "$(levels "$role" -q -v)"
		assertEquals "$role --log-level warning: no info" "" "$(levels "$role" --log-level warning | grep -o info)"
		case $role in
		tether-enter)
			assertEquals "$role: its error, at every level" "error " "$dflt" ;;
		*)
			assertEquals "$role --log-level info: info lines" "info" "$(levels "$role" --log-level info | grep -o info)"
			assertEquals "$role -v: info lines" "info" "$(levels "$role" -v | grep -o info)" ;;
		esac
	done
	# tether's default hides the run's info lines; the others' shows them.
	assertEquals "tether's default: no info" "" "$(levels tether)"
	assertEquals "tether-supervise's default: info" "info " "$(levels tether-supervise)"
	assertEquals "container-disk's default: info" "info " "$(levels container-disk)"
}

# JSON by default in every role, with the role's component.
test_log_format_json_by_default() {
	local role
	for role in tether tether-supervise container-disk tether-enter; do
		"run_$role" --log-format json --log-level debug >/dev/null
		assertTrue "$role: JSON lines ($(head -c 200 "$T/log"))" \
			"grep -q '^{\"component\":\"$role\",\"level\":\"[a-z]*\",\"msg\":' '$T/log'"
		assertFalse "$role: only JSON lines" "grep -qv '^{' '$T/log'"
	done
}

. "$TETHER_ROOT/tests/lib/run.sh"
