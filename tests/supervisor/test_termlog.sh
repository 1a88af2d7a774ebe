#!/bin/bash
# The termination log: byte-exact lines, the 4096-byte bound, rejected
# events, concurrent senders, and --send-event's exit codes.
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
	local i
	for i in $(seq 0 999); do
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
		'{"event":"SHUTDOWN","details":"{\"guest\":true,\"reason\":\"guest-reset\",\"seq\":999}"}' \
		"$(tail -n 1 "$T/tl")"
	assertEquals "first byte starts a line" '{' "$(head -c 1 "$T/tl")"
	python3 -c '
import json, sys
lines = open(sys.argv[1]).read().split("\n")
assert lines[-1] == ""
seqs = [json.loads(json.loads(l)["details"])["seq"] for l in lines[:-1]]
assert seqs == list(range(1000 - len(seqs), 1000)), seqs
' "$T/tl" || fail "lines not whole or not in order"
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
	local s pids=()
	for s in $(seq 10); do
		(for i in $(seq 100); do
			send "{\"event\":\"SHUTDOWN\",\"data\":{\"sender\":$s,\"seq\":$i,\"pad\":\"$(printf '%0200d' 0)\"}}" || exit 1
		done) &
		pids+=($!)
	done
	for s in "${pids[@]}"; do wait "$s" || fail "a sender failed"; done
	stop
	assertEquals 1000 "$(wc -l <"$T/tl")"
	python3 -c '
import json, sys
got = set()
for l in open(sys.argv[1]):
    d = json.loads(json.loads(l)["details"])
    got.add((d["sender"], d["seq"]))
assert len(got) == 1000
' "$T/tl" || fail "interleaved or lost lines"
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

. "$TETHER_ROOT/tests/lib/run.sh"
