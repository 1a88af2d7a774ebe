#!/bin/bash
# tether-supervise as KubeVirt's virt-launcher-monitor (--monitor, the
# argv[0] name, and "tini -- virt-launcher-monitor"): the command line
# passed on, INT/TERM/QUIT turned into SIGTERM, exit codes, the QEMU wait,
# the log dumps, --keep-after-failure, the container-disk sockets, and the
# istio sidecar asked to quit (a local listener in a private network
# namespace).  virt-launcher is the fake daemon under that name.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/lib.sh"

suite_setUp() {
	fakes_setUp
	ln -s "$FAKE" "$T/bin/virt-launcher"
	unset FAKE_WRITE_main
	M_OPTS=(--monitor --launcher "$T/bin/virt-launcher" --no-istio-quit)
	# KubeVirt's command line, as virt-controller renders it.
	KV_ARGS=(--qemu-timeout 251s --name vm1 --uid 1234-abcd --namespace default
		--kubevirt-share-dir /var/run/kubevirt --ephemeral-disk-dir /var/run/kubevirt-ephemeral-disks
		--container-disk-dir "$T/disks" --grace-period-seconds 45 --hook-sidecars 0
		--ovmf-path /usr/share/OVMF -v 4)
	NS_PID=
}

suite_tearDown() {
	[ -n "$NS_PID" ] && kill -KILL "$NS_PID" 2>/dev/null && wait "$NS_PID" 2>/dev/null
	istio_tearDown
	fakes_tearDown
}

mon_start() {
	"$SUP" "${M_OPTS[@]}" "$@" 2>"$T/log" &
	SUP_PID=$!
	wait_log "$T/virt_launcher.log" '^start' || fail "virt-launcher did not start: $(tail -3 "$T/log")"
}

test_command_line_passed_on() {
	mon_start -- "${KV_ARGS[@]}" --keep-after-failure --allow-emulation
	assertEquals "every argument but --keep-after-failure, in order" \
		"$(IFS=,; echo "${KV_ARGS[*]},--allow-emulation")" "$(field virt_launcher argv)"
	assertEquals "NET_BIND_SERVICE ambient" 0000000000000400 "$(field virt_launcher capamb)"
	assertEquals "the launcher is our child" "$SUP_PID" "$(field virt_launcher ppid)"
	kill -TERM "$SUP_PID"
	sup_wait
	assertEquals "virt-launcher's code" 0 "$RC"
	assertTrue "its log lines carry the monitor's component" \
		"grep -q '\"component\":\"virt-launcher-monitor\"' '$T/log'"
}

test_stop_signals_become_sigterm() {
	local sig
	for sig in INT TERM QUIT; do
		rm -f "$T/virt_launcher.log"
		export FAKE_TERM_CODE_virt_launcher=7
		mon_start -- "${KV_ARGS[@]}"
		kill -"$sig" "$SUP_PID"
		sup_wait
		assertEquals "$sig: virt-launcher's code" 7 "$RC"
		assertEquals "$sig arrived as SIGTERM" "signal 15" "$(grep '^signal' "$T/virt_launcher.log" | cut -d' ' -f1-2)"
	done
	rm -f "$T/virt_launcher.log"
	mon_start -- "${KV_ARGS[@]}"
	kill -HUP "$SUP_PID"
	wait_log "$T/virt_launcher.log" '^signal 1 ' || fail "HUP not passed on"
	kill -USR1 "$SUP_PID"
	kill -WINCH "$SUP_PID"
	kill -TERM "$SUP_PID"
	sup_wait
	assertEquals "USR1 and WINCH ignored, as the monitor does" "signal 1 signal 15" \
		"$(grep '^signal' "$T/virt_launcher.log" | cut -d' ' -f1-2 | tr '\n' ' ' | sed 's/ $//')"
}

test_exit_codes() {
	export FAKE_EXIT_virt_launcher=3
	mon_start -- "${KV_ARGS[@]}"
	sup_wait
	assertEquals "virt-launcher's own code" 3 "$RC"
	unset FAKE_EXIT_virt_launcher
	rm -f "$T/virt_launcher.log"
	mon_start -- "${KV_ARGS[@]}"
	kill -KILL "$(field virt_launcher pid)"
	sup_wait
	assertEquals "killed by a signal: 255, as Go's ExitStatus() -1" 255 "$RC"
	"$SUP" --monitor --no-istio-quit --launcher "$T/bin/none" -- --container-disk-dir "$T/disks" 2>"$T/log"
	assertEquals "not startable: 1" 1 $?
	assertTrue "says so" "grep -q 'failed to run $T/bin/none: .*ENOENT' '$T/log'"
}

test_qemu_gets_term_then_exit_1() {
	export FAKE_SPAWN_virt_launcher=$T/bin/qemu-system-x86_64 FAKE_IGNORE_TERM_qemu_system_x86_64=1
	mon_start --qemu-timeout 0.5 -- "${KV_ARGS[@]}"
	wait_log "$T/qemu_system_x86_64.log" '^start' || fail "no QEMU"
	local t0=$(date +%s%N)
	kill -TERM "$SUP_PID"
	sup_wait
	local ms=$((($(date +%s%N) - t0) / 1000000))
	assertEquals "QEMU outlived its time: 1" 1 "$RC"
	assertTrue "QEMU got SIGTERM" "grep -q '^signal 15' '$T/qemu_system_x86_64.log'"
	# The timeout and at most 300 ms more (scaled): 2x the timeout fails.
	assertTrue "after the timeout ($ms ms)" "[ $ms -ge 500 ] && [ $ms -lt $((500 + $(slow 300))) ]"
	unset FAKE_IGNORE_TERM_qemu_system_x86_64
	rm -f "$T"/*.log
	export FAKE_TERM_CODE_virt_launcher=4
	mon_start -- "${KV_ARGS[@]}"
	wait_log "$T/qemu_system_x86_64.log" '^start' || fail "no QEMU"
	kill -TERM "$SUP_PID"
	sup_wait
	assertEquals "a QEMU that goes: virt-launcher's code" 4 "$RC"
	assertTrue "QEMU got SIGTERM" "grep -q '^signal 15' '$T/qemu_system_x86_64.log'"
	assertTrue "the monitor's 10 s" "grep -q 'leftover QEMU process(es), 10000 ms before SIGKILL' '$T/log'"
}

test_container_disk_sockets_removed() {
	local s
	for s in disk_0.sock disk_1.sock other.txt; do
		python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$T/disks/$s"
	done
	echo keep >"$T/disks/file.sock"
	mkdir "$T/disks/dir.sock"
	export FAKE_EXIT_virt_launcher=0
	mon_start -- --container-disk-dir="$T/disks"
	sup_wait
	assertEquals 0 "$RC"
	assertFalse "sockets removed" "[ -e '$T/disks/disk_0.sock' ] || [ -e '$T/disks/disk_1.sock' ]"
	assertTrue "a socket not named *.sock kept" "[ -S '$T/disks/other.txt' ]"
	assertTrue "a file named *.sock kept" "[ -f '$T/disks/file.sock' ]"
	assertTrue "a directory named *.sock kept" "[ -d '$T/disks/dir.sock' ]"
}

test_keep_after_failure() {
	python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$T/disks/disk_0.sock"
	export FAKE_EXIT_virt_launcher=3
	mon_start -- "${KV_ARGS[@]}" --keep-after-failure
	wait_log "$T/log" 'keeping the container alive' || fail "not kept"
	assertFalse "not passed on" "grep -q 'keep-after-failure' '$T/virt_launcher.log'"
	assertFalse "sockets removed before" "[ -e '$T/disks/disk_0.sock' ]"
	kill -TERM "$SUP_PID"
	wait_log "$T/log" 'SIGTERM ignored: kept alive' || fail "no line for the TERM"
	assertTrue "still there after TERM" "kill -0 $SUP_PID"
	kill -KILL "$SUP_PID"
	sup_wait
	local v
	for v in "--keep-after-failure=false" "--keep-after-failure=0"; do
		rm -f "$T/virt_launcher.log"
		mon_start -- "${KV_ARGS[@]}" "$v"
		sup_wait
		assertEquals "$v: not kept" 3 "$RC"
		assertTrue "$v is passed on (only the bare flag is removed)" "grep -q -- '$v' '$T/virt_launcher.log'"
	done
	export FAKE_EXIT_virt_launcher=0
	rm -f "$T/virt_launcher.log"
	mon_start -- "${KV_ARGS[@]}" --keep-after-failure
	sup_wait
	assertEquals "no failure: not kept" 0 "$RC"
	"$SUP" "${M_OPTS[@]}" -- --keep-after-failure=maybe 2>"$T/log"
	assertEquals "a bad value is a usage error, as pflag's" 2 $?
}

test_reaps_every_zombie_as_pid1() {
	export FAKE_SPAWN_virt_launcher=/bin/true FAKE_DIR=$T
	unshare --pid --fork --mount-proc "$SUP" "${M_OPTS[@]}" -- "${KV_ARGS[@]}" 2>"$T/log" &
	NS_PID=$!
	wait_log "$T/virt_launcher.log" '^start' || fail "no launcher"
	local sup
	sup=$(pgrep -P "$NS_PID")
	assertEquals "PID 1" 1 "$(field virt_launcher ppid)"
	until_true 5 eval '[ "$(zombies_of '"$sup"')" = 0 ]'
	assertEquals "the orphan was reaped" 0 "$(zombies_of "$sup")"
	kill -TERM "$sup"
	wait "$NS_PID"
	assertEquals "TERM from outside: virt-launcher's code" 0 $?
	NS_PID=
}

# --- the log dumps: a private mount namespace with tmpfs on /run ---

test_log_dumps() {
	cat >"$T/inner.sh" <<EOS
set -e
mount -t tmpfs tmpfs /run
mkdir -p /run/kubevirt /run/kubevirt-private/libvirt/qemu/log
printf 'passt line 1\npasst line 2\n' >/run/kubevirt/passt.log
printf 'b first\n{"json":"kept as text"}\nb last, no newline' >/run/kubevirt-private/libvirt/qemu/log/b.log
printf 'a only\n' >/run/kubevirt-private/libvirt/qemu/log/a.log
mkfifo /run/kubevirt-private/libvirt/qemu/log/c.fifo
ln -s /etc/passwd /run/kubevirt-private/libvirt/qemu/log/d.log
exec "\$@"
EOS
	export FAKE_EXIT_virt_launcher=0
	timeout 20 unshare --mount bash "$T/inner.sh" "$SUP" "${M_OPTS[@]}" -- "${KV_ARGS[@]}" 2>"$T/log"
	assertEquals "exit code (a FIFO there never blocks)" 0 $?
	python3 - "$T/log" >"$T/msgs" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    print(o["level"], o["msg"])
PY
	local want
	want=$(printf '%s\n' \
		'info dump log file: /var/run/kubevirt/passt.log' 'info passt line 1' 'info passt line 2' \
		'info dump log file: /run/kubevirt-private/libvirt/qemu/log/a.log' 'info a only' \
		'info dump log file: /run/kubevirt-private/libvirt/qemu/log/b.log' 'info b first' \
		'info {"json":"kept as text"}' 'info b last, no newline')
	assertEquals "the dumps, files in name order, each line one log line" "$want" \
		"$(grep -E '^info (dump log file|passt|a only|b |\{)' "$T/msgs")"
	assertTrue "the FIFO is not read" "grep -q 'not dumping .*c.fifo: not a regular file' '$T/msgs'"
	assertFalse "the symlink is not followed" "grep -q 'root:x:0:0' '$T/msgs'"
}

# --- the istio sidecar: a listener on 15021 and 15020 in a private
# network namespace (lo up); ISTIO_MODE says how it answers ---

ISTIO_PY='
import ctypes, http.server, os, signal, socketserver, sys, threading
# Dies with the shell that started it, even when that one is killed.
ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
if os.getppid() != int(sys.argv[3]):
    sys.exit(1)
mode, log = sys.argv[1], sys.argv[2]
answers = {"ok": [200], "retry": [503, 200], "down": [503] * 9}.get(mode, [200])
class Ready(http.server.BaseHTTPRequestHandler):
    server_version = "envoy" if mode != "other" else "nginx"
    sys_version = ""
    def do_GET(self):
        if mode == "silent":
            threading.Event().wait(30)
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
class Quit(Ready):
    def do_POST(self):
        code = answers.pop(0) if answers else 200
        with open(log, "a") as f:
            f.write("%s %s %d\n" % (self.command, self.path, code))
        self.send_response(code); self.send_header("Content-Length", "0"); self.end_headers()
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
for port, h in ((15021, Ready), (15020, Quit)):
    threading.Thread(target=S(("127.0.0.1", port), h).serve_forever, daemon=True).start()
print("listening", flush=True)
threading.Event().wait()
'

# istio_run MODE: the monitor (istio on) in a network namespace with the
# listener in MODE ("none": nothing listens); sets RC and MS.
istio_run() {
	cat >"$T/inner.sh" <<EOS
rm -f $T/quit.log
ip link set lo up || exit 99
if [ "$1" != none ]; then
	rm -f $T/srv.fifo; mkfifo $T/srv.fifo
	python3 -c '$ISTIO_PY' $1 $T/quit.log \$\$ >$T/srv.fifo 2>$T/srv.err &
	echo \$! >$T/srv.pid
	trap 'kill -KILL \$(cat $T/srv.pid)' EXIT
	read -r -t 10 ready <$T/srv.fifo && [ "\$ready" = listening ] || exit 98
fi
t0=\$(date +%s%N)
"\$@"
rc=\$?
echo \$(( (\$(date +%s%N) - t0) / 1000000 )) >$T/ms
exit \$rc
EOS
	export FAKE_EXIT_virt_launcher=${ISTIO_EXIT:-0}
	timeout 60 unshare --net bash "$T/inner.sh" "$SUP" --monitor --launcher "$T/bin/virt-launcher" \
		-- "${KV_ARGS[@]}" 2>"$T/log"
	RC=$?
	MS=$(cat "$T/ms" 2>/dev/null)
}

# The stand-in servers go whatever happened to the test: by pid, only
# while the pid is still that python (its command line names $T).
istio_tearDown() {
	local pid
	pid=$(cat "$T/srv.pid" 2>/dev/null) || return 0
	grep -qs "$T/quit.log" "/proc/$pid/cmdline" && kill -KILL "$pid"
	rm -f "$T/srv.pid"
}

test_istio_asked_to_quit() {
	ISTIO_EXIT=5 istio_run ok
	assertEquals "the exit code is virt-launcher's" 5 "$RC"
	assertEquals "one POST" "POST /quitquitquit 200" "$(cat "$T/quit.log")"
	assertTrue "logged" "grep -q 'istio-proxy asked to quit' '$T/log'"
}

test_istio_retried_on_503() {
	istio_run retry
	assertEquals 0 "$RC"
	assertEquals "503, then 200" "$(printf 'POST /quitquitquit 503\nPOST /quitquitquit 200')" "$(cat "$T/quit.log")"
}

test_istio_bounded() {
	istio_run down
	assertEquals "never fails the exit" 0 "$RC"
	assertEquals "4 attempts" 4 "$(grep -c 503 "$T/quit.log")"
	assertTrue "within 50+250+1250 ms and a bit ($MS ms)" "[ $MS -lt 4000 ]"
	istio_run silent
	assertEquals "a sidecar that never answers: never fails the exit" 0 "$RC"
	assertTrue "one 2 s request ($MS ms)" "[ $MS -ge 1900 ] && [ $MS -lt 4000 ]"
	assertFalse "no POST" "[ -s '$T/quit.log' ]"
}

test_no_istio() {
	istio_run none
	assertEquals 0 "$RC"
	assertTrue "no wait without a sidecar ($MS ms)" "[ $MS -lt 1000 ]"
	istio_run other
	assertEquals 0 "$RC"
	assertFalse "not envoy: no POST" "[ -s '$T/quit.log' ]"
}

# --- the names: virt-launcher-monitor and tini -- virt-launcher-monitor ---

test_by_name() {
	python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$T/disks/disk_0.sock"
	# /usr/bin/virt-launcher does not exist here: exit 1 proves it is the
	# one run, and the socket clean-up that the arguments were read.
	unshare --net bash -c 'exec -a virt-launcher-monitor "$0" "$@"' "$SUP" \
		--keep-after-failure=false --container-disk-dir "$T/disks" 2>"$T/log"
	assertEquals "virt-launcher-monitor: /usr/bin/virt-launcher not found: 1" 1 $?
	assertTrue "it was /usr/bin/virt-launcher" "grep -q 'failed to run /usr/bin/virt-launcher: .*ENOENT' '$T/log'"
	assertFalse "socket removed" "[ -e '$T/disks/disk_0.sock' ]"
	python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$T/disks/disk_0.sock"
	unshare --net bash -c 'exec -a /usr/bin/tini "$0" "$@"' "$SUP" \
		-- /usr/bin/virt-launcher-monitor --container-disk-dir "$T/disks" 2>"$T/log"
	assertEquals "tini -- virt-launcher-monitor: the same" 1 $?
	assertFalse "socket removed" "[ -e '$T/disks/disk_0.sock' ]"
	bash -c 'exec -a tini "$0" "$@"' "$SUP" -s -- /usr/bin/virt-launcher-monitor 2>"$T/err"
	assertEquals "tini with anything else: usage" 2 $?
	assertTrue "says why" "grep -q 'tether is the general tini' '$T/err'"
}

. "$TETHER_ROOT/tests/lib/run.sh"
