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
		"$ENTER" --pid "$PH" -e LANG=C.UTF-8 \
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
	assertEquals "host parent" "$PH" "$(awk '/^PPid:/ {print $2}' /proc/$f/status)"
	assertEquals "parent: the container's init" "1" \
		"$(nsenter -t $PH -p -m awk '/^PPid:/ {print $2}' /proc/$(ns_pid $f)/status)"
	local s sigs="SigBlk SigIgn SigCgt SigPnd"
	# A sanitized fake installs its own SEGV/BUS/FPE handlers.
	[ -n "${TETHER_SANITIZED:-}" ] && sigs="SigBlk SigIgn SigPnd"
	for s in $sigs; do
		assertEquals "$s" "$s:	0000000000000000" "$(rec status | grep "^$s")"
	done
	assertEquals "CapEff" "CapEff:	0000000000000181" "$(rec status | grep CapEff)"
	assertEquals "CapBnd" "CapBnd:	0000000000000181" "$(rec status | grep CapBnd)"
	assertEquals "no_new_privs" "NoNewPrivs:	1" "$(rec status | grep NoNewPrivs)"
	assertEquals "oom_score_adj" "$(cat /proc/$PH/oom_score_adj)" "$(rec oom)"
	assertEquals "oom_score_adj is the target's" 500 "$(rec oom)"
	# Not the target's (its users may set them: prlimit): tether-enter's
	# own, which are ours here, and no core dump.
	assertEquals "nofile: ours, not the container's 4096" "$(ulimit -Sn) $(ulimit -Hn)" "$(rec "rlimit 7" | sed 's/18446744073709551615/unlimited/g')"
	assertEquals "core: 0 0" "0 0" "$(rec "rlimit 4")"
	assertEquals "rlimits but core like ours" \
		"$(sed '1d; 6d' /proc/self/limits | cut -c27-67 | tr -s ' ' | sed 's/ $//; s/unlimited/18446744073709551615/g')" \
		"$(rec rlimit | sed 5d | cut -d' ' -f2-)"
	assertEquals "fds: 0-2 only" "$(printf '0 /dev/null\n1 %s\n2 %s' "$(readlink /proc/$PH/fd/1)" \
		"$(readlink /proc/$PH/fd/2)")" "$(rec fd)"
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
	assertTrue "within $(slow 1) s (took $PH_MS ms)" "[ $PH_MS -lt $(slow 1000) ]"
}

test_target_socket_registers_the_program() {
	# A socket path longer than sun_path (108 bytes).
	local deep=$T/$(printf 'd%.0s' $(seq 60))/$(printf 'e%.0s' $(seq 60))
	chmod 755 "$T"
	mkdir -p "$deep" && chmod -R 755 "$T" && chmod 777 "$deep"
	local sock=$deep/ph.sock
	unshare --pid --fork --mount --mount-proc setpriv --reuid 107 --regid 107 --clear-groups \
		--inh-caps=-all --bounding-set=-all -- "$TETHER" --placeholder --socket "$sock" -vv \
		--log-format text >"$T/ph.out" 2>"$T/ph.err" &
	U=$!
	ph_listening 5
	assertTrue "path is long" "[ ${#sock} -gt 108 ]"
	"$ENTER" --target-socket "$sock" -e FAKE_RECORD="$T/rec" -- "$FAKE" 2>"$T/enter.err"
	assertEquals "exit code" 0 $?
	assertContains "registered" "$(cat "$T/enter.err")" "registered with the placeholder: OK"
	assertTrue "the placeholder has it" "grep -q 'virtiofsd registered' '$T/ph.err'"
	wait_for_line "$T/rec" '^done' 5
	kill -KILL "$(fake_pid)"
	ph_wait 5
	assertEquals "virtiofsd's status" 137 $PH_RC
}

test_dry_run_changes_nothing() {
	start_container
	local out want
	out=$(enter_fake --dry-run)
	assertEquals "exit code" 0 $?
	assertContains "$out" "target pid $PH"
	# One line per hierarchy the placeholder is in, whatever the host's
	# shape, the container's own cgroup where it has one.
	want=$(cg_dirs $PH | sed 's/^/cgroup /; s/ v2$/ (v2: CLONE_INTO_CGROUP)/')
	assertEquals "the cgroups" "$want" "$(echo "$out" | grep '^cgroup ')"
	assertEquals "one per line of /proc/<pid>/cgroup" "$(wc -l </proc/$PH/cgroup)" \
		"$(echo "$out" | grep -c '^cgroup ')"
	local d
	for d in $CG_DIRS; do
		assertContains "the container's cgroup $d" "$out" "cgroup $d"
	done
	assertContains "$out" "namespace mnt"
	assertContains "$out" "register yes"
	assertContains "$out" "argv $FAKE"
	assertFalse "nothing reserved" "grep -q 'reserved for a launch' '$T/ph.err'"
	assertEquals "nothing spawned" "" "$(pgrep -P $PH)"
}

# probe_script ANSWER [CODE]: $T/bin/virtiofsd, a script that records how
# it ran (uid, capabilities, no_new_privs, namespaces, cgroups) in
# $T/probe.rec, answers --version with ANSWER and exits CODE (0).
probe_script() {
	mkdir -p "$T/bin"
	cat >"$T/bin/virtiofsd" <<EOF_PROBE
#!/bin/sh
{ echo "argv \$*"; echo "self \$\$"; grep -E '^(Uid|CapEff|CapBnd|NoNewPrivs)' /proc/self/status
  echo "pidns \$(readlink /proc/self/ns/pid)"; cat /proc/self/cgroup; } >>"$T/probe.rec"
[ "\$1" = --version ] && echo "$1"
exit ${2:-0}
EOF_PROBE
	chmod 755 "$T/bin/virtiofsd"
}

test_dry_run_runs_nothing_in_the_container() {
	start_container
	probe_script "virtiofsd 1.13.2"
	local out
	out=$("$ENTER" --pid $PH --virtiofsd --virtiofsd-bin "$T/bin/virtiofsd" \
		--shared-dir /vol --socket-path /run/v.sock --dry-run 2>"$T/err")
	assertEquals "exit code" 0 $?
	assertFalse "--version was not run" "[ -e '$T/probe.rec' ]"
	assertContains "$out" "flavor unknown"
	assertContains "$out" "argv unknown"
	out=$("$ENTER" --pid $PH --virtiofsd --virtiofsd-bin "$T/bin/virtiofsd" \
		--flavor rust --shared-dir /vol --socket-path /run/v.sock --dry-run 2>"$T/err")
	assertEquals "--flavor rust: exit code" 0 $?
	assertContains "--flavor rust: argv" "$out" "argv --translate-uid=squash-guest:0:107:4294967295"
	assertFalse "--version was still not run" "[ -e '$T/probe.rec' ]"
}

test_the_probe_runs_confined_like_virtiofsd() {
	start_container
	probe_script "virtiofsd 1.13.2"
	# The script, launched as virtiofsd, exits at once: so does the
	# container.  What it was is taken now.
	local pidns=$(readlink /proc/$PH/ns/pid) probe
	local cgs=$(nsenter -t $PH -m -p -C cat /proc/1/cgroup)
	"$ENTER" --pid $PH --virtiofsd --virtiofsd-bin "$T/bin/virtiofsd" \
		--shared-dir /vol --socket-path /run/v.sock 2>"$T/err"
	assertEquals "exit code" 0 $?
	assertContains "detected" "$(cat "$T/err")" "is the Rust virtiofsd"
	probe=$(sed -n '/^argv --version/,/^argv --socket/p' "$T/probe.rec")
	assertContains "$probe" "Uid:	0"
	assertContains "virtiofsd's capabilities" "$probe" "CapBnd:	00000000880401df"
	assertContains "$probe" "NoNewPrivs:	1"
	assertEquals "the container's cgroups" "$cgs" "$(echo "$probe" | grep -E '^[0-9]+:')"
	assertNotContains "not in the container's PID namespace itself" "$probe" "pidns $pidns"
	assertContains "the init of its own, below it" "$probe" "self 1"
	assertEquals "then virtiofsd ran" 1 "$(grep -c '^argv --socket-path /run/v.sock' "$T/probe.rec")"
	assertContains "virtiofsd in the container's PID namespace" \
		"$(sed -n '/^argv --socket/,$p' "$T/probe.rec")" "pidns $pidns"
	assertEquals "the placeholder reaped none of the probe" 0 "$(grep -c 'reaped pid' "$T/ph.err")"
}

# Started with SIGCHLD ignored (a shell's `trap '' CHLD`), tether-enter
# takes it back (lib/role.c): else the kernel reaps the probe unseen and
# a failed --version would read as a success.
test_started_with_sigchld_ignored() {
	start_container
	probe_script "virtiofsd 1.13.2" 3
	(trap '' CHLD; exec "$ENTER" --pid $PH --virtiofsd --virtiofsd-bin "$T/bin/virtiofsd" \
		--shared-dir /vol --socket-path /run/v.sock 2>"$T/err")
	assertEquals "exit code" 8 $?
	assertContains "the probe's status was seen" "$(cat "$T/err")" "failed (status 3)"
	assertEquals "only the probe ran" 1 "$(grep -c '^argv' "$T/probe.rec")"
}

# The acknowledgement of the program's pidfd unsent (injected with
# strace): stage B waits for it before its exec.  tether-enter waited out
# the chain's 10 s deadline and killed B, whose death then reached the
# container's init as virtiofsd's; now it exits 9 at once, and B, unrun,
# fails on the closed socket and is reaped by its own parent.
test_an_unsent_acknowledgement_fails_at_once_and_spares_the_container() {
	command -v strace >/dev/null || { skip_test "needs strace"; return; }
	start_container
	local t0=$SECONDS rc
	# LeakSanitizer cannot run under ptrace: off for this run of an ASan build.
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		timeout -s KILL 30 strace -f -o /dev/null -e inject=sendto:error=EAGAIN:when=1 \
		"$ENTER" --pid "$PH" --log-format text -e FAKE_RECORD="$T/rec" -- "$FAKE" 2>"$T/err"
	rc=$?
	assertEquals "exit code ($(cat "$T/err"))" 9 $rc
	assertTrue "at once, not at the chain's 10 s deadline" "[ $((SECONDS - t0)) -lt $(slow 5) ]"
	assertContains "says why" "$(cat "$T/err")" "acknowledging the program's pidfd"
	assertFalse "nothing ran" "[ -e '$T/rec' ]"
	assertTrue "the placeholder saw the reservation end" \
		"wait_for_line '$T/ph.err' 'reservation ended with no registration' 5"
	assertTrue "the container lives on" "kill -0 $PH"
	assertNotContains "no child's death taken for virtiofsd's" "$(cat "$T/ph.err")" "exited with code"
}

test_a_probe_that_hangs_is_killed() {
	start_container
	mkdir -p "$T/bin"
	printf '#!/bin/sh\nsleep 1000 &\nexec sleep 1000\n' >"$T/bin/virtiofsd"
	chmod 755 "$T/bin/virtiofsd"
	local t0=$SECONDS out rc before=$(sort "$CG_PROCS")
	out=$(timeout -s KILL 30 "$ENTER" --pid $PH --virtiofsd \
		--virtiofsd-bin "$T/bin/virtiofsd" --shared-dir /vol --socket-path /run/v.sock 2>&1); rc=$?
	assertEquals "exit code" 8 $rc
	assertContains "$out" "took more than 5000 ms: killed"
	assertTrue "bounded (took $((SECONDS - t0)) s)" "[ $((SECONDS - t0)) -le $((5 + $(slow 3))) ]"
	assertEquals "nothing of it is left in the container" "$before" "$(sort "$CG_PROCS")"
	enter_fake 2>/dev/null
	assertEquals "the reservation was given back" 0 $?
}

test_virtiofsd_preset_rust() {
	need_pfake || return
	start_container
	"$ENTER" --pid $PH --virtiofsd --virtiofsd-bin "$PFAKE" \
		-e FAKE_VERSION="virtiofsd 1.13.2" -e FAKE_RECORD="$T/rec" --shared-dir /vol \
		--socket-path /var/run/kubevirt/virtiofs-containers/vol.sock 2>"$T/err"
	assertEquals "exit code" 0 $?
	wait_for_line "$T/rec" '^done' 5
	assertEquals "KubeVirt's argv" "$(printf 'argv %s\n' "$PFAKE" --socket-path \
		/var/run/kubevirt/virtiofs-containers/vol.sock --shared-dir /vol --cache auto --sandbox chroot \
		--modcaps=+dac_read_search:-mknod --inode-file-handles=prefer --migration-mode=file-handles \
		--migration-on-error=guest-error --translate-uid=squash-guest:0:107:4294967295 \
		--translate-gid=squash-guest:0:107:4294967295 --xattr)" "$(grep ^argv "$T/rec")"
	assertContains "detected" "$(cat "$T/err")" "is the Rust virtiofsd"
}

test_virtiofsd_preset_c_and_old_rust() {
	need_pfake || return
	start_container
	"$ENTER" --pid $PH --virtiofsd --virtiofsd-bin "$PFAKE" \
		-e FAKE_VERSION="virtiofsd version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)" \
		-e FAKE_RECORD="$T/rec" --shared-dir /vol --socket-path /run/v.sock 2>"$T/err"
	assertEquals "C: exit code" 0 $?
	wait_for_line "$T/rec" '^done' 5
	assertEquals "C argv" "$(printf 'argv %s\n' "$PFAKE" --socket-path=/run/v.sock -o source=/vol \
		-o sandbox=chroot -o cache=auto -o xattr -o modcaps=+dac_read_search:-mknod)" \
		"$(grep ^argv "$T/rec")"
	assertContains "unsupported parts reported" "$(cat "$T/err")" "cannot honour --inode-file-handles=prefer"
	stop_container
	start_container
	"$ENTER" --pid $PH --virtiofsd --virtiofsd-bin "$PFAKE" --strict \
		-e FAKE_VERSION="virtiofsd version 7.2.22" --shared-dir /vol --socket-path /run/v.sock \
		>/dev/null 2>"$T/err"
	assertEquals "C --strict: exit code" 8 $?
	assertContains "$(cat "$T/err")" "refusing (--strict)"
	"$ENTER" --pid $PH --virtiofsd --virtiofsd-bin "$PFAKE" \
		-e FAKE_VERSION="virtiofsd 1.10.1" --shared-dir /vol --socket-path /run/v.sock >/dev/null 2>"$T/err"
	assertEquals "old Rust: exit code" 8 $?
	assertContains "$(cat "$T/err")" "virtiofsd 1.10 is older than 1.13"
	"$ENTER" --pid $PH --virtiofsd --virtiofsd-bin /bin/true --shared-dir /vol \
		--socket-path /run/v.sock >/dev/null 2>"$T/err"
	assertEquals "not virtiofsd: exit code" 8 $?
	assertContains "$(cat "$T/err")" "not a virtiofsd I know"
	assertEquals "nothing was started" "" "$(pgrep -P $PH)"
}

test_already_running_and_50_requeues_spawn_nothing() {
	start_container
	enter_fake
	wait_for_line "$T/rec" '^done' 5
	local before=$(sort "$CG_PROCS") i fails=0 out
	for i in $(seq "$(fewer 50 5)"); do
		out=$(enter_fake 2>&1) || fails=$((fails + 1))
	done
	assertEquals "all $(fewer 50 5) exit 0" 0 $fails
	assertContains "$out" "already running"
	assertEquals "nothing new in the container" "$before" "$(sort "$CG_PROCS")"
	assertEquals "one fake" 1 "$(pgrep -c -f "$FAKE")"
}

test_racing_starts_give_one_program() {
	start_container
	# The placeholder's reservation decides: one starts (0); each other
	# is "already running" (0) or finds that launch under way (3: retry).
	local i pids=() fails=0 started=0
	for i in 1 2 3 4; do
		enter_fake 2>"$T/race.$i" &
		pids+=($!)
	done
	for i in 1 2 3 4; do
		wait ${pids[$((i - 1))]}
		case $? in 0|3) ;; *) fails=$((fails + 1)) ;; esac
		grep -q "registered with the placeholder" "$T/race.$i" && started=$((started + 1))
	done
	assertEquals "all exit 0 or 3" 0 $fails
	assertEquals "one registered" 1 $started
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
	timeout -s KILL 30 "$ENTER" --target-socket "$sock" -e FAKE_RECORD="$T/rec" -- "$FAKE" 2>"$T/err"
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
	out=$(timeout -s KILL 30 "$ENTER" --target-socket "$sock" -- "$FAKE" 2>&1); rc=$?
	assertEquals "not ready" 3 $rc
	assertContains "$out" "is the placeholder ready"
	echo go >"$T/go"
	ph_listening 10
	assertTrue "the placeholder comes up" $?
	assertEquals "nothing was started" "" "$(pgrep -P "$PH")"
	timeout -s KILL 30 "$ENTER" --target-socket "$sock" -v -e FAKE_RECORD="$T/rec" \
		-- "$FAKE" 2>"$T/err"
	assertEquals "a requeued call starts it" 0 $?
	assertContains "registered" "$(cat "$T/err")" "registered with the placeholder: OK"
}

test_a_placeholder_that_never_accepts() {
	# Stopped (or frozen) after it listened: the kernel still queues our
	# connection, but the reservation is not answered: not ready (3),
	# bounded, and nothing was started.  With its queue full, even
	# connecting would wait for ever.
	start_container
	kill -STOP "$PH"
	local t0=$SECONDS out rc f
	timeout -s KILL 30 "$ENTER" --target-socket "$SOCK" -e FAKE_RECORD="$T/rec" \
		-- "$FAKE" 2>"$T/err"
	assertEquals "no answer: not ready" 3 $?
	assertContains "reservation given up" "$(cat "$T/err")" "does not answer"
	assertNotContains "nothing started" "$(cat "$T/err")" "started"
	"$TETHER_BUILD/helpers/backlog_fill" "$SOCK" >"$T/fill" &
	local fill=$!
	wait_for_line "$T/fill" "^full" 5
	out=$(timeout -s KILL 30 "$ENTER" --target-socket "$SOCK" -- "$FAKE" 2>&1); rc=$?
	kill $fill; wait $fill 2>/dev/null
	kill -CONT "$PH"
	assertEquals "full queue: not ready" 3 $rc
	assertContains "$out" "accepts no connection"
	assertTrue "both bounded (took $((SECONDS - t0)) s)" "[ $((SECONDS - t0)) -le $(slow 8) ]"
}

# Single instance is the placeholder's: a second launch is "already
# running" (0) and starts nothing, with no state on the host at all.
test_a_second_launch_is_already_running() {
	start_container
	enter_fake 2>/dev/null
	assertEquals "first: started" 0 $?
	wait_for_line "$T/rec" '^done' 5
	local first=$(fake_pid) out rc
	rm -f "$T/rec"
	out=$(enter_fake 2>&1); rc=$?
	assertEquals "second: exit code" 0 $rc
	assertContains "second: already running" "$out" "already running"
	assertNotContains "second: nothing started" "$out" "started "
	assertFalse "no second record" "[ -e '$T/rec' ]"
	assertEquals "one program" "$first" "$(fake_pid)"
}

# Deckhouse's virt-handler: a read-only / and no volume on /run; and a
# restarted virt-handler: a fresh /run.  tether-enter writes nothing on
# the host, so both launch, and the second call is "already running".
test_a_read_only_caller_and_a_fresh_run() {
	start_container
	local out rc ro='mount -t tmpfs tmpfs /run && mount -o remount,bind,ro /run &&
		mount -o remount,bind,ro / && exec "$@"'
	out=$(unshare -m --propagation private sh -c "$ro" sh \
		timeout -s KILL 30 "$ENTER" --pid "$PH" -e FAKE_RECORD="$T/rec" -- "$FAKE" 2>&1); rc=$?
	assertEquals "read-only / and /run: started ($out)" 0 $rc
	assertTrue "it runs" "wait_for_line '$T/rec' '^done' 5"
	out=$(unshare -m --propagation private sh -c "$ro" sh \
		timeout -s KILL 30 "$ENTER" --pid "$PH" -e FAKE_RECORD="$T/rec" -- "$FAKE" 2>&1); rc=$?
	assertEquals "a fresh /run: exit code" 0 $rc
	assertContains "a fresh /run: already running" "$out" "already running"
	assertEquals "one program" 1 "$(pgrep -c -P "$PH" -f "$FAKE")"
}

# A target that is no placeholder (tether --pause) keeps no registration:
# each launch starts a program (the README says so).
test_a_target_without_placeholder_has_no_single_instance() {
	chmod 755 "$T"; mkdir -m 777 "$T/run"
	unshare --pid --fork --mount --mount-proc "$TETHER" --pause -vv --log-format text 2>"$T/ph.err" &
	U=$!
	wait_for_line "$T/ph.err" "pausing" 5
	PH=$(pgrep -P $U)
	local out
	out=$(enter_fake 2>&1)
	assertEquals "first" 0 $?
	assertContains "said" "$out" "no single-instance check"
	enter_fake 2>/dev/null
	assertEquals "second" 0 $?
	until_true 5 sh -c "[ \$(pgrep -P $PH -f '$FAKE' | wc -l) -eq 2 ]"
	assertEquals "two programs" 2 "$(pgrep -P $PH -f "$FAKE" | wc -l)"
}

test_target_dying_meanwhile_spawns_nothing_outside() {
	local i rc bad=0
	for i in 1 2 3 4 5 6; do
		start_container
		( kill -KILL $PH ) &
		enter_fake 2>/dev/null
		rc=$?
		case $rc in 0|3|4|5|6|7|8|11) ;; *) bad=$((bad + 1)) ;; esac
		wait
		U=
		stop_container
	done
	assertEquals "only documented codes" 0 $bad
	assertEquals "no program left anywhere" "" "$(pgrep -f "$FAKE")"
}

# A placeholder killed mid-launch closes its socket (a reset) a moment
# before the kernel marks it exited: that is "not ready" (3), never a
# refusal (10, which the previous tether-enter said 3 times out of 3).
test_target_dying_as_it_answers_is_not_ready() {
	local i rc out
	for i in 1 2 3; do
		TETHER=$TETHER_ROOT/tests/helpers/dying_placeholder.py start_container || { fail "fake placeholder"; return; }
		out=$(timeout -s KILL 30 "$ENTER" --pid "$PH" -- /bin/true 2>&1)
		rc=$?
		assertEquals "exit code ($out)" 3 $rc
		assertContains "$out" "exited during the launch"
		stop_container
	done
}

test_bad_arguments() {
	local args msg code out rc words
	words=$(printf ' a%.0s' $(seq 64))
	while IFS='|' read -r code msg args; do
		out=$(eval "\"\$ENTER\" $args" 2>&1); rc=$?
		assertEquals "code for: $args" "$code" $rc
		assertContains "message for: $args" "$out" "$msg"
		assertEquals "one text line for: $args" "tether-enter: error: " "$(echo "$out" | cut -c1-21)"
		assertEquals "one line for: $args" 1 "$(echo "$out" | wc -l)"
	done <<'EOF_CASES'
2|give --pid PID, --target-socket PATH, or both|-- /bin/true
2|--pid takes a process id|--pid abc -- /bin/true
2|--pid takes a process id|--pid 12abc -- /bin/true
2|--pid takes a process id|--pid 0 -- /bin/true
2|--pid takes a process id|--pid -1 -- /bin/true
2|--pid takes a process id|--pid 99999999999 -- /bin/true
2|--target-socket takes an absolute path shorter than 4096 bytes, not 'rel/s'|--target-socket rel/s -- /bin/true
2|--target-socket takes an absolute path|--target-socket '' -- /bin/true
2|--lock-file and --lock-dir are gone: the placeholder keeps one program per container itself|--pid 1 --lock-file /x -- /bin/true
2|--lock-file and --lock-dir are gone|--pid 1 --lock-dir /x -- /bin/true
2|no program to run|--pid 1
2|must be absolute|--pid 1 -- true
2|--virtiofsd needs --shared-dir and --socket-path|--pid 1 --virtiofsd --shared-dir /v
2|--virtiofsd needs --shared-dir and --socket-path|--pid 1 --socket-path /v.sock
2|belong to|--pid 1 --shared-dir /v -- /bin/true
2|--socket-path takes an absolute path shorter than 108 bytes|--pid 1 --shared-dir /v --socket-path /$(printf 's%.0s' $(seq 107))
2|--env takes KEY=VALUE|--pid 1 -e NOVALUE -- /bin/true
2|--caps: unknown capability|--pid 1 --caps chown,bogus -- /bin/true
2|--caps takes a comma list|--pid 1 --caps '' -- /bin/true
2|--caps takes a comma list|--pid 1 --caps chown, -- /bin/true
2|--caps takes a comma list|--pid 1 --caps chown,,setuid -- /bin/true
2|--caps takes a comma list|--pid 1 --caps ,chown -- /bin/true
2|PROGRAM and its arguments: 65 words, more than 64|--pid 1 -- /bin/true $words
2|extra virtiofsd arguments: 49 words, more than 48|--pid 1 --virtiofsd -d /v -s /v.sock -- $(printf ' a%.0s' $(seq 49))
2|--stdio takes container, inherit or null|--pid 1 --stdio file -- /bin/true
2|--flavor takes auto, rust or c|--pid 1 --flavor go -- /bin/true
2|unknown option|--pid 1 --frobnicate -- /bin/true
2|unknown option|--pid 1 --frobnicate --log-format json -- /bin/true
EOF_CASES
	# The limits themselves are fine.
	out=$("$ENTER" --pid 4194000 -- /bin/true ${words% a} 2>&1)
	assertEquals "64 words pass the parser" 3 $?
	out=$("$ENTER" --pid 4194000 --shared-dir /v \
		--socket-path /$(printf 's%.0s' $(seq 106)) 2>&1)
	assertEquals "a 107-byte socket path passes the parser" 3 $?
}

test_target_failures() {
	local out rc
	out=$("$ENTER" --pid 4194000 -- /bin/true 2>&1); rc=$?
	assertEquals "no such pid" 3 $rc
	assertContains "$out" "target pid 4194000"
	out=$("$ENTER" --target-socket "$T/none.sock" -- /bin/true 2>&1); rc=$?
	assertEquals "no socket" 3 $rc
	assertContains "$out" "is the placeholder ready"
}

test_exec_failure_is_reported_and_nothing_stays() {
	start_container
	local out rc
	out=$("$ENTER" --pid $PH -- /nonexistent 2>&1); rc=$?
	assertEquals "code" 8 $rc
	assertContains "$out" "exec /nonexistent in the container: No such file or directory"
	assertTrue "the placeholder lives on" "kill -0 $PH"
	assertEquals "no zombie left" 0 "$(zombies_of $PH)"
	assertEquals "the placeholder reaped nothing" 0 "$(grep -c 'reaped pid' "$T/ph.err")"
}

test_stdio_namespace_cgroup_failures() {
	start_container
	local out rc
	out=$(setpriv --bounding-set=-sys_admin --inh-caps=-sys_admin -- \
		"$ENTER" --pid $PH -- /bin/true 2>&1); rc=$?
	assertEquals "no CAP_SYS_ADMIN: namespace" 5 $rc
	assertContains "$out" "setns"
	# The caller sees, where the first of the container's hierarchies was,
	# only another part of that tree (as a bind mount would show it).
	local h=${CG_DIRS%%/$CG*}
	mkdir "$h/$CG-other"
	out=$(unshare -m --propagation private sh -c 'mkdir -p "$1" && mount --bind "$2-other" "$1" &&
		umount -l "$3" && mount --move "$1" "$3" && shift 3 && exec "$@"' sh "$T/mnt" "$h/$CG" "$h" \
		"$ENTER" --pid $PH -- /bin/true 2>&1); rc=$?
	rmdir "$h/$CG-other"
	assertEquals "hierarchy not mounted: cgroup" 4 $rc
	assertContains "$out" "its hierarchy is not mounted here"
	assertEquals "nothing spawned" "" "$(pgrep -P $PH)"
	stop_container
	# A container whose init has no stdout.
	unshare --pid --fork --mount --mount-proc sh -c 'exec sleep 1000 >&-' &
	U=$!
	until_true 5 pgrep -P $U sleep >/dev/null
	PH=$(pgrep -P $U)
	out=$("$ENTER" --pid $PH -- /bin/true 2>&1); rc=$?
	assertEquals "no stdout: stdio" 7 $rc
	assertContains "$out" "its stdout"
}

# in_the_container WHAT: the fake's record says it runs in the
# container's namespaces and cgroups, as a child of its init.
in_the_container() {
	local ns f=$(fake_pid)
	for ns in cgroup ipc mnt net pid uts; do
		assertEquals "$1: ns $ns" "$(readlink /proc/$PH/ns/$ns)" "$(rec "ns $ns")"
	done
	assertEquals "$1: cgroups" "$(cat /proc/$PH/cgroup)" "$(cat /proc/$f/cgroup)"
	assertEquals "$1: parent" "$PH" "$(awk '/^PPid:/ {print $2}' /proc/$f/status)"
	assertEquals "$1: capabilities" "CapBnd:	0000000000000181" "$(rec status | grep CapBnd)"
}

test_the_setns_fallback_gives_the_same_result() {
	# As on a kernel before 5.8, where setns takes no pidfd: a seccomp
	# filter answers setns with several namespaces (the pidfd form) EINVAL.
	start_container
	enter_fake -vv --caps chown,setuid,setpcap 2>"$T/err"
	assertEquals "fast path: exit code" 0 $?
	wait_for_line "$T/rec" '^done' 5
	in_the_container "fast path"
	assertNotContains "$(cat "$T/err")" "one by one"
	stop_container
	rm -f "$T/rec"
	start_container
	"$TETHER_BUILD/helpers/setns_nopidfd" "$ENTER" --pid "$PH" -vv \
		--caps chown,setuid,setpcap -e FAKE_RECORD="$T/rec" -- "$FAKE" 2>"$T/err"
	assertEquals "fallback: exit code" 0 $?
	assertContains "the fallback was taken" "$(cat "$T/err")" \
		"setns on the pidfd of pid $PH: Invalid argument (EINVAL); joining its namespaces one by one"
	wait_for_line "$T/rec" '^done' 5
	in_the_container "fallback"
}

. "$TETHER_ROOT/tests/lib/run.sh"
