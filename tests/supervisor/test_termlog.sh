#!/bin/bash
# The termination log: byte-exact lines, the 4096-byte bound, rejected
# events, concurrent senders, and --send-event's exit codes; and the
# attacks of the audit (F6-F9, F13): a full disk, a failed trim, a log we
# cannot read, a full queue, a FIFO, foreign senders, floods.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/lib.sh"

suite_setUp() { fakes_setUp; }
suite_tearDown() { fakes_tearDown; }

start_logger() {
	# Only the termination log matters here: no daemons.
	sup_start --no-virtlogd --no-virtqemud "$@"
	wait_log "$T/log" 'events on' || fail "event socket not ready"
}

send() { "$SUP" --send-event "$T/ev.sock" "$1" 2>>"$T/send.err"; }

stop() {
	kill -TERM "$SUP_PID"
	sup_wait
}

test_byte_exact_lines() {
	start_logger
	send '{"timestamp": {"seconds": 1700000000, "microseconds": 5}, "event": "SHUTDOWN", "data": {"guest": true, "reason": "guest-reset"}}'
	assertEquals "accepted" 0 $?
	send '{"event":"SHUTDOWN","data":{"guest":true,"reason":"guest-shutdown"}}'
	send '{"event":"SHUTDOWN","data":{"guest":false,"reason":"host-signal"}}'
	send '{"event":"RESET"}'
	send '{"event":"X","data":{"s":"<a&b>\"q\"\\","n":[1,-2.5e3,null,false],"o":{}}}'
	stop
	printf '%s\n' \
		'{"event":"SHUTDOWN","details":"{\"guest\":true,\"reason\":\"guest-reset\"}"}' \
		'{"event":"SHUTDOWN","details":"{\"guest\":true,\"reason\":\"guest-shutdown\"}"}' \
		'{"event":"SHUTDOWN","details":"{\"guest\":false,\"reason\":\"host-signal\"}"}' \
		'{"event":"RESET","details":""}' \
		'{"event":"X","details":"{\"s\":\"\u003ca\u0026b\u003e\\\"q\\\"\\\\\",\"n\":[1,-2.5e3,null,false],\"o\":{}}"}' \
		>"$T/expected"
	assertTrue "byte for byte" "cmp '$T/expected' '$T/tl'"
	# What Go's json.Unmarshal gives back is the data, compacted.
	python3 - "$T/tl" <<'PY' || fail "details do not decode to the data"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert json.loads(json.loads(lines[0])["details"]) == {"guest": True, "reason": "guest-reset"}
assert json.loads(json.loads(lines[4])["details"])["s"] == '<a&b>"q"\\'
PY
}

test_unbound_sender_is_written() {
	start_logger
	python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(sys.argv[2].encode(), sys.argv[1])' \
		"$T/ev.sock" '{"event":"SHUTDOWN","data":{"guest":true,"reason":"guest-reset"}}'
	wait_log "$T/log" 'termination log: .*guest-reset' || fail "not written"
	stop
	assertEquals '{"event":"SHUTDOWN","details":"{\"guest\":true,\"reason\":\"guest-reset\"}"}' "$(cat "$T/tl")"
}

test_1000_events_stay_under_4096_bytes() {
	start_logger
	local i n=$(fewer 1000 100)
	for i in $(seq 0 $((n - 1))); do
		send "{\"event\":\"SHUTDOWN\",\"data\":{\"guest\":true,\"reason\":\"guest-reset\",\"seq\":$i}}" ||
			fail "event $i refused"
		[ $((i % 100)) -eq 0 ] && { [ "$(stat -c %s "$T/tl")" -le 4096 ] || fail "over 4096 at $i"; }
	done
	stop
	local size
	size=$(stat -c %s "$T/tl")
	assertTrue "size $size <= 4096" "[ $size -le 4096 ]"
	assertTrue "size $size > 3900 (the tail is kept)" "[ $size -gt 3900 ]"
	assertEquals "last line whole and newest" \
		'{"event":"SHUTDOWN","details":"{\"guest\":true,\"reason\":\"guest-reset\",\"seq\":'$((n - 1))'}"}' \
		"$(tail -n 1 "$T/tl")"
	assertEquals "first byte starts a line" '{' "$(head -c 1 "$T/tl")"
	python3 -c '
import json, sys
lines = open(sys.argv[1]).read().split("\n")
assert lines[-1] == ""
seqs = [json.loads(json.loads(l)["details"])["seq"] for l in lines[:-1]]
n = int(sys.argv[2])
assert seqs == list(range(n - len(seqs), n)), seqs
' "$T/tl" $n || fail "lines not whole or not in order"
}

test_malformed_events_rejected() {
	start_logger
	local bad n=0
	while IFS= read -r bad; do
		send "$bad"
		assertEquals "exit 1 for: $bad" 1 $?
		n=$((n + 1))
	done <<'EOF_BAD'
not json
{"event":"SHUTDOWN"
{"data":{"guest":true}}
{"event":1}
{"event":"BAD NAME"}
{"event":""}
{"event":"TETHER_SUPERVISE","data":{"reason":"guest-reset"}}
{"event":"X","data":{"a":tru}}
{"event":"X"} trailing
[{"event":"X"}]
{"event":"X","event":"Y"}
{"event":"X","data":1,"data":2}
{"event":"X","data":"\x"}
{"event":"X","data":"\u12"}
{"event":"X","data":01}
{"event":"X","data":[1,]}
{"event":"X","data":{"a" 1}}
{"event":"X","data":"	tab"}
EOF_BAD
	send "$(printf '{"event":"X","data":"\xff"}')"
	assertEquals "invalid UTF-8" 1 $?
	send "{\"event\":\"X\",\"data\":$(printf '[%.0s' $(seq 40))$(printf ']%.0s' $(seq 40))}"
	assertEquals "too deep" 1 $?
	stop
	assertFalse "nothing written" "[ -s '$T/tl' ]"
	assertEquals "each rejection logged" $((n + 2)) "$(grep -c 'event rejected' "$T/log")"
	assertTrue "reason given to the sender" "grep -q 'rejected: the event name must be' '$T/send.err'"
}

test_oversized_events_rejected() {
	start_logger
	local big
	big=$(head -c 5000 /dev/zero | tr '\0' a)
	send "{\"event\":\"X\",\"data\":\"$big\"}"
	assertEquals "datagram over 4096" 1 $?
	big=$(head -c 2000 /dev/zero | tr '\0' a)
	send "{\"event\":\"X\",\"data\":\"$big\"}"
	assertEquals "line over a quarter of the log" 1 $?
	stop
	assertFalse "nothing written" "[ -s '$T/tl' ]"
	assertTrue "grep -q 'longer than 4096' '$T/send.err'"
	assertTrue "grep -q 'longer than 1024 bytes' '$T/send.err'"
}

test_concurrent_senders_never_interleave() {
	start_logger --termination-log-max 1048576
	local s pids=() n=$(fewer 100 10)
	for s in $(seq 10); do
		(for i in $(seq $n); do
			send "{\"event\":\"SHUTDOWN\",\"data\":{\"sender\":$s,\"seq\":$i,\"pad\":\"$(printf '%0200d' 0)\"}}" || exit 1
		done) &
		pids+=($!)
	done
	for s in "${pids[@]}"; do wait "$s" || fail "a sender failed"; done
	stop
	assertEquals $((10 * n)) "$(wc -l <"$T/tl")"
	python3 -c '
import json, sys
got = set()
for l in open(sys.argv[1]):
    d = json.loads(json.loads(l)["details"])
    got.add((d["sender"], d["seq"]))
assert len(got) == int(sys.argv[2])
' "$T/tl" $((10 * n)) || fail "interleaved or lost lines"
}

test_send_event_errors() {
	"$SUP" --send-event "$T/none.sock" '{"event":"X"}' 2>"$T/err"
	assertEquals "no socket" 111 $?
	assertTrue "grep -q 'connect $T/none.sock: .*ENOENT' '$T/err'"
	start_logger --termination-log /proc/none/tl
	send '{"event":"X"}'
	assertEquals "log not writable" 1 $?
	assertTrue "grep -q 'open /proc/none/tl' '$T/log'"
	stop
}

test_no_termination_log() {
	sup_start --no-virtlogd --no-virtqemud --no-termination-log
	wait_log "$T/log" 'started MAIN' || fail "no start"
	stop
	assertFalse "no socket" "[ -e '$T/ev.sock' ]"
	assertFalse "no log" "[ -e '$T/tl' ]"
}


last_event() {
	tail -n 1 "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["event"])'
}

# F6: a short write on a full disk is rolled back, and its errno reported.
test_full_disk_never_leaves_half_a_line() {
	mkdir "$T/full"
	cat >"$T/inner.sh" <<EOS
mount -t tmpfs -o size=8k tmpfs $T/full || exit 99
head -c 4096 /dev/zero >$T/full/filler
. $TETHER_ROOT/tests/supervisor/lib.sh
$SUP --no-virtlogd --no-virtqemud --no-prepare --no-seed --no-cleanup \
	--termination-log $T/full/tl --termination-log-max 8192 \
	--event-socket $T/ev.sock -- $T/bin/main 2>$T/log &
sup=\$!
wait_log $T/log 'events on' || exit 98
events 31 E | send_each $T/ev.sock >$T/answers
rm $T/full/filler
echo '{"event":"AFTER_SPACE_FREED"}' | send_each $T/ev.sock >>$T/answers
kill -TERM \$sup
wait \$sup
rc=\$?
cp $T/full/tl $T/tl
exit \$rc
EOS
	timeout 60 unshare --mount bash "$T/inner.sh"
	assertEquals "inner script" 0 $?
	assertTrue "some events did not fit: $(sort "$T/answers" | uniq -c)" \
		"grep -q '^failed: could not write the termination log: .*(ENOSPC)$' '$T/answers'"
	assertTrue "every line whole JSON: $(tail -c 300 "$T/tl")" "all_json '$T/tl'"
	assertEquals "the last event, whole" '{"event":"AFTER_SPACE_FREED","details":""}' "$(tail -n 1 "$T/tl")"
	assertEquals "lines = accepted events" "$(grep -c '^ok$' "$T/answers")" "$(wc -l <"$T/tl")"
	assertTrue "the real errno is logged" "grep -q 'write $T/full/tl: .*ENOSPC' '$T/log'"
	assertFalse "never EIO" "grep -q EIO '$T/log'"
}

# F6: a trim that fails half-way (RLIMIT_FSIZE below the new content)
# leaves the log exactly as it was, and says why.
test_failed_trim_keeps_the_log() {
	python3 -c '
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(40):
        f.write(json.dumps({"event": "OLD%d" % i, "details": "x" * 70}, separators=(",", ":")) + "\n")
' "$T/tl"
	cp "$T/tl" "$T/before"
	# The limit is the supervisor's: its stderr goes through a pipe.
	prlimit --fsize=3000 "$SUP" "${SUP_OPTS[@]}" --no-virtlogd --no-virtqemud \
		-- sleep 60 2> >(exec cat >"$T/log") &
	SUP_PID=$!
	wait_log "$T/log" 'events on' || fail "event socket not ready"
	assertTrue "over the bound: a trim is needed" "[ $(($(stat -c %s "$T/tl") + 200)) -gt 4096 ]"
	events 1 NEW | send_each "$T/ev.sock" >"$T/answers"
	assertTrue "the sender is told why: $(cat "$T/answers")" "grep -q '^failed: .*(EFBIG)$' '$T/answers'"
	assertTrue "the log is as it was" "cmp '$T/before' '$T/tl'"
	assertTrue "logged" "grep -q 'write $T/tl: .*EFBIG' '$T/log'"
	stop
}

# F7: a log we may write but not read still never grows past the bound.
test_unreadable_log_stays_under_the_bound() {
	chmod 755 "$T"
	mkdir "$T/nb"
	python3 -c '
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(40):
        f.write(json.dumps({"event": "OLD%d" % i, "details": "x" * 60}, separators=(",", ":")) + "\n")
' "$T/nb/tl"
	chown -R 65534:65534 "$T/nb"
	chmod 0200 "$T/nb/tl"
	export FAKE_DIR=$T/nb FAKE_WRITE_main=
	setpriv --reuid=65534 --regid=65534 --clear-groups "$SUP" --no-virtlogd --no-virtqemud \
		--no-prepare --no-seed --no-cleanup --termination-log "$T/nb/tl" \
		--event-socket "$T/nb/ev.sock" -- "$T/bin/main" 2>"$T/log" &
	SUP_PID=$!
	wait_log "$T/log" 'events on' || fail "event socket not ready"
	local i
	for i in $(seq 30); do
		printf '{"event":"NEW%d","data":{"pad":"%060d"}}\n' "$i" 0
	done | send_each "$T/nb/ev.sock" >"$T/answers"
	assertEquals "all accepted" 30 "$(grep -c '^ok$' "$T/answers")"
	stop
	bounded_whole_lines "$T/nb/tl"
	assertEquals "the newest is last" NEW30 "$(last_event "$T/nb/tl")"
	assertTrue "the warning says what happens" "grep -q 'not readable.*given up at the first trim' '$T/log'"
}

# F8: --send-event gives up when the supervisor's queue stays full.
test_send_event_bounded_when_the_queue_is_full() {
	start_logger
	kill -STOP "$SUP_PID"
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setblocking(False)
try:
    while True:
        s.sendto(b"{\"event\":\"FILL\"}", sys.argv[1])
except BlockingIOError:
    pass
' "$T/ev.sock"
	local t0 rc
	t0=$(date +%s%N)
	timeout -s KILL "$((7 + $(slow 5)))" "$SUP" --send-event "$T/ev.sock" '{"event":"X"}' 2>"$T/err"
	rc=$?
	local ms=$((($(date +%s%N) - t0) / 1000000))
	kill -CONT "$SUP_PID"
	assertEquals "exit code ($(cat "$T/err"))" 111 "$rc"
	assertTrue "within 5 s and a bit ($ms ms)" "[ $ms -ge 4900 ] && [ $ms -lt $((5000 + $(slow 500))) ]"
	assertTrue "says why" "grep -q 'queue stayed full for 5 s' '$T/err'"
	stop
}

# F9: a FIFO nobody reads never blocks PID 1: lines are dropped.
test_fifo_log_never_blocks() {
	mkfifo "$T/fifo"
	start_logger --termination-log "$T/fifo" --termination-log-max 8192
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.settimeout(2)
ev = b"{\"event\":\"F\",\"data\":\"" + b"a" * 1900 + b"\"}"
for i in range(80):
    s.sendto(ev, sys.argv[1])
' "$T/ev.sock" || fail "the sender was blocked"
	wait_log "$T/log" 'cannot take a line now.*dropped' 5 || fail "no warning"
	kill -TERM "$SUP_PID"
	timeout 3 tail --pid="$SUP_PID" -f /dev/null
	assertFalse "gone within 3 s of SIGTERM" "kill -0 $SUP_PID 2>/dev/null"
	kill -KILL "$SUP_PID" 2>/dev/null
	sup_wait
	assertEquals "MAIN's status (the fake exits 0 on TERM)" 0 "$RC"
}

# F13: only root, our uid and MAIN's may write events.
test_foreign_sender_rejected() {
	chmod 755 "$T"
	start_logger
	chmod 666 "$T/ev.sock"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$SUP" --send-event "$T/ev.sock" '{"event":"SHUTDOWN","data":{"reason":"forged"}}' 2>"$T/err"
	local rc=$?
	assertEquals "refused ($(cat "$T/err"))" 1 $rc
	assertTrue "with the reason" "grep -q 'rejected: sender uid 65534 (pid [0-9]*) is neither root nor MAIN.s uid' '$T/err'"
	send '{"event":"SHUTDOWN","data":{"reason":"real"}}'
	assertEquals "root is accepted" 0 $?
	stop
	assertEquals '{"event":"SHUTDOWN","details":"{\"reason\":\"real\"}"}' "$(cat "$T/tl")"
}

test_main_uid_accepted() {
	chmod 755 "$T"
	"$SUP" "${SUP_OPTS[@]}" --no-virtlogd --no-virtqemud \
		-- setpriv --reuid=107 --regid=107 --clear-groups sleep 60 2>"$T/log" &
	SUP_PID=$!
	wait_log "$T/log" 'events on' || fail "event socket not ready"
	until_true 5 eval '[ "$(stat -c %u /proc/$(pgrep -P $SUP_PID))" = 107 ]' || fail "MAIN is not uid 107"
	chmod 666 "$T/ev.sock"
	setpriv --reuid=107 --regid=107 --clear-groups \
		"$SUP" --send-event "$T/ev.sock" '{"event":"SHUTDOWN","data":{"reason":"main"}}' 2>"$T/err"
	local rc=$?
	assertEquals "MAIN's uid ($(cat "$T/err"))" 0 $rc
	setpriv --reuid=108 --regid=108 --clear-groups \
		"$SUP" --send-event "$T/ev.sock" '{"event":"X"}' 2>"$T/err"
	assertEquals "another uid" 1 $?
	stop
	assertEquals "only MAIN's event" '{"event":"SHUTDOWN","details":"{\"reason\":\"main\"}"}' "$(grep -v TETHER_SUPERVISE "$T/tl")"
}

# F13: however many other events follow, the newest SHUTDOWN line stays.
test_flood_never_evicts_the_shutdown_line() {
	start_logger
	send '{"event":"SHUTDOWN","data":{"guest":true,"reason":"guest-shutdown"}}'
	send '{"event":"SHUTDOWN","data":{"guest":true,"reason":"guest-reset"}}'
	events 200 FLOOD | send_each "$T/ev.sock" >"$T/answers"
	assertEquals "all accepted" 200 "$(grep -c '^ok$' "$T/answers")"
	stop
	bounded_whole_lines "$T/tl"
	assertEquals "the newest SHUTDOWN line is kept, once" \
		'{"event":"SHUTDOWN","details":"{\"guest\":true,\"reason\":\"guest-reset\"}"}' \
		"$(grep SHUTDOWN "$T/tl")"
	assertEquals "the newest event is last" FLOOD200 "$(last_event "$T/tl")"
	python3 -c '
import json, sys
names = [json.loads(l)["event"] for l in open(sys.argv[1])]
flood = [int(n[5:]) for n in names if n.startswith("FLOOD")]
assert flood == list(range(201 - len(flood), 201)), flood
' "$T/tl" || fail "the other lines are not the newest, in order"
}

# F13: a queue of 1000 events does not delay a signal past one batch.
test_flood_does_not_starve_signals() {
	cat >"$T/inner.sh" <<EOS
echo 5000 >/proc/sys/net/unix/max_dgram_qlen || exit 99
exec $SUP --no-virtlogd --no-virtqemud --no-prepare --no-seed --no-cleanup \
	--termination-log $T/tl --termination-log-max 1048576 --event-socket $T/ev.sock -- sleep 60
EOS
	unshare --net bash "$T/inner.sh" 2>"$T/log" &
	SUP_PID=$!
	wait_log "$T/log" 'events on' || fail "event socket not ready"
	kill -STOP "$SUP_PID"
	python3 -c '
import socket, sys
n = 0
while n < 1000:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    for i in range(100):
        s.sendto(b"{\"event\":\"F%d\"}" % n, sys.argv[1])
        n += 1
' "$T/ev.sock" || fail "could not queue 1000 events"
	kill -TERM "$SUP_PID"
	kill -CONT "$SUP_PID"
	sup_wait
	assertEquals 143 "$RC"
	local before
	before=$(sed -n '1,/forwarding SIGTERM/p' "$T/log" | grep -c 'termination log: ')
	assertTrue "events handled before the signal: $before" "[ $before -le 128 ]"
}

# audit-2 R4: a live listener at the event socket's path that accepts
# nothing (its queue full) is checked without waiting: as PID 1 with MAIN
# already running, the supervisor says so in one line and exits 111 at
# once (MAIN killed); a blocking connect hung it for ever, deaf to SIGTERM.
test_wedged_listener_on_the_event_socket() {
	"$TETHER_BUILD/helpers/backlog_fill" -l "$T/ev.sock" >"$T/fill" &
	local fill=$! rc t0 ms
	wait_for_line "$T/fill" "^full" 5 || fail "no wedged listener"
	t0=$(date +%s%N)
	timeout -s KILL "$(slow 10)" unshare --pid --fork --kill-child --mount-proc \
		"$SUP" --no-virtlogd --no-virtqemud --no-prepare --no-seed --no-cleanup --log-format text \
		--termination-log "$T/tl" --event-socket "$T/ev.sock" -- "$T/bin/main" 2>"$T/log"
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	kill -KILL $fill; wait $fill 2>/dev/null
	assertEquals "a set-up failure, not a hang (137: killed after 10 s): code" 111 $rc
	assertTrue "MAIN had started" "grep -q 'started MAIN' '$T/log'"
	assertEquals "one line says why" 1 \
		"$(grep -c "listen $T/ev.sock: another process listens there and accepts nothing (its queue is full)" "$T/log")"
	# With the start of the supervisor and MAIN: a check that waited 1 s fails.
	assertTrue "at once (took $ms ms)" "[ $ms -lt $(slow 500) ]"
	assertTrue "the socket is left to its owner" "[ -S '$T/ev.sock' ]"
}

. "$TETHER_ROOT/tests/lib/run.sh"
