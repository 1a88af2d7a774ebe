#!/bin/bash
# tether-enter against a hostile container (../shared/research/security-audit.md,
# F1, F2, F3, F5, F10): each test runs the attack and checks that nothing of
# the attacker's runs as host root, that no lock file (once in the
# container, then on the host, now none) can be shaped from the container,
# and that a failed launch leaves the container as it was.
. "$(dirname "$0")/../lib/common.sh"
. "$TETHER_ROOT/tests/virtiofs/lib.sh"

suite_setUp() {
	ATT=
	X=
	chmod 755 "$T"
	mkdir -m 777 "$T/ev"
}

# kill_tree PID: PID and everything below it (an unshare --fork leaves its
# child running when it is killed itself).
kill_tree() {
	local c
	for c in $(pgrep -P "$1"); do kill_tree "$c"; done
	kill -KILL "$1" 2>/dev/null
}

suite_tearDown() {
	local p
	for p in $ATT $X; do
		kill_tree "$p"
		wait "$p" 2>/dev/null
	done
	stop_container
}

# evil_bin DIR: DIR/virtiofsd records who ran it (and how) in $T/ev, and
# answers --version like the Rust virtiofsd.
evil_bin() {
	cat >"$1/virtiofsd" <<EOF_EVIL
#!/bin/sh
tag=launch; [ "\$1" = --version ] && tag=version
{ id; grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status
  echo "userns \$(readlink /proc/self/ns/user)"; } >"$T/ev/\$tag"
[ "\$1" = --version ] && echo "virtiofsd 1.13.2"
exit 0
EOF_EVIL
	chmod 755 "$1/virtiofsd"
}

# enter_vfs [OPTIONS...]: the preset aimed at $T/bin/virtiofsd, bounded.
enter_vfs() {
	timeout -s KILL 30 "$ENTER" --virtiofsd --virtiofsd-bin "$T/bin/virtiofsd" --shared-dir /tmp \
		--socket-path "$T/vfs.sock" --stdio null "$@"
}

# hijack UNSHARE-ARGS...: as uid 65534, in namespaces of its own (made by
# unshare with these arguments), the attacker mounts its own virtiofsd
# over $T/bin, replaces the placeholder's socket and listens on it.
hijack() {
	mkdir -m 755 "$T/bin" "$T/evil"
	evil_bin "$T/evil"
	cat >"$T/attacker.sh" <<EOF_ATT
#!/bin/sh
mount -t tmpfs tmpfs "$T/bin" && cp "$T/evil/virtiofsd" "$T/bin/" || exit 1
rm -f "$SOCK"
exec /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
open(sys.argv[2], "w").write("listening\\n")
while True:
    c, _ = s.accept()
    c.settimeout(3)
    try:
        c.recv(64) and c.send(b"OK 1\\n")
    except Exception:
        pass
    c.close()' "$SOCK" "$T/ev/listening"
EOF_ATT
	chmod 755 "$T/attacker.sh"
	setpriv --reuid 65534 --regid 65534 --clear-groups unshare "$@" "$T/attacker.sh" 2>"$T/att.err" &
	ATT=$!
	wait_for_line "$T/ev/listening" listening 10 || { cat "$T/att.err"; return 1; }
}

no_evidence() {
	assertEquals "$1: nothing of the attacker's ran" "" "$(ls "$T/ev" | grep -v listening)"
	local f
	for f in "$T/ev/version" "$T/ev/launch"; do
		if [ -e "$f" ]; then cat "$f"; fi
	done
	return 0
}

# hijack_refused REASON UNSHARE-ARGS...: the hijack of the placeholder's
# socket is refused (exit 10, REASON), with --dry-run and without, and
# nothing of the attacker's runs.
hijack_refused() {
	local why=$1 out rc dry
	shift
	start_container
	hijack "$@"
	for dry in --dry-run ""; do
		out=$(enter_vfs --target-socket "$SOCK" $dry 2>&1); rc=$?
		assertEquals "${dry:-launch}: refused" 10 $rc
		assertContains "${dry:-launch}" "$out" "$why"
		no_evidence "${dry:-launch}"
	done
}

test_hijacked_socket_from_a_user_namespace_runs_nothing() {
	# Audit script 01: the listener is in the host's PID namespace.
	hijack_refused "is in our PID namespace" -Urm
}

test_hijack_as_init_of_its_own_namespaces_runs_nothing() {
	# The same attacker as PID 1 of a PID namespace of its own: only its
	# user namespace tells it from a container.
	hijack_refused "is in another user namespace: refused" -Urmpf --mount-proc
}

test_socket_swapped_by_a_process_of_the_container_is_refused() {
	# Without a user namespace: uid 107 in the container binds its own
	# listener where the placeholder's socket was.
	start_container
	rm -f "$SOCK"
	X=$(rogue_listener "$SOCK")
	local out rc
	out=$(timeout -s KILL 30 "$ENTER" --target-socket "$SOCK" -e FAKE_RECORD="$T/rec" -- "$FAKE" 2>&1); rc=$?
	assertEquals "refused" 10 $rc
	assertContains "$out" "not its init (1): refused"
	assertFalse "nothing started" "[ -e '$T/rec' ]"
}

test_a_target_that_swaps_its_namespaces_after_the_check_gets_nothing() {
	# The container's init (uid 107) unshares a user and a mount namespace
	# between tether-enter's checks and its join, and mounts its own
	# virtiofsd; virtiofsd's --version (run in between) gives the signal.
	mkdir -m 755 "$T/bin" "$T/evil"
	evil_bin "$T/evil"
	mkfifo -m 666 "$T/go" "$T/done"
	cat >"$T/bin/virtiofsd" <<EOF_PROBE
#!/bin/sh
[ "\$1" = --version ] || exit 0
echo go >"$T/go"
read -r _ <"$T/done"
echo "virtiofsd 1.13.2"
EOF_PROBE
	chmod 755 "$T/bin/virtiofsd"
	unshare --pid --fork --mount --mount-proc setpriv --reuid 107 --regid 107 --clear-groups \
		--inh-caps=-all --bounding-set=-all -- sh -c '
read -r _ <"$1/go"
exec unshare -Urm sh -c "mount -t tmpfs tmpfs $1/bin && cp $1/evil/virtiofsd $1/bin/ &&
	echo swapped >$1/done && exec sleep 1000"' sh "$T" 2>"$T/ph.err" &
	U=$!
	until_true 5 pgrep -P $U >/dev/null
	PH=$(pgrep -P $U)
	local out rc
	out=$(enter_vfs --pid "$PH" 2>&1); rc=$?
	assertTrue "the swap happened" "[ '$(readlink /proc/$PH/ns/user)' != '$(readlink /proc/self/ns/user)' ]"
	assertEquals "refused" 10 $rc
	assertContains "$out" "namespace changed after it was checked: refused"
	no_evidence "launch"
}

test_refused_targets() {
	local out rc
	start_container
	out=$("$ENTER" --pid $$ -- /bin/true 2>&1); rc=$?
	assertEquals "in our PID namespace" 10 $rc
	assertContains "$out" "is in our PID namespace: refusing to launch on the host"
	# (as uid 107: the placeholder takes a root child's exit for virtiofsd's)
	X=$(orphan setpriv --reuid 107 --regid 107 --clear-groups -- sleep 1000)
	out=$("$ENTER" --pid $X -e FAKE_RECORD="$T/rec" -- "$FAKE" 2>&1); rc=$?
	assertEquals "not the container's init" 10 $rc
	assertContains "$out" "is pid $(ns_pid $X) in its PID namespace, not its init (1): refused"
	kill -KILL $X; X=
	ln -s "$SOCK" "$T/link.sock"
	out=$("$ENTER" --target-socket "$T/link.sock" -e FAKE_RECORD="$T/rec" -- "$FAKE" 2>&1); rc=$?
	assertEquals "a symlinked socket" 10 $rc
	assertContains "$out" "target socket $T/link.sock is a symlink: refused"
	chown 65534 "$SOCK"
	out=$("$ENTER" --target-socket "$SOCK" -e FAKE_RECORD="$T/rec" -- "$FAKE" 2>&1); rc=$?
	assertEquals "its listener is not the file's owner" 10 $rc
	assertContains "$out" "runs as uid 107, the socket file is uid 65534's: refused"
	chown 107 "$SOCK"
	out=$("$ENTER" --pid $$ --target-socket "$SOCK" -e FAKE_RECORD="$T/rec" -- "$FAKE" 2>&1); rc=$?
	assertEquals "its listener is not --pid" 10 $rc
	assertContains "$out" "its listener is pid $PH, not --pid $$: refused"
	assertFalse "nothing started" "[ -e '$T/rec' ]"
	"$ENTER" --pid $PH --target-socket "$SOCK" -e FAKE_RECORD="$T/rec" -- "$FAKE" 2>/dev/null
	assertEquals "both, agreeing" 0 $?
	assertTrue "started" "wait_for_line '$T/rec' '^done' 5"
}

test_targets_of_other_user_namespaces_are_refused() {
	local out rc h
	# Its own user namespace (an unprivileged user's container).
	setpriv --reuid 65534 --regid 65534 --clear-groups unshare -Urpf --mount-proc sleep 1000 &
	ATT=$!
	until_true 5 pgrep -P $ATT >/dev/null
	out=$("$ENTER" --pid "$(pgrep -P $ATT)" -e FAKE_RECORD="$T/rec" -- "$FAKE" 2>&1); rc=$?
	assertEquals "another user namespace" 10 $rc
	assertContains "$out" "is in another user namespace: refused"
	# Our user namespace, but a network namespace that another one owns.
	unshare -Urn sleep 1000 2>"$T/holder.err" &
	X=$!
	until_true 5 sh -c "[ '$(readlink /proc/self/ns/user)' != \"\$(readlink /proc/$X/ns/user)\" ]"
	nsenter --net=/proc/$X/ns/net unshare --pid --fork --mount --mount-proc sleep 1000 &
	U=$!
	until_true 5 sh -c "pgrep -P $U >/dev/null && [ \"\$(readlink /proc/\$(pgrep -P $U)/ns/net)\" = '$(readlink /proc/$X/ns/net)' ]"
	PH=$(pgrep -P $U)
	out=$("$ENTER" --pid "$PH" -e FAKE_RECORD="$T/rec" -- "$FAKE" 2>&1); rc=$?
	[ $rc = 10 ] || cat "$T/holder.err"
	assertEquals "a namespace owned by another user namespace" 10 $rc
	assertContains "$out" "its net namespace is owned by another user namespace: refused"
	assertFalse "nothing started" "[ -e '$T/rec' ]"
}

test_a_fifo_at_the_containers_lock_path_changes_nothing() {
	# Audit script 02: the lock was in the container, where a FIFO hung
	# tether-enter for ever.  It is on the host now.
	CONTAINER_SETUP='mount -t tmpfs -o mode=755,uid=107,gid=107 tmpfs /run' start_container
	nsenter -t $PH -m setpriv --reuid 107 --regid 107 --clear-groups mkfifo /run/virtiofsd.lock
	local t0=$SECONDS rc
	timeout -s KILL 10 "$ENTER" --pid $PH -e FAKE_RECORD="$T/rec" -- "$FAKE" 2>"$T/err"; rc=$?
	assertEquals "started" 0 $rc
	assertTrue "at once (took $((SECONDS - t0)) s)" "[ $((SECONDS - t0)) -le $(slow 3) ]"
	assertTrue "the program runs" "wait_for_line '$T/rec' '^done' 5"
}

test_a_lock_held_by_the_container_changes_nothing() {
	# Audit script 02: a lock taken by the container side made
	# tether-enter say "already running" having started nothing.
	CONTAINER_SETUP='mount -t tmpfs -o mode=755,uid=107,gid=107 tmpfs /run' start_container
	X=$(orphan setpriv --reuid 107 --regid 107 --clear-groups -- /usr/bin/python3 -c '
import fcntl, time
f = open("/run/virtiofsd.lock", "w"); fcntl.flock(f, fcntl.LOCK_EX); time.sleep(1000)')
	until_true 5 grep -qw "$X" /proc/locks
	timeout -s KILL 10 "$ENTER" --pid $PH -e FAKE_RECORD="$T/rec" -- "$FAKE" 2>"$T/err"
	assertEquals "started" 0 $?
	assertNotContains "$(cat "$T/err")" "already running"
	assertTrue "the program runs" "wait_for_line '$T/rec' '^done' 5"
}

test_a_failed_exec_without_setuid_leaves_the_container() {
	# Audit script 04: --caps none, then a failed exec: the failed launcher
	# was a root child of the placeholder, which took it for virtiofsd.
	start_container
	local out rc
	out=$(timeout -s KILL 30 "$ENTER" --target-socket "$SOCK" --stdio null --caps none -- /nonexistent 2>&1); rc=$?
	assertEquals "exec failed" 8 $rc
	assertContains "$out" "exec /nonexistent in the container"
	assertTrue "the placeholder lives on" "kill -0 $PH"
	assertEquals "it saw no child exit" 0 "$(grep -c 'exited with code\|reaped pid' "$T/ph.err")"
	timeout -s KILL 30 "$ENTER" --target-socket "$SOCK" -e FAKE_RECORD="$T/rec" -- "$FAKE" 2>/dev/null
	assertEquals "a later launch works" 0 $?
}

# The recycled-pid attack of audit F10, inside a PID namespace of the
# test's own (where pids can be chosen through ns_last_pid): tether-enter
# is held (strace: a delay after the liveness check, pidfd_send_signal)
# just after its checks, the target dies, and a
# new container gets its pid.  Prints "pid OLD NEW", "rc N", "lock yes|no"
# and "started yes|no" (anything in the new container).
recycle_script() {
	cat <<'EOF_RECYCLE'
set -u
# The target's pid is chosen well above those of everything else here,
# so that the new container can be given it again.
echo 1000 >/proc/sys/kernel/ns_last_pid
unshare --pid --fork --mount --mount-proc sleep 1000 &
u1=$!
until p1=$(pgrep -P $u1); do :; done
# (LeakSanitizer cannot work under ptrace: a sanitized build would exit 1.)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
strace -f -o "$T/strace.out" -e trace=pidfd_send_signal \
	-e inject=pidfd_send_signal:delay_exit=3000000:when=1 \
	"$ENTER" --pid $p1 --stdio null -- /bin/sleep 1000 2>"$T/enter.err" &
s=$!
held() {
	local p
	for p in $(pgrep -f "$ENTER"); do
		[ "$(cut -d' ' -f1 /proc/$p/syscall 2>/dev/null)" = 424 ] && return 0
	done
	return 1
}
until held; do
	kill -0 $s 2>/dev/null || { echo "tether-enter ended without pidfd_send_signal"; exit 1; }
done
kill -KILL $p1; wait $u1
# From here until the new container's init exists, nothing here forks
# (builtins only) but the one unshare, so that its child gets p1.
mkfifo "$T/up"
echo $((p1 - 2)) >/proc/sys/kernel/ns_last_pid
unshare --pid --fork --mount --mount-proc sh -c "echo up >$T/up; mount -t tmpfs tmpfs /run && exec sleep 1000" &
u2=$!
read -r _ <"$T/up"
p2=$(pgrep -P $u2)
echo "pid $p1 $p2"
wait $s
echo "rc $?"
[ -e /proc/$p2/root/run/virtiofsd.lock ] && echo "lock yes" || echo "lock no"
[ -n "$(pgrep -P $p2)" ] && echo "started yes" || echo "started no"
kill -KILL $p2; wait $u2
EOF_RECYCLE
}

test_a_recycled_pid_puts_nothing_in_another_container() {
	command -v strace >/dev/null || { skip_test "no strace to hold tether-enter after its checks"; return; }
	[ -w /proc/sys/kernel/ns_last_pid ] || { skip_test "no writable /proc/sys/kernel/ns_last_pid to recycle a pid"; return; }
	local out
	recycle_script >"$T/recycle.sh"
	out=$(T=$T ENTER=$ENTER timeout -s KILL 60 unshare --pid --fork --mount-proc bash "$T/recycle.sh" 2>"$T/recycle.err")
	local pids=$(echo "$out" | sed -n 's/^pid //p')
	# In its own PID namespace, with ns_last_pid set, the set-up cannot miss: if it does, fail.
	[ -n "$pids" ] && [ "${pids% *}" = "${pids#* }" ] ||
		{ fail "the new container did not get the old pid ($pids): $out $(cat "$T/recycle.err")"; return; }
	assertContains "$out" "lock no"
	assertContains "$out" "started no"
	assertContains "the target is gone" "$out" "rc 3"
	assertContains "$(cat "$T/enter.err")" "exited before its namespaces were joined"
}

. "$TETHER_ROOT/tests/lib/run.sh"
