#!/bin/bash
# tether-supervise: how fast it notices a daemon's socket, restarts a
# crashed daemon, and stops an idle stack; its size and idle memory.
# The daemons are the fake daemons of the test suite (tests/helpers/
# fakedaemon.c), so the figures are tether-supervise's own work.
# KubeVirt's figure for restarts is the documented `sleep 1s` of
# virt-launcher's daemon loop (libvirt_helper.go), not a measurement.
. "$(dirname "$0")/lib.sh"
: "${TETHER_BUILD:=$(cd "$(dirname "$0")/.." && pwd)/build}"
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

ms() { awk '{ printf "%.2f", $1 / 1000 }'; }
r=$(printf '%s\n' "${ready[@]}" | median | ms)
x=$(printf '%s\n' "${restart[@]}" | median | ms)
s=$(printf '%s\n' "${stopms[@]}" | median | ms)
si=$(printf '%s\n' "${stopin[@]}" | median | ms)
row "supervisor: daemon readiness noticed after its socket appears (median of $RUNS)" "$r" "tether only" "-" ms
row "supervisor: first restart after a crash, exit to new exec (median of $RUNS)" "$x" "KubeVirt restart loop (documented sleep)" 1000 ms
row "supervisor: ordered stop of an idle stack, its log from SIGTERM to exit (median of $RUNS)" "$si" "tether only" "-" ms
row "supervisor: ordered stop of an idle stack, shell's kill to wait return (median of $RUNS)" "$s" "tether only" "-" ms

# Idle memory of PID 1 with the stack up, against tini holding one child.
setup
start
rss=$(awk '/VmRSS/ { print $2 }' "/proc/$PID/status")
stop
sleep 1000 &
SL=$!
tini-static -s -- sleep 1000 &
TP=$!
timeout 5 bash -c "until [ -n \"\$(pgrep -P $TP)\" ]; do sleep 0.01; done"
trss=$(awk '/VmRSS/ { print $2 }' "/proc/$TP/status")
kill "$TP" "$SL" 2>/dev/null
wait "$TP" "$SL" 2>/dev/null
row "supervisor: idle RSS of PID 1 (two daemons + MAIN up)" "$rss" "tini-static (one child)" "$trss" KiB
row "supervisor: static binary size" "$(stat -c %s "$SUP")" "tini-static" "$(stat -c %s "$(command -v tini-static)")" bytes
