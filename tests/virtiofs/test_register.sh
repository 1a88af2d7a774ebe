#!/bin/bash
# Who may register with the placeholder, and the stop channel: only the
# launch chain registers (root from the host, or the process itself; never
# pid 1 or the placeholder), and a registered root virtiofsd gets the stop
# signals of a placeholder without capabilities through the pipe
# tether-enter set up.  The attacks are the security audit's (F4).
. "$(dirname "$0")/../lib/common.sh"
. "$TETHER_ROOT/tests/virtiofs/lib.sh"

suite_tearDown() {
	stop_container
}

# The audit's attack (F4): an intruder in the container (uid 107 or
# 65534, like kubectl exec) registers first a process of its own that
# exits 42; root in the container registers another.  All are refused;
# the real virtiofsd, registered by the launcher from the host, decides
# the container's status.
test_intruders_cannot_register() {
	start_container
	cat >"$T/intrude.py" <<'PY'
import os, socket, subprocess, sys
p = subprocess.Popen(["/bin/sh", "-c", "sleep 1; exit 42"])
s = socket.socket(socket.AF_UNIX); s.settimeout(3)
try:
    s.connect(sys.argv[1])
    s.sendmsg([b"REGISTER\n"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, os.pidfd_open(p.pid).to_bytes(4, sys.byteorder))])
    print("answer: %r" % s.recv(64), flush=True)
except OSError as e:
    print("answer: %s" % e, flush=True)
p.wait()
PY
	chmod 644 "$T/intrude.py"
	local uid out
	for uid in 65534 107; do
		out=$(as_uid $uid /usr/bin/python3 "$T/intrude.py" "$SOCK")
		assertContains "uid $uid tried" "$out" "answer:"
		assertNotContains "uid $uid is refused" "$out" "OK"
	done
	local other=$(orphan sleep 1000)
	out=$(nsenter -t "$PH" -p -m -- "$REGISTER" "$SOCK" "$(ns_pid $other)")
	assertEquals "root inside may not register another process" \
		"ERR only the launcher or the process itself registers" "$out"
	assertTrue "refusal logged" "grep -q 'refused: only the launcher' '$T/ph.err'"
	local c=$(root_child "$T/f" 7)
	assertEquals "the launcher registers virtiofsd" "OK $(ns_pid $c)" "$(register $c)"
	release "$T/f"
	ph_wait 5
	assertEquals "the container ends with virtiofsd's status" 7 $PH_RC
}

test_pid_1_and_the_placeholder_itself_are_refused() {
	start_container
	cat >"$T/one.py" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(3)
try:
    s.connect(sys.argv[1])
    s.sendmsg([b"REGISTER\n"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, os.pidfd_open(1).to_bytes(4, sys.byteorder))])
    print("answer: %r" % s.recv(64), flush=True)
except OSError as e:
    print("answer: %s" % e, flush=True)
PY
	chmod 644 "$T/one.py"
	local out=$(as_uid 107 /usr/bin/python3 "$T/one.py" "$SOCK")
	assertContains "the intruder tried" "$out" "answer:"
	assertNotContains "an intruder's pidfd(1)" "$out" "OK"
	assertEquals "pid 1 (the placeholder) from the host" "ERR pid 1 and the placeholder are not virtiofsd" \
		"$(register $PH)"
	local ms=$(ms_to_exit $PH TERM $PH 5)
	ph_wait 5
	assertEquals "SIGTERM still ends it: no virtiofsd" 0 $PH_RC
	assertTrue "at once (took ${ms:-over 5 s} ms)" "below '$ms' $PH_EXIT_MS"
}

test_not_pid_1_refuses_pid_1_and_itself() {
	# A shared PID namespace: its init is someone else.
	chmod 755 "$T"; mkdir -m 777 "$T/run"; SOCK=$T/run/ph.sock
	unshare --pid --fork --mount-proc sh -c '"$@" & wait' sh \
		"$TETHER" --placeholder --socket "$SOCK" -vv --log-format text 2>"$T/ph.err" &
	U=$!
	wait_for_line "$T/ph.err" "listening on" 5
	local init=$(pgrep -P $U)
	PH=$(pgrep -P $init)
	assertEquals "the placeholder is not PID 1" 2 "$(ns_pid $PH)"
	assertEquals "its init" "ERR pid 1 and the placeholder are not virtiofsd" "$(register $init)"
	assertEquals "itself" "ERR pid 1 and the placeholder are not virtiofsd" "$(register $PH)"
	assertTrue "still alive" "kill -0 $PH"
}

test_registered_process_must_be_its_child_as_pid_1() {
	start_container
	# In the container, but a child of nsenter (outside), not of PID 1.
	nsenter -t "$PH" -p -m -- sleep 1000 &
	local n=$!
	until_true 5 pgrep -P $n >/dev/null
	local s=$(pgrep -P $n)
	assertEquals "not its child" "ERR not a child of the placeholder" "$(register $s)"
	kill $s; wait $n 2>/dev/null
	local c=$(orphan sleep 1000)
	assertEquals "its child" "OK $(ns_pid $c)" "$(register $c)"
	kill -KILL $c
	ph_wait 5
	assertEquals "code" 137 $PH_RC
}

test_a_process_may_register_itself() {
	start_container
	mkfifo "$T/f"
	orphan "$REGISTER" --orphan "$SOCK" --self sh -c 'read x <"$1"; exit 5' sh "$T/f" >/dev/null
	assertTrue "registered" "wait_for_line '$T/ph.err' 'virtiofsd registered' 5"
	release "$T/f"
	ph_wait 5
	assertEquals "its status" 5 $PH_RC
}

test_bad_messages_are_refused() {
	start_container
	local c=$(orphan sleep 1000) out
	out=$(python3 - "$SOCK" "$c" <<'PY'
import os, socket, sys
def ask(data, fds):
    s = socket.socket(socket.AF_UNIX); s.settimeout(3); s.connect(sys.argv[1])
    s.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, b"".join(f.to_bytes(4, sys.byteorder) for f in fds))] if fds else [])
    return s.recv(64).decode().strip()
p = os.pidfd_open(int(sys.argv[2]))
print(ask(b"REGISTER\n", []), ask(b"HELLO\n", [p]), ask(b"REGISTER\n", [p, p]), sep="|")
PY
)
	assertEquals "no pidfd, wrong word, two fds" "ERR bad message|ERR bad message|ERR bad message" "$out"
	assertTrue "still free to register" "register $c >/dev/null"
}

# The stop channel: a uid-107 placeholder without capabilities stops a
# root virtiofsd through the pipe tether-enter set up, with SIGTERM
# whichever stop signal it got (a container user's SIGQUIT must not make
# a root process dump core); virtiofsd (sigrecord: exits 0 on SIGTERM)
# records what arrived.
test_each_stop_signal_reaches_root_virtiofsd_through_the_channel() {
	local sig
	for sig in TERM INT HUP QUIT; do
		start_container
		local v=$(orphan "$SIGREC" "$T/rec.$sig" TERM)
		wait_for_line "$T/rec.$sig" ready 5
		assertContains "registered with the channel" "$(register --channel $v)" "OK"
		kill -$sig $PH
		ph_wait 5
		assertEquals "SIG$sig: virtiofsd's status" 0 $PH_RC
		assertEquals "SIG$sig reached virtiofsd as SIGTERM" "ready 15" "$(tr '\n' ' ' <"$T/rec.$sig" | sed 's/ $//')"
		assertTrue "SIG$sig: exit logged" "grep -q 'virtiofsd (pid [0-9]*) exited with code 0' '$T/ph.err'"
		stop_container
	done
}

test_channel_grace_then_kill() {
	start_container --grace 0.5
	local v=$(orphan "$SIGREC" "$T/rec" USR1) ms
	wait_for_line "$T/rec" ready 5
	register --channel $v >/dev/null
	ms=$(ms_to_exit $PH TERM $PH 5)
	ph_wait 5
	assertEquals "KILLed through the channel after the grace" 137 $PH_RC
	assertEquals "TERM came first" "ready 15" "$(tr '\n' ' ' <"$T/rec" | sed 's/ $//')"
	assertTrue "took the grace, not much more (took ${ms:-over 5 s} ms)" "ph_within_grace 500 '$ms'"
}

test_a_channel_that_does_not_signal_virtiofsd_is_ignored() {
	start_container
	local v=$(orphan "$SIGREC" "$T/rec" TERM)
	wait_for_line "$T/rec" ready 5
	# The channel signals a bystander on the host instead.
	"$SIGREC" "$T/by" TERM &
	local by=$!
	wait_for_line "$T/by" ready 5
	assertContains "registered all the same" "$(register --owner $by $v)" "OK"
	assertTrue "warned" "grep -q 'stop channel for pid [0-9]* is ignored: its read end does not signal virtiofsd' '$T/ph.err'"
	kill -TERM $PH
	ph_wait 5
	assertEquals "without the channel: EPERM, exit at once" 143 $PH_RC
	assertEquals "and the dropped channel signalled nobody" ready "$(cat "$T/by")"
	kill -KILL $by
	wait $by 2>/dev/null
	return 0
}

# Not dumpable: a process of the container with the placeholder's uid
# cannot reach its fds (nor ptrace it); SO_PEERCRED and status still work.
test_not_dumpable() {
	start_container
	local v=$(orphan sleep 1000)
	register --channel $v >/dev/null
	assertFalse "uid 107 cannot list PID 1's fds" "as_uid 107 ls /proc/1/fd >/dev/null 2>&1"
	assertTrue "but reads its status" "as_uid 107 grep -q '^Uid:.107' /proc/1/status"
	assertEquals "/proc/1/fd is root's" "0" "$(stat -c %u /proc/$PH/fd)"
	assertContains "SO_PEERCRED still names it" "$("$ENTER" --target-socket "$SOCK" --dry-run -- /bin/true)" "target pid $PH"
}

. "$TETHER_ROOT/tests/lib/run.sh"
