#!/bin/bash
# The virtiofs placeholder: tether --placeholder / virtiofs-placeholder.
. "$(dirname "$0")/../lib/common.sh"
. "$TETHER_ROOT/tests/virtiofs/lib.sh"

suite_tearDown() {
	stop_container
}

test_bad_arguments() {
	local out rc
	out=$("$TETHER" --placeholder 2>&1); rc=$?
	assertEquals "no socket: code" 2 $rc
	assertContains "$out" "needs --socket PATH"
	out=$("$TETHER" --placeholder --socket '' 2>&1); rc=$?
	assertEquals "empty socket: code" 2 $rc
	assertContains "$out" "--socket takes an absolute path"
	# Bounded: a placeholder that takes the path runs until killed.
	out=$(cd "$T" && timeout -s KILL 5 "$TETHER" --placeholder --socket s 2>&1); rc=$?
	assertEquals "relative socket: code" 2 $rc
	assertContains "$out" "--socket takes an absolute path, not 's'"
	out=$(cd "$T" && timeout -s KILL 5 "$TETHER" --placeholder -s run/s 2>&1); rc=$?
	assertEquals "relative -s: code" 2 $rc
	assertFalse "nothing created" "[ -e '$T/s' ]"
	out=$("$TETHER" --placeholder --socket "$T/s" sleep 1 2>&1); rc=$?
	assertEquals "program given: code" 2 $rc
	assertContains "$out" "runs no program"
	out=$("$TETHER" --socket "$T/s" -- true 2>&1); rc=$?
	assertEquals "--socket without --placeholder: code" 2 $rc
	assertContains "$out" "--socket is for --placeholder"
	out=$("$TETHER" --placeholder --socket 2>&1); rc=$?
	assertEquals "--socket without value: code" 2 $rc
	assertFalse "nothing created" "[ -e '$T/s' ]"
}

test_other_file_types_are_refused() {
	local out rc
	echo keep >"$T/file"
	out=$("$TETHER" --placeholder --socket "$T/file" 2>&1); rc=$?
	assertEquals "regular file: code" 111 $rc
	assertContains "$out" "not a socket, refusing"
	assertEquals "file untouched" keep "$(cat "$T/file")"
	mkdir "$T/dir"
	out=$("$TETHER" --placeholder --socket "$T/dir" 2>&1); rc=$?
	assertEquals "directory: code" 111 $rc
	assertTrue "dir untouched" "[ -d '$T/dir' ]"
}

test_live_socket_is_not_stolen() {
	start_container
	local out rc
	out=$("$TETHER" --placeholder --socket "$SOCK" 2>&1); rc=$?
	assertEquals "code" 111 $rc
	assertContains "$out" "listen $SOCK"
	assertTrue "the first one still has it" "socat -u OPEN:/dev/null UNIX-CONNECT:'$SOCK'"
	assertTrue "the first one still runs" "kill -0 $PH"
}

test_stale_socket_is_replaced() {
	mkdir -p "$T/pre" && python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$T/pre/s"
	assertTrue "a stale socket is there" "[ -S '$T/pre/s' ]"
	"$TETHER" --placeholder --socket "$T/pre/s" -vv --log-format text 2>"$T/err" &
	local p=$!
	wait_for_line "$T/err" "listening on" 5
	assertTrue "listening" "socat -u OPEN:/dev/null UNIX-CONNECT:'$T/pre/s'"
	kill -TERM $p; wait $p
	assertEquals "TERM with no virtiofsd: code" 0 $?
}

test_runs_as_107_without_privileges() {
	start_container
	assertEquals "uid" "107" "$(awk '/^Uid:/ {print $2}' /proc/$PH/status)"
	assertEquals "CapEff" "0000000000000000" "$(awk '/^CapEff:/ {print $2}' /proc/$PH/status)"
	assertEquals "CapBnd" "0000000000000000" "$(awk '/^CapBnd:/ {print $2}' /proc/$PH/status)"
	assertEquals "NoNewPrivs" "1" "$(awk '/^NoNewPrivs:/ {print $2}' /proc/$PH/status)"
	assertEquals "is PID 1" "1" "$(ns_pid $PH)"
}

test_read_only_root() {
	chmod 755 "$T"; mkdir "$T/run"
	unshare --mount --pid --fork --mount-proc sh -c \
		'mount -t tmpfs -o mode=777 tmpfs "$1" && mount -o remount,bind,ro / && shift && exec "$@"' sh "$T/run" \
		setpriv --reuid 107 --regid 107 --clear-groups --inh-caps=-all --bounding-set=-all -- \
		"$TETHER" --placeholder --socket "$T/run/ph.sock" -vv --log-format text 2>"$T/ph.err" &
	U=$!
	ph_listening 5
	assertTrue "listening on a read-only root" $?
	assertTrue "root is read-only there" "nsenter -t $PH -m sh -c '! touch /ro-probe 2>/dev/null'"
	local c=$(orphan sh -c 'exit 7')
	ph_wait 5
	assertEquals "virtiofsd's status" 7 $PH_RC
	[ $PH_RC = 7 ] || cat "$T/ph.err"
}

test_argv0_name_and_socket_path() {
	ln -s "$TETHER" "$T/virtiofs-placeholder"
	"$T/virtiofs-placeholder" --socket-path "$T/s" -vv --log-format text 2>"$T/err" &
	local p=$!
	assertTrue "listening" "wait_for_line '$T/err' 'listening on $T/s' 5"
	kill -INT $p; wait $p
	assertEquals "INT with no virtiofsd: code" 0 $?
}

test_peer_learns_the_pid_through_the_socket() {
	start_container
	local out
	out=$("$ENTER" --target-socket "$SOCK" --dry-run -- /bin/true)
	assertContains "$out" "target pid $PH"
}

test_200_sequential_connections() {
	start_container
	local i fails=0 n=$(fewer 200 20)
	for i in $(seq $n); do
		socat -u OPEN:/dev/null UNIX-CONNECT:"$SOCK" 2>/dev/null || fails=$((fails + 1))
	done
	assertEquals "refused" 0 $fails
}

test_hundreds_held_open() {
	start_container
	python3 - "$SOCK" <<'PY'
import socket, sys
held = []
for i in range(400):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    held.append(s)
s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(sys.argv[1]); s.close()
PY
	assertEquals "400 held and one more" 0 $?
	assertTrue "still alive" "kill -0 $PH"
	assertTrue "still accepting" "socat -u OPEN:/dev/null UNIX-CONNECT:'$SOCK'"
}

test_registered_exit_status_passes_through() {
	local code
	for code in 0 3; do
		start_container
		local c=$(root_child "$T/f$code" $code)
		assertTrue "register" "register $c >/dev/null"
		release "$T/f$code"
		ph_wait 5
		assertEquals "exit $code" $code $PH_RC
		stop_container
	done
}

test_kill_9_of_virtiofsd_gives_137_at_once() {
	start_container
	local c=$(orphan sleep 1000) ms
	register $c >/dev/null
	ms=$(ms_to_exit $PH KILL $c 5)
	ph_wait 5
	assertEquals "code" 137 $PH_RC
	assertTrue "gone within $PH_EXIT_MS ms of virtiofsd's death (took ${ms:-over 5 s} ms)" "below '$ms' $PH_EXIT_MS"
}

test_unrelated_children_stop_and_sigchld_do_not_end_it() {
	start_container
	local v=$(orphan sleep 1000)
	register $v >/dev/null
	local r=$(root_child "$T/f" 1)
	local n=$(orphan setpriv --reuid 107 --regid 107 --clear-groups sh -c 'exit 4')
	release "$T/f"
	kill -STOP $v; kill -CONT $v
	kill -CHLD $PH
	assertTrue "unrelated children reaped" "until_true 5 test \"\$(zombies_of $PH)\" = 0"
	wait_for_line "$T/ph.err" "code 1\): not virtiofsd" 5
	assertTrue "root child logged as unrelated" $?
	assertTrue "still alive" "kill -0 $PH"
	local again
	again=$(register $v)
	assertContains "second registration" "$again" "BUSY"
	kill -TERM $v
	ph_wait 5
	assertEquals "virtiofsd's TERM status" 143 $PH_RC
}

test_registration_refuses_a_process_outside_the_namespace() {
	start_container
	local out
	out=$("$REGISTER" "$SOCK" $$)
	assertEquals "ERR answer" "ERR not in this PID namespace" "$out"
	assertTrue "still alive" "kill -0 $PH"
}

test_without_registration_first_root_child_is_virtiofsd() {
	start_container
	orphan setpriv --reuid 107 --regid 107 --clear-groups sh -c 'exit 4' >/dev/null
	assertTrue "non-root child reaped" "wait_for_line '$T/ph.err' 'uid 107, code 4' 5"
	local c=$(root_child "$T/f" 6)
	release "$T/f"
	ph_wait 5
	assertEquals "root child's status" 6 $PH_RC
}

test_term_with_no_virtiofsd_exits_0_at_once() {
	start_container
	local ms=$(ms_to_exit $PH TERM $PH 5)
	ph_wait 5
	assertEquals "code" 0 $PH_RC
	assertTrue "at once (took ${ms:-over 5 s} ms)" "below '$ms' $PH_EXIT_MS"
}

test_term_as_107_cannot_signal_root_virtiofsd_exits_143() {
	start_container
	local c=$(orphan sleep 1000)
	register $c >/dev/null
	# Exiting is its only stop left (the kernel then ends the namespace,
	# virtiofsd with it): at once, not after the grace (5 s by default).
	local ms=$(ms_to_exit $PH TERM $PH 10)
	ph_wait 10
	assertEquals "code" 143 $PH_RC
	assertTrue "logged" "grep -q 'exiting instead' '$T/ph.err'"
	assertTrue "at once, not after the grace (took ${ms:-over 10 s} ms)" "below '$ms' $PH_EXIT_MS"
}

test_term_forwarded_then_grace_then_kill() {
	# As root (CAP_KILL) the placeholder can stop virtiofsd itself.
	mkdir -m 777 "$T/run"; SOCK=$T/run/ph.sock
	unshare --pid --fork --mount-proc "$TETHER" --placeholder --socket "$SOCK" --grace 0.5 -vv --log-format text \
		>"$T/ph.out" 2>"$T/ph.err" &
	U=$!
	ph_listening 5
	local c=$(orphan sh -c 'trap "" TERM; while :; do sleep 1; done') ms
	register $c >/dev/null
	ms=$(ms_to_exit $PH TERM $PH 5)
	ph_wait 5
	assertEquals "KILLed after the grace" 137 $PH_RC
	assertTrue "grace logged" "grep -q 'grace period over' '$T/ph.err'"
	assertTrue "took the grace, not much more (took ${ms:-over 5 s} ms)" "ph_within_grace 500 '$ms'"
}

test_not_pid_1_registration_gives_the_status() {
	# A shared PID namespace: virtiofsd is not our child; the kernel
	# keeps its status for the pidfd (6.15+).
	chmod 755 "$T"
	mkdir -m 777 "$T/run"
	setpriv --reuid 107 --regid 107 --clear-groups --inh-caps=-all --bounding-set=-all -- \
		"$TETHER" --placeholder --socket "$T/run/s" -vv --log-format text 2>"$T/err" &
	local p=$!
	wait_for_line "$T/err" "listening on" 5
	mkfifo "$T/f"
	# Sharing our PID namespace, only the process itself may register.
	"$REGISTER" "$T/run/s" $$ >"$T/out"
	assertEquals "another process's registration refused" "ERR only the launcher or the process itself registers" "$(cat "$T/out")"
	"$REGISTER" "$T/run/s" --self sh -c 'read x <"$1"; exit 9' sh "$T/f" >"$T/out" &
	local c=$!
	wait_for_line "$T/err" "virtiofsd registered" 5
	assertEquals "registered itself" "OK $c" "$(cat "$T/out")"
	release "$T/f"
	wait $c
	local d=$(slow 5)
	{ sleep $d && kill -KILL $p; } 2>/dev/null &
	local w=$!
	wait $p
	local rc=$?
	pkill -P $w sleep 2>/dev/null
	kill $w 2>/dev/null
	if [ "$(printf '%s\n' 6.15 "$(uname -r)" | sort -V | head -n 1)" = 6.15 ]; then
		assertEquals "virtiofsd's status though not our child" 9 $rc
	else
		# Before 6.15 the kernel keeps no status for a pidfd holder.
		assertEquals "kernel $(uname -r): the status is unknown" 1 $rc
		assertTrue "and says so" "grep -q 'is gone; its status is unknown' '$T/err'"
	fi
}

test_no_busy_loop_when_idle() {
	start_container
	# Counted from when it listens: its start (setpriv's exec, tether's
	# own) costs ticks of its own under emulation.
	local t0=$(awk '{print $14 + $15}' /proc/$PH/stat) ticks
	sleep 2
	ticks=$(($(awk '{print $14 + $15}' /proc/$PH/stat) - t0))
	assertTrue "under 10 ms of CPU in 2 s (ticks $ticks)" "[ $ticks -le 1 ]"
}

test_sighup_and_sigquit_stop_it_with_no_virtiofsd() {
	local sig ms
	for sig in HUP QUIT; do
		start_container
		ms=$(ms_to_exit $PH $sig $PH 5)
		ph_wait 5
		assertEquals "SIG$sig: code" 0 $PH_RC
		assertTrue "SIG$sig: at once (took ${ms:-over 5 s} ms)" "below '$ms' $PH_EXIT_MS"
		stop_container
	done
}

# A socket name (after the last /) of 108 bytes cannot be bound from any
# directory: a usage error (2), not a set-up failure (111).
test_a_socket_name_too_long_is_a_usage_error() {
	local name=$(printf 'n%.0s' $(seq 108)) out rc
	out=$("$TETHER" --placeholder --socket "$T/$name" 2>&1); rc=$?
	assertEquals "exit code" 2 $rc
	assertContains "$out" "must be shorter than 108 bytes"
	assertFalse "nothing created" "[ -e '$T/$name' ]"
}

# The placeholder as PID 1 with the host's /proc mounted (no
# --mount-proc): what it lists are not its children.  Stopped with no
# virtiofsd registered, it must not take a host process for virtiofsd
# (the old code "forwarded" SIGTERM to a root child of the host's PID 1).
test_a_proc_of_another_pid_namespace_is_not_believed() {
	chmod 755 "$T" && mkdir -m 777 "$T/run"
	unshare --pid --fork --mount setpriv --reuid 107 --regid 107 --clear-groups \
		--inh-caps=-all --bounding-set=-all -- "$TETHER" --placeholder --socket "$T/run/p.sock" -v \
		--log-format text 2>"$T/ph.err" &
	U=$!
	ph_listening 5
	kill -TERM "$PH"
	ph_wait 5
	assertEquals "nothing to stop: exit 0" 0 $PH_RC
	assertContains "said why" "$(cat "$T/ph.err")" "/proc is not this PID namespace's"
	assertNotContains "no host process taken for virtiofsd" "$(cat "$T/ph.err")" "forwarding"
}

test_short_option_s_and_the_socket_is_removed_at_exit() {
	ln -s "$TETHER" "$T/virtiofs-placeholder"
	"$T/virtiofs-placeholder" -s "$T/s" 2>"$T/err" &
	local p=$!
	assertTrue "listening with -s" "wait_for_line '$T/err' 'listening on $T/s' 5"
	assertTrue "the socket is there" "[ -S '$T/s' ]"
	kill -TERM $p; wait $p
	assertEquals "TERM with no virtiofsd: code" 0 $?
	assertFalse "the socket is removed" "[ -e '$T/s' ]"
	"$TETHER" --placeholder -s "$T/s2" 2>"$T/err2" &
	p=$!
	wait_for_line "$T/err2" 'listening on' 5
	mv "$T/s2" "$T/moved" && echo keep >"$T/s2"
	kill -TERM $p; wait $p
	assertEquals "another file at the path is left alone" keep "$(cat "$T/s2")"
	assertTrue "the moved socket too" "[ -S '$T/moved' ]"
}

test_default_level_logs_readiness_and_the_exit_only() {
	PH_V= PH_LOGFMT=json start_container
	local c=$(root_child "$T/f" 4)
	local nc=$(ns_pid $c)
	register $c >/dev/null
	orphan setpriv --reuid 107 --regid 107 --clear-groups sh -c 'exit 3' >/dev/null
	release "$T/f"
	ph_wait 5
	assertEquals "code" 4 $PH_RC
	assertEquals "two lines" 2 "$(wc -l <"$T/ph.err")"
	assertContains "readiness" "$(sed -n 1p "$T/ph.err")" '"level":"info","msg":"placeholder listening on '"$SOCK"
	assertContains "the exit" "$(sed -n 2p "$T/ph.err")" '"level":"info","msg":"virtiofsd (pid '"$nc"') exited with code 4"'
}

# Only root may register, so other peers are closed at once; a root peer
# that says nothing is closed after 10 s.  Neither can block a registration.
test_silent_clients_cannot_block_a_registration() {
	start_container
	local v=$(orphan sleep 1000)
	cat >"$T/hold.py" <<'PY'
import socket, sys, time
held = []
for i in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); held.append(s)
print("holding", flush=True)
time.sleep(30)
PY
	chmod 644 "$T/hold.py"
	as_uid 107 /usr/bin/python3 "$T/hold.py" "$SOCK" 100 >"$T/h107" &
	local h107=$!
	wait_for_line "$T/h107" holding 5
	assertTrue "uid 107's connections are not held ($(ls /proc/$PH/fd | wc -l) fds)" \
		"[ $(ls /proc/$PH/fd | wc -l) -lt 20 ]"
	python3 "$T/hold.py" "$SOCK" 64 >"$T/hroot" &
	local hroot=$!
	wait_for_line "$T/hroot" holding 5
	assertNotContains "64 silent root peers fill every slot" "$(register $v)" "OK"
	local t0=$SECONDS
	assertTrue "idle ones are closed" "wait_for_line '$T/ph.err' 'closing a connection idle' 15"
	assertTrue "after about 10 s (took $((SECONDS - t0)) s)" "[ $((SECONDS - t0)) -le $((10 + $(slow 2))) ]"
	assertContains "then the launcher registers" "$(register $v)" "OK"
	kill $h107 $hroot 2>/dev/null
	wait $h107 $hroot 2>/dev/null
	return 0
}

# Out of fds with none to spare, accept fails and leaves the connection
# queued: the level-triggered listener must rest, not spin.
test_accept_failures_never_spin() {
	start_container
	# Below the fds it holds, every new one fails (EMFILE); the spare cannot
	# be taken back either.  Set as uid 107: same uid, no CAP_SYS_RESOURCE needed.
	setpriv --reuid 107 --regid 107 --clear-groups prlimit --pid $PH --nofile=3:4096
	socat -u OPEN:/dev/null UNIX-CONNECT:"$SOCK" &
	local s=$!
	wait_for_line "$T/ph.err" "accept: .*EMFILE" 5
	local t0=$(awk '{print $14 + $15}' /proc/$PH/stat)
	sleep 1
	local t1=$(awk '{print $14 + $15}' /proc/$PH/stat)
	assertTrue "no spinning: $((t1 - t0)) ticks of CPU in 1 s" "[ $((t1 - t0)) -le 5 ]"
	setpriv --reuid 107 --regid 107 --clear-groups prlimit --pid $PH --nofile=4096:4096
	local v=$(orphan sleep 1000)
	assertContains "served again once fds are back" "$(register $v)" "OK"
	kill $s 2>/dev/null; wait $s 2>/dev/null
}

test_inherited_ignored_sigchld() {
	local PH_WRAP=(bash -c 'trap "" CHLD; exec "$@"' bash)
	start_container
	assertEquals "reset in the placeholder" 0 $((0x$(awk '/^SigIgn:/ {print $2}' /proc/$PH/status) >> 16 & 1))
	local c=$(root_child "$T/f" 6)
	release "$T/f"
	ph_wait 5
	assertEquals "virtiofsd's exit is still seen" 6 $PH_RC
}

. "$TETHER_ROOT/tests/lib/run.sh"
