#!/bin/bash
# tether-enter: what the program gets, and every way it can fail.
. "$(dirname "$0")/../lib/common.sh"
. "$TETHER_ROOT/tests/virtiofs/lib.sh"

suite_tearDown() {
	stop_container
}

# rec KEY: the lines of the fake's record that start with KEY.
rec() {
	sed -n "s|^$1 ||p" "$T/rec"
}

# --version runs in the container's mount namespace but our PID namespace,
# where /proc/self does not resolve: a sanitized fake dies there at start
# (ASan reads /proc/self/maps), so the preset tests use the plain one.
PFAKE=$FAKE
if [ -n "${TETHER_SANITIZED:-}" ]; then
	PFAKE=$TETHER_ROOT/build/helpers/fake_virtiofsd
fi

need_pfake() {
	[ -x "$PFAKE" ] || { skip_test "no unsanitized fake at $PFAKE (run make first)"; return 1; }
}

fake_pid() {
	pgrep -P "$PH" -f fake_virtiofsd
}

test_the_program_gets_exactly_the_targets_context() {
	start_container
	# Our own oddities must not leak: blocked and ignored signals, an extra fd.
	( exec 7>"$T/extra"; "$TETHER_BUILD/helpers/sigstate" USR1,HUP PIPE,INT \
		"$ENTER" --pid "$PH" --lock-file "$T/run/virtiofsd.lock" -e LANG=C.UTF-8 \
		--caps chown,setuid,setpcap -e FAKE_RECORD="$T/rec" -- "$FAKE" )
	assertEquals "exit code" 0 $?
	assertTrue "record written" "wait_for_line '$T/rec' '^done' 5"
	local f=$(fake_pid)
	assertEquals "argv" "$FAKE" "$(rec argv)"
	assertEquals "env" "$(printf 'FAKE_RECORD=%s\nLANG=C.UTF-8' "$T/rec")" "$(rec env | sort)"
	assertEquals "cgroups, host view" "$(cat /proc/$PH/cgroup)" "$(cat /proc/$f/cgroup)"
	assertEquals "cgroups, container view" \
		"$(nsenter -t $PH -m -p -C cat /proc/1/cgroup)" "$(rec cgroup)"
	local ns
	for ns in cgroup ipc mnt net pid uts; do
		assertEquals "ns $ns" "$(readlink /proc/$PH/ns/$ns)" "$(rec "ns $ns")"
	done
	assertEquals "user ns is ours" "$(readlink /proc/self/ns/user)" "$(rec "ns user")"
	assertEquals "parent: the container's init" "PPid:	1" "$(rec status | grep PPid)"
	assertEquals "host parent" "$PH" "$(awk '/^PPid:/ {print $2}' /proc/$f/status)"
	local s sigs="SigBlk SigIgn SigCgt SigPnd"
	# A sanitized fake installs its own SEGV/BUS/FPE handlers.
	[ -n "${TETHER_SANITIZED:-}" ] && sigs="SigBlk SigIgn SigPnd"
	for s in $sigs; do
		assertEquals "$s" "$s:	0000000000000000" "$(rec status | grep "^$s")"
	done
	assertEquals "CapEff" "CapEff:	0000000000000181" "$(rec status | grep CapEff)"
	assertEquals "CapBnd" "CapBnd:	0000000000000181" "$(rec status | grep CapBnd)"
	assertEquals "oom_score_adj" "$(cat /proc/$PH/oom_score_adj)" "$(rec oom)"
	assertEquals "oom_score_adj is the target's" 500 "$(rec oom)"
	assertEquals "nofile" "4096 4096" "$(rec "rlimit 7")"
	assertEquals "rlimits all like the target's" \
		"$(sed 1d /proc/$PH/limits | cut -c27-67 | tr -s ' ' | sed 's/ $//; s/unlimited/18446744073709551615/g')" \
		"$(rec rlimit | cut -d' ' -f2-)"
	assertEquals "fds" "$(printf '0 /dev/null\n1 %s\n2 %s\n3 %s' "$(readlink /proc/$PH/fd/1)" \
		"$(readlink /proc/$PH/fd/2)" "$T/run/virtiofsd.lock")" "$(rec fd)"
	assertTrue "its stdout is the container's" "wait_for_line '$T/ph.out' 'fake virtiofsd started' 5"
	assertNotEquals "own session" "$(ps -o sid= $$)" "$(ps -o sid= $f)"
}

test_the_program_is_virtiofsd_for_the_placeholder() {
	start_container
	enter_fake
	wait_for_line "$T/rec" '^done' 5
	kill -KILL "$(fake_pid)"
	ph_wait 5
	assertEquals "placeholder exit" 137 $PH_RC
	assertTrue "within 1 s (took $PH_MS ms)" "[ $PH_MS -lt 1000 ]"
}

test_target_socket_registers_the_program() {
	# A socket path longer than sun_path (108 bytes).
	local deep=$T/$(printf 'd%.0s' $(seq 60))/$(printf 'e%.0s' $(seq 60))
	start_container
	mkdir -p "$deep" && chmod -R 755 "$T"
	stop_container
	SOCK_DIR=$deep
	rm -rf "$T/run"; mkdir -m 777 "$T/run"
	local sock=$deep/ph.sock
	chmod 777 "$deep"
	unshare --pid --fork --mount --mount-proc setpriv --reuid 107 --regid 107 --clear-groups \
		--inh-caps=-all --bounding-set=-all -- "$TETHER" --placeholder --socket "$sock" -vv \
		--log-format text >"$T/ph.out" 2>"$T/ph.err" &
	U=$!
	ph_listening 5
	assertTrue "path is long" "[ ${#sock} -gt 108 ]"
	"$ENTER" --target-socket "$sock" --lock-file "$T/run/l" -e FAKE_RECORD="$T/rec" -e FAKE_EXIT=5 -- "$FAKE" 2>"$T/enter.err"
	assertEquals "exit code" 0 $?
	ph_wait 5
	assertEquals "virtiofsd's status" 5 $PH_RC
	assertTrue "registered (or adopted first)" \
		"grep -Eq 'registered|virtiofsd \(pid [0-9]+\) exited with code 5' '$T/ph.err'"
}

test_dry_run_changes_nothing() {
	start_container
	local out
	out=$(enter_fake --dry-run)
	assertEquals "exit code" 0 $?
	assertContains "$out" "target pid $PH"
	assertContains "$out" "cgroup /sys/fs/cgroup/pids/$CG"
	assertContains "$out" "cgroup /sys/fs/cgroup/unified/$CG (v2: CLONE_INTO_CGROUP)"
	assertContains "$out" "namespace mnt"
	assertContains "$out" "argv $FAKE"
	assertFalse "no lock file" "[ -e '$T/run/virtiofsd.lock' ]"
	assertEquals "nothing spawned" "" "$(pgrep -P $PH)"
}

test_virtiofsd_preset_rust() {
	need_pfake || return
	start_container
	local out
	out=$("$ENTER" --pid $PH --virtiofsd --virtiofsd-bin "$PFAKE" -e FAKE_VERSION="virtiofsd 1.13.2" \
		--shared-dir /vol --socket-path /var/run/kubevirt/virtiofs-containers/vol.sock --dry-run 2>"$T/err")
	assertEquals "exit code" 0 $?
	assertEquals "KubeVirt's argv" "$(printf 'argv %s\n' "$PFAKE" --socket-path \
		/var/run/kubevirt/virtiofs-containers/vol.sock --shared-dir /vol --cache auto --sandbox chroot \
		--modcaps=+dac_read_search:-mknod --inode-file-handles=prefer --migration-mode=file-handles \
		--migration-on-error=guest-error --translate-uid=squash-guest:0:107:4294967295 \
		--translate-gid=squash-guest:0:107:4294967295 --xattr)" "$(echo "$out" | grep ^argv)"
	assertContains "detected" "$(cat "$T/err")" "is the Rust virtiofsd"
}

test_virtiofsd_preset_c_and_old_rust() {
	need_pfake || return
	start_container
	local out rc
	out=$("$ENTER" --pid $PH --virtiofsd --virtiofsd-bin "$PFAKE" \
		-e FAKE_VERSION="virtiofsd version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)" \
		--shared-dir /vol --socket-path /run/v.sock --dry-run 2>"$T/err")
	assertEquals "C: exit code" 0 $?
	assertEquals "C argv" "$(printf 'argv %s\n' "$PFAKE" --socket-path=/run/v.sock -o source=/vol \
		-o sandbox=chroot -o cache=auto -o xattr -o modcaps=+dac_read_search:-mknod)" \
		"$(echo "$out" | grep ^argv)"
	assertContains "unsupported parts reported" "$(cat "$T/err")" "cannot honour --inode-file-handles=prefer"
	"$ENTER" --pid $PH --virtiofsd --virtiofsd-bin "$PFAKE" --strict \
		-e FAKE_VERSION="virtiofsd version 7.2.22" --shared-dir /vol --socket-path /run/v.sock \
		--dry-run >/dev/null 2>"$T/err"
	assertEquals "C --strict: exit code" 8 $?
	assertContains "$(cat "$T/err")" "refusing (--strict)"
	"$ENTER" --pid $PH --virtiofsd --virtiofsd-bin "$PFAKE" -e FAKE_VERSION="virtiofsd 1.10.1" \
		--shared-dir /vol --socket-path /run/v.sock --dry-run >/dev/null 2>"$T/err"
	assertEquals "old Rust: exit code" 8 $?
	assertContains "$(cat "$T/err")" "virtiofsd 1.10 is older than 1.13"
	"$ENTER" --pid $PH --virtiofsd --virtiofsd-bin /bin/true --shared-dir /vol --socket-path /run/v.sock \
		--dry-run >/dev/null 2>"$T/err"
	assertEquals "not virtiofsd: exit code" 8 $?
	assertContains "$(cat "$T/err")" "not a virtiofsd I know"
}

test_already_running_and_50_requeues_spawn_nothing() {
	start_container
	enter_fake
	wait_for_line "$T/rec" '^done' 5
	local before=$(cat /sys/fs/cgroup/pids/$CG/cgroup.procs | sort) i fails=0 out
	for i in $(seq 50); do
		out=$(enter_fake 2>&1) || fails=$((fails + 1))
	done
	assertEquals "all 50 exit 0" 0 $fails
	assertContains "$out" "already running"
	assertEquals "nothing new in the container" "$before" "$(cat /sys/fs/cgroup/pids/$CG/cgroup.procs | sort)"
	assertEquals "one fake" 1 "$(pgrep -c -f "$FAKE")"
}

test_racing_starts_give_one_program() {
	start_container
	local i pids=() fails=0
	for i in 1 2 3 4; do
		enter_fake 2>/dev/null &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait $i || fails=$((fails + 1)); done
	assertEquals "all exit 0" 0 $fails
	wait_for_line "$T/rec" '^done' 5
	assertEquals "exactly one fake" 1 "$(pgrep -c -f "$FAKE")"
}

test_racing_the_placeholder_start() {
	# tether-enter right behind the container: started, or a clean
	# "not ready" (3); never a program outside the container.
	chmod 755 "$T"; mkdir -m 777 "$T/run"
	local sock=$T/run/ph.sock rc
	unshare --pid --fork --mount --mount-proc "$TETHER" --placeholder --socket "$sock" -vv \
		--log-format text 2>"$T/ph.err" &
	U=$!
	timeout -s KILL 30 "$ENTER" --target-socket "$sock" --lock-file "$T/run/l" -e FAKE_RECORD="$T/rec" -- "$FAKE" 2>"$T/err"
	rc=$?
	# A "not ready" can come before unshare has even forked the
	# placeholder: its pid is known only once it listens.
	ph_listening 10
	assertTrue "the placeholder comes up" $?
	assertTrue "started or not ready (rc $rc)" "[ $rc = 0 -o $rc = 3 ]"
	[ $rc = 3 ] && assertContains "$(cat "$T/err")" "is the placeholder ready"
	local f
	for f in $(pgrep -f "$FAKE"); do
		assertEquals "fake is the container's" "$PH" "$(awk '/^PPid:/ {print $2}' /proc/$f/status)"
	done
}

test_enter_before_the_placeholder_exists() {
	# The losing side of the race above, made certain: unshare is held
	# back until tether-enter has given up.
	chmod 755 "$T"; mkdir -m 777 "$T/run"; mkfifo "$T/go"
	local sock=$T/run/ph.sock out rc
	{ read -r _ <"$T/go"; exec unshare --pid --fork --mount --mount-proc "$TETHER" --placeholder \
		--socket "$sock" -vv --log-format text 2>"$T/ph.err"; } &
	U=$!
	out=$(timeout -s KILL 30 "$ENTER" --target-socket "$sock" --lock-file "$T/run/l" -- "$FAKE" 2>&1); rc=$?
	assertEquals "not ready" 3 $rc
	assertContains "$out" "is the placeholder ready"
	echo go >"$T/go"
	ph_listening 10
	assertTrue "the placeholder comes up" $?
	assertEquals "nothing was started" "" "$(pgrep -P "$PH")"
	timeout -s KILL 30 "$ENTER" --target-socket "$sock" --lock-file "$T/run/l" -v -e FAKE_RECORD="$T/rec" \
		-- "$FAKE" 2>"$T/err"
	assertEquals "a requeued call starts it" 0 $?
	assertContains "registered" "$(cat "$T/err")" "registered with the placeholder: OK"
}

test_a_placeholder_that_never_accepts() {
	# Stopped (or frozen) after it listened: the kernel still queues our
	# connection, so the launch goes on and only the registration waits,
	# bounded; with its queue full, even connecting would wait for ever.
	start_container
	kill -STOP "$PH"
	local t0=$SECONDS out rc
	timeout -s KILL 30 "$ENTER" --target-socket "$SOCK" --lock-file "$T/run/l" -e FAKE_RECORD="$T/rec" \
		-- "$FAKE" 2>"$T/err"
	assertEquals "started all the same" 0 $?
	assertContains "registration given up" "$(cat "$T/err")" "registering pid"
	assertTrue "the program runs" "wait_for_line '$T/rec' '^done' 5"
	"$TETHER_BUILD/helpers/backlog_fill" "$SOCK" >"$T/fill" &
	local fill=$!
	wait_for_line "$T/fill" "^full" 5
	out=$(timeout -s KILL 30 "$ENTER" --target-socket "$SOCK" --lock-file "$T/run/l2" -- "$FAKE" 2>&1); rc=$?
	kill $fill; wait $fill 2>/dev/null
	kill -CONT "$PH"
	assertEquals "full queue: not ready" 3 $rc
	assertContains "$out" "accepts no connection"
	assertTrue "both bounded (took $((SECONDS - t0)) s)" "[ $((SECONDS - t0)) -le 8 ]"
}

test_lock_is_released_with_the_program() {
	# A pause container (tether --pause reaps, and survives its children).
	chmod 755 "$T"; mkdir -m 777 "$T/run"
	unshare --pid --fork --mount --mount-proc "$TETHER" --pause -vv --log-format text 2>"$T/ph.err" &
	U=$!
	wait_for_line "$T/ph.err" "pausing" 5
	PH=$(pgrep -P $U)
	enter_fake 2>/dev/null
	wait_for_line "$T/rec" '^done' 5
	local first=$(fake_pid)
	assertContains "virtiofsd holds the lock" "$(ls -l /proc/$first/fd/3)" "virtiofsd.lock"
	assertContains "a second one is refused" "$(enter_fake 2>&1)" "already running"
	kill -KILL $first
	until_true 5 sh -c "! kill -0 $first 2>/dev/null"
	rm -f "$T/rec"
	enter_fake 2>/dev/null
	assertEquals "a new launch works once it is gone" 0 $?
	assertTrue "new record" "wait_for_line '$T/rec' '^done' 5"
	assertNotEquals "a new process" "$first" "$(fake_pid)"
}

test_target_dying_meanwhile_spawns_nothing_outside() {
	local i rc bad=0
	for i in 1 2 3 4 5 6; do
		start_container
		( kill -KILL $PH ) &
		enter_fake 2>/dev/null
		rc=$?
		case $rc in 0|3|4|5|6|7|8) ;; *) bad=$((bad + 1)) ;; esac
		wait
		U=
		stop_container
	done
	assertEquals "only documented codes" 0 $bad
	assertEquals "no program left anywhere" "" "$(pgrep -f "$FAKE")"
}

test_bad_arguments() {
	local args msg code out rc
	while IFS='|' read -r code msg args; do
		out=$(eval "\"\$ENTER\" $args" 2>&1); rc=$?
		assertEquals "code for: $args" "$code" $rc
		assertContains "message for: $args" "$out" "$msg"
	done <<'EOF_CASES'
2|give exactly one of --pid PID and --target-socket PATH|-- /bin/true
2|give exactly one of --pid PID and --target-socket PATH|--pid 1 --target-socket /x -- /bin/true
2|--pid takes a process id|--pid abc -- /bin/true
2|--pid takes a process id|--pid 12abc -- /bin/true
2|--pid takes a process id|--pid 0 -- /bin/true
2|--pid takes a process id|--pid -1 -- /bin/true
2|--pid takes a process id|--pid 99999999999 -- /bin/true
2|--target-socket takes an absolute path|--target-socket rel/s -- /bin/true
2|--target-socket takes an absolute path|--target-socket '' -- /bin/true
2|--lock-file takes an absolute path|--pid 1 --lock-file x -- /bin/true
2|--lock-file takes an absolute path|--pid 1 --lock-file /$(printf 'x%.0s' $(seq 5000)) -- /bin/true
2|no program to run|--pid 1
2|must be absolute|--pid 1 -- true
2|--virtiofsd needs --shared-dir and --socket-path|--pid 1 --virtiofsd --shared-dir /v
2|belong to|--pid 1 --shared-dir /v -- /bin/true
2|--env takes KEY=VALUE|--pid 1 -e NOVALUE -- /bin/true
2|--caps: unknown capability|--pid 1 --caps chown,bogus -- /bin/true
2|--stdio takes container, inherit or null|--pid 1 --stdio file -- /bin/true
2|--flavor takes auto, rust or c|--pid 1 --flavor go -- /bin/true
2|unknown option|--pid 1 --frobnicate -- /bin/true
EOF_CASES
}

test_target_failures() {
	local out rc
	out=$("$ENTER" --pid 4194000 -- /bin/true 2>&1); rc=$?
	assertEquals "no such pid" 3 $rc
	assertContains "$out" "target pid 4194000"
	out=$("$ENTER" --pid $$ -- /bin/true 2>&1); rc=$?
	assertEquals "a host process" 3 $rc
	assertContains "$out" "shares our mount and PID namespaces"
	out=$("$ENTER" --target-socket "$T/none.sock" -- /bin/true 2>&1); rc=$?
	assertEquals "no socket" 3 $rc
	assertContains "$out" "is the placeholder ready"
}

test_exec_failure_is_reported_and_nothing_stays() {
	start_container
	local out rc
	out=$("$ENTER" --pid $PH --lock-file "$T/run/l" -- /nonexistent 2>&1); rc=$?
	assertEquals "code" 8 $rc
	assertContains "$out" "exec /nonexistent in the container: No such file or directory"
	assertTrue "the placeholder lives on" "kill -0 $PH"
	assertEquals "no zombie left" 0 "$(zombies_of $PH)"
}

test_lock_stdio_namespace_cgroup_failures() {
	start_container
	local out rc
	mkdir "$T/run/lockdir"
	out=$("$ENTER" --pid $PH --lock-file "$T/run/lockdir" -- /bin/true 2>&1); rc=$?
	assertEquals "lock is a directory" 6 $rc
	assertContains "$out" "lock file $T/run/lockdir in the container"
	out=$(setpriv --bounding-set=-sys_admin --inh-caps=-sys_admin -- \
		"$ENTER" --pid $PH --lock-file "$T/run/l1" -- /bin/true 2>&1); rc=$?
	assertEquals "no CAP_SYS_ADMIN: namespace" 5 $rc
	assertContains "$out" "setns"
	out=$(unshare -m sh -c 'umount -l /sys/fs/cgroup/pids && exec "$@"' sh \
		"$ENTER" --pid $PH --lock-file "$T/run/l2" -- /bin/true 2>&1); rc=$?
	assertEquals "hierarchy not mounted: cgroup" 4 $rc
	assertContains "$out" "is not mounted here"
	assertEquals "nothing spawned" "" "$(pgrep -P $PH)"
	stop_container
	# A container whose init has no stdout.
	unshare --pid --fork --mount --mount-proc sh -c 'exec sleep 1000 >&-' &
	U=$!
	until_true 5 pgrep -P $U sleep >/dev/null
	PH=$(pgrep -P $U)
	out=$("$ENTER" --pid $PH --lock-file "$T/run/l3" -- /bin/true 2>&1); rc=$?
	assertEquals "no stdout: stdio" 7 $rc
	assertContains "$out" "its stdout"
}


. "$TETHER_ROOT/tests/lib/run.sh"
