#!/bin/bash
# tether-supervise: how fast it notices a daemon's socket, restarts a
# crashed daemon, and stops an idle stack; its size and idle memory.
# The daemons are the fake daemons of the test suite (tests/helpers/
# fakedaemon.c), so the figures are tether-supervise's own work.
# KubeVirt's figure for restarts is the documented `sleep 1s` of
# virt-launcher's daemon loop (libvirt_helper.go): printed as a documented
# constant, with no ratio.  The policies differ too: tether restarts at
# once, then backs off (0.1, 0.2, 0.4 … 5 s) and gives up after its crash
# budget; KubeVirt sleeps 1 s before every restart, forever.
# Memory and size: beside tini built with musl and tether's flags (like for
# like, bench/peers/), Debian's glibc-static tini, and a Go program that only
# waits (bench/peers/go-waiter.go): KubeVirt's PID 1 in that container,
# virt-launcher-monitor, is a Go program, and cannot be smaller than that.
. "$(dirname "$0")/lib.sh"
: "${TETHER_ROOT:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${TETHER_BUILD:=$TETHER_ROOT/build}"
SUP=$TETHER_BUILD/tether-supervise
FAKE=$TETHER_BUILD/helpers/fakedaemon
RUNS=${BENCH_RUNS:-15}
W=$(mktemp -d /tmp/tether-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT


setup() {
	rm -rf "$W/r" && mkdir -p "$W/r/bin" "$W/r/run"
	for n in virtlogd virtqemud main; do ln -s "$FAKE" "$W/r/bin/$n"; done
	export FAKE_DIR=$W/r FAKE_SOCK_virtlogd=$W/r/run/l.sock FAKE_SOCK_virtqemud=$W/r/run/q.sock
	export FAKE_WRITE_main="$W/r/run/l.conf $W/r/run/q.conf"
	unset FAKE_CRASH_virtqemud
}

start() {
	"$SUP" --no-prepare --no-seed --no-cleanup --termination-log "$W/r/tl" --event-socket "$W/r/ev.sock" \
		--virtlogd "$W/r/bin/virtlogd" --virtqemud "$W/r/bin/virtqemud" \
		--virtlogd-conf "$W/r/run/l.conf" --virtqemud-conf "$W/r/run/q.conf" \
		--virtlogd-socket "$W/r/run/l.sock" --virtqemud-socket "$W/r/run/q.sock" \
		"$@" -- "$W/r/bin/main" 2>"$W/r/log" &
	PID=$!
	# Woken by inotify (tail -F); the tail is killed afterwards.
	local fd tpid rc
	exec {fd}< <(exec tail -n +1 -F "$W/r/log" 2>/dev/null)
	tpid=$!
	timeout 10 grep -q -m1 'virtqemud is ready' <&"$fd"
	rc=$?
	exec {fd}<&-
	kill "$tpid" 2>/dev/null
	return $rc
}

stop() { kill -TERM "$PID"; wait "$PID"; }

# Microseconds since the epoch of a log line's "timestamp".
log_us() {
	grep -m1 "$1" "$W/r/log" | sed 's/.*"timestamp":"\([^"]*\)Z".*/\1/' |
		{ read -r ts; echo $(( $(date -u -d "${ts%.*}" +%s) * 1000000 + 10#${ts#*.} )); }
}
fake_rt_us() {
	local ns
	ns=$(grep "^$2" "$W/r/$1.log" | sed -n "${3:-1}p" | sed 's/.* rt=\([0-9]*\).*/\1/')
	echo $((ns / 1000))
}

ready=() restart=() stopms=() stopin=()
for i in $(seq "$RUNS"); do
	setup
	export FAKE_CRASH_virtqemud=1
	start || { kill -KILL "$PID"; wait "$PID"; continue; }
	# virtlogd: from just before its bind() to the "ready" line.
	ready+=($(( $(log_us 'virtlogd is ready') - $(fake_rt_us virtlogd binding) )))
	# virtqemud crashed once: from its exit to the second start.
	restart+=($(( $(fake_rt_us virtqemud start 2) - $(fake_rt_us virtqemud crash 1) )))
	t0=$(date +%s%N)
	stop
	stopms+=($(( ($(date +%s%N) - t0) / 1000 )))
	stopin+=($(( $(log_us 'exiting with code') - $(log_us 'stopping: SIGTERM') )))
done

r=$(printf '%s\n' "${ready[@]}" | stats 1000)
x=$(printf '%s\n' "${restart[@]}" | stats 1000)
s=$(printf '%s\n' "${stopms[@]}" | stats 1000)
si=$(printf '%s\n' "${stopin[@]}" | stats 1000)
row "supervisor: daemon readiness noticed after its socket appears (median [min–max] of $RUNS)" "$r" "tether only" "-" ms
row_ref "supervisor: first restart after a crash, exit to new exec (median [min–max] of $RUNS; later crashes back off 0.1 … 5 s)" "$x" \
	"KubeVirt's restart loop: a documented sleep before every restart, not measured" 1000 ms
row "supervisor: ordered stop of an idle stack, its log from SIGTERM to exit (median [min–max] of $RUNS)" "$si" "tether only" "-" ms
row "supervisor: ordered stop of an idle stack, shell's kill to wait return, incl. the shell's fork/wait (median [min–max] of $RUNS)" "$s" "tether only" "-" ms

# Peak memory (VmHWM, as bench_init) of PID 1 with the stack up, against
# the peers holding one child; and its memory at rest: RSS and PSS (its
# share of pages it shares with others) once both daemons are idle.
hwm() { awk '/VmHWM/ { print $2 }' "/proc/$1/status"; }
# at_rest PID: "RSS PSS" in KiB, after a second without work.
at_rest() {
	sleep 1
	echo "$(awk '/^VmRSS/ { print $2 }' "/proc/$1/status")" \
		"$(awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup")"
}
setup
start
rss=$(hwm "$PID")
read -r rest_rss rest_pss < <(at_rest "$PID")
stop
TINI_MUSL=$TETHER_ROOT/build/peers/bin/tini
GO_WAITER=
if command -v go >/dev/null; then
	(cd "$TETHER_ROOT/bench/peers" && CGO_ENABLED=0 nice go build -ldflags='-s -w' \
		-o "$W/go-waiter" go-waiter.go) 2>"$W/go.log" && GO_WAITER=$W/go-waiter
fi
# peer_hwm CMD...: VmHWM of CMD once it has a child (or, for the Go
# program, once it has started its runtime's threads).
peer_hwm() {
	"$@" &
	local p=$! v
	timeout 5 bash -c "until [ -n \"\$(pgrep -P $p)\" ] || [ \$(ls /proc/$p/task | wc -l) -gt 2 ]; do sleep 0.01; done"
	sleep 0.2
	v=$(hwm "$p")
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	echo "$v"
}
supsize=$(stat -c %s "$SUP")
if [ -x "$TINI_MUSL" ]; then
	row "supervisor: peak RSS of PID 1 (two daemons + MAIN up; tini holds one child; both musl)" "$rss" "tini-musl (less work)" "$(peer_hwm "$TINI_MUSL" -s -- sleep 1000)" KiB
	row "supervisor: static binary size (both musl, same flags)" "$supsize" "tini-musl (less work)" "$(stat -c %s "$TINI_MUSL")" bytes
fi
row "supervisor: peak RSS of PID 1 (as above)" "$rss" "tini-static (glibc; less work)" "$(peer_hwm tini-static -s -- sleep 1000)" KiB
row "supervisor: static binary size" "$supsize" "tini-static (glibc)" "$(stat -c %s "$(command -v tini-static)")" bytes
# virt-launcher-monitor itself is not built here (KubeVirt's code is not
# built by this project): the Go program that only waits stands in for it.
if [ -n "$GO_WAITER" ]; then
	gv=$(go version | awk '{ print $3 }')
	row "supervisor: peak RSS of PID 1" "$rss" "a Go program that only waits ($gv; the floor of virt-launcher-monitor)" "$(peer_hwm "$GO_WAITER")" KiB
	row "supervisor: static binary size" "$supsize" "the same Go program (-s -w)" "$(stat -c %s "$GO_WAITER")" bytes
	"$GO_WAITER" &
	gp=$!
	read -r go_rss go_pss < <(at_rest "$gp")
	kill "$gp"
	wait "$gp" 2>/dev/null
	stand_in="stand-in for virt-launcher-monitor: a Go program that only waits ($gv), at rest"
	row "supervisor: memory at rest, RSS of PID 1 (both daemons idle, MAIN up)" "$rest_rss" "$stand_in" "$go_rss" KiB
	row "supervisor: memory at rest, PSS of PID 1 (as above)" "$rest_pss" "$stand_in" "$go_pss" KiB
else
	echo "| supervisor: the Go floor of virt-launcher-monitor not measured (no go) | | | | |"
	row "supervisor: memory at rest, RSS of PID 1 (both daemons idle, MAIN up)" "$rest_rss" "tether only (no go: no stand-in)" "-" KiB
	row "supervisor: memory at rest, PSS of PID 1 (as above)" "$rest_pss" "tether only (no go: no stand-in)" "-" KiB
fi
