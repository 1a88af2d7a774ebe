# Shared by the tether-supervise suites: fake daemons under $T and a
# supervisor started in the background with every path inside $T.
SUP=$TETHER_BUILD/tether-supervise
FAKE=$TETHER_BUILD/helpers/fakedaemon

# fakes: symlinks named like the programs they stand for.
fakes_setUp() {
	mkdir -p "$T/bin" "$T/run" "$T/disks"
	for n in virtlogd virtqemud main qemu-system-x86_64; do
		ln -s "$FAKE" "$T/bin/$n"
	done
	export FAKE_DIR=$T
	export FAKE_SOCK_virtlogd=$T/run/virtlogd-sock FAKE_SOCK_virtqemud=$T/run/virtqemud-sock
	export FAKE_WRITE_main="$T/run/virtlogd.conf $T/run/virtqemud.conf"
	SUP_OPTS=(--log-format json --no-prepare --no-seed
		--termination-log "$T/tl" --event-socket "$T/ev.sock"
		--virtlogd "$T/bin/virtlogd" --virtqemud "$T/bin/virtqemud"
		--virtlogd-conf "$T/run/virtlogd.conf" --virtqemud-conf "$T/run/virtqemud.conf"
		--virtlogd-socket "$T/run/virtlogd-sock" --virtqemud-socket "$T/run/virtqemud-sock"
		--cleanup-glob "$T/disks/*.sock")
	SUP_PID=
}

# Every process a fake recorded, and the supervisor: killed by pid, only
# while its command line still points into $T (no pid reuse accident).
fakes_tearDown() {
	local pid
	# Under TETHER_BUILD=build/asan a sanitizer report fails the test.
	if grep -qsE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$T/log"; then
		fail "sanitizer report: $(grep -m1 -E 'Sanitizer|runtime error:' "$T/log")"
	fi
	if [ -n "$SUP_PID" ] && kill -0 "$SUP_PID" 2>/dev/null; then
		kill -KILL "$SUP_PID" 2>/dev/null
		wait "$SUP_PID" 2>/dev/null
	fi
	for pid in $(sed -n 's/^start pid=\([0-9]*\) .*/\1/p' "$T"/*.log 2>/dev/null); do
		grep -qs "$T" "/proc/$pid/cmdline" && kill -KILL "$pid" 2>/dev/null
	done
	unset FAKE_DIR FAKE_REJECT_FLAGS ${!FAKE_*}
}

# sup_start [OPTIONS...]: runs tether-supervise with SUP_OPTS, the given
# options and MAIN = the fake main; its stderr goes to $T/log.
sup_start() {
	"$SUP" "${SUP_OPTS[@]}" "$@" -- "$T/bin/main" 2>"$T/log" &
	SUP_PID=$!
}

# sup_wait: waits for the supervisor to exit and sets RC.
sup_wait() {
	local i
	RC=
	wait "$SUP_PID"
	RC=$?
	SUP_PID=
}

# field NAME KEY [N]: the value of KEY in the Nth (default 1st) start line
# of fake NAME.
field() {
	sed -n "s/^start .*\b$2=\([^ ]*\).*/\1/p" "$T/$1.log" | sed -n "${3:-1}p"
}

# stamp NAME WHAT [N]: the monotonic ns of the Nth line starting with WHAT.
stamp() {
	grep "^$2" "$T/$1.log" | sed -n "${3:-1}p" | sed 's/.* t=\([0-9]*\).*/\1/'
}

wait_ready() {
	wait_log "$T/log" 'virtqemud is ready' "${1:-10}"
}

# wait_log FILE REGEX [SECONDS [AFTER]]: like common.sh's wait_for_line
# (woken by inotify through tail -F), but the tail is killed afterwards: a
# `tail -F` left on a file that stops growing (or is deleted) never gets
# SIGPIPE and would outlive the test.  With AFTER, only lines after the
# first line matching AFTER count.
wait_log() {
	local fd tpid rc
	exec {fd}< <(exec tail -n +1 -F "$1" 2>/dev/null)
	tpid=$!
	if [ -z "${4:-}" ]; then
		timeout "${3:-10}" grep -q -m1 -E -- "$2" <&"$fd"
	else
		WL_RE=$2 WL_AFTER=$4 timeout "${3:-10}" bash -c \
			'sed -u -E -n "/${WL_AFTER}/,\$p" | grep -q -m1 -E -- "$WL_RE"' <&"$fd"
	fi
	rc=$?
	exec {fd}<&-
	kill "$tpid" 2>/dev/null
	return $rc
}

# send_each SOCKET < EVENTS: sends each line of stdin as one event from a
# bound socket and prints each answer on its own line ("<none>" after 5 s).
send_each() {
	python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0tether-test-%d" % os.getpid())
s.settimeout(5)
for line in sys.stdin.read().splitlines():
    s.sendto(line.encode(), sys.argv[1])
    try:
        print(s.recv(300).decode())
    except socket.timeout:
        print("<none>")
' "$1"
}

# all_json FILE: every line of FILE is a JSON object with "event" and
# "details" strings (what kubelet and KubeVirt will parse).
all_json() {
	python3 -c '
import json, sys
data = open(sys.argv[1], "rb").read()
assert data == b"" or data.endswith(b"\n"), "no newline at the end"
for i, l in enumerate(data.split(b"\n")[:-1]):
    o = json.loads(l)
    assert isinstance(o["event"], str) and isinstance(o["details"], str), i
' "$1"
}

# bounded_whole_lines FILE: FILE is within the 4096-byte bound and every
# line of it is whole JSON.
bounded_whole_lines() {
	local size
	size=$(stat -c %s "$1")
	assertTrue "size $size <= 4096" "[ $size -le 4096 ]"
	assertTrue "whole lines" "all_json '$1'"
}

# events N PREFIX: N events named PREFIX1..PREFIXN with a 150-byte pad.
events() {
	local i
	for i in $(seq "$1"); do
		printf '{"event":"%s%d","data":{"pad":"%0150d"}}\n' "$2" "$i" 0
	done
}

# gone_within SECONDS PID: waits for PID (not our child) to end, woken by
# its pidfd; fails after SECONDS.
gone_within() {
	python3 -c '
import os, select, sys
try:
    fd = os.pidfd_open(int(sys.argv[2]))
except ProcessLookupError:
    sys.exit(0)
sys.exit(0 if select.select([fd], [], [], float(sys.argv[1]))[0] else 1)
' "$1" "$2"
}
