#!/bin/bash
# tether-enter on a host with AppArmor (issue 20, the LSM label): the
# program runs with the container's label, never with tether-enter's own
# (virt-handler's), and a label that cannot be applied fails the launch.
# Needs a kernel with AppArmor enabled and apparmor_parser: the tests/vm
# VMs (Debian 12's kernel, booted with apparmor=1 security=apparmor) run
# it; a host without AppArmor skips it.
. "$(dirname "$0")/../lib/common.sh"
. "$TETHER_ROOT/tests/virtiofs/lib.sh"

# Broad profiles: what is tested is which label a process has, not what
# a profile allows.  The container's (in enforce and in complain mode),
# and a caller's that may do everything but change its profile.
RULES='capability, network, file, signal, ptrace, unix, mount, umount, pivot_root,'
CTR=tether-test-ctr
CMP=tether-test-ctr-complain
NOCHANGE=tether-test-nochange

oneTimeSetUp() {
	if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ]; then
		UNAVAILABLE="the kernel has no AppArmor enabled"
		return 0
	fi
	if ! command -v apparmor_parser >/dev/null; then
		UNAVAILABLE="needs apparmor_parser (tests/install-deps.sh vm)"
		return 0
	fi
	[ -d /sys/kernel/security/apparmor ] || mount -t securityfs securityfs /sys/kernel/security ||
		{ setup_failed "cannot mount securityfs"; return 0; }
	local p
	p=$(mktemp /tmp/tether-apparmor.XXXXXX)
	{
		echo "profile $CTR flags=(attach_disconnected,mediate_deleted) { $RULES change_profile, }"
		echo "profile $CMP flags=(attach_disconnected,mediate_deleted,complain) { $RULES change_profile, }"
		echo "profile $NOCHANGE flags=(attach_disconnected,mediate_deleted) { $RULES }"
	} >"$p"
	apparmor_parser -r -W "$p" >/dev/null 2>"$p.err" ||
		setup_failed "apparmor_parser could not load the test profiles: $(tr '\n' ' ' <"$p.err")"
	rm -f "$p" "$p.err"
}

oneTimeTearDown() {
	[ -z "${UNAVAILABLE:-}" ] || return 0
	local n
	for n in $CTR $CMP $NOCHANGE; do
		echo -n "$n" >/sys/kernel/security/apparmor/.remove 2>/dev/null
	done
}

suite_setUp() {
	[ -z "${UNAVAILABLE:-}" ] || skip_test "$UNAVAILABLE"
}

suite_tearDown() {
	stop_container
}

label() {
	cat "/proc/$1/attr/apparmor/current" 2>/dev/null
}

fake_pid() {
	pgrep -P "$PH" -f fake_virtiofsd
}

# in_profile NAME: a container whose PID 1, the placeholder, runs under
# AppArmor profile NAME (from its exec on, as a runtime puts it there).
in_profile() {
	PH_WRAP=(aa-exec -p "$1" --)
	start_container
	local rc=$?
	PH_WRAP=()
	return $rc
}

launched_label() {
	local want=$1 f
	in_profile "${want% (*}" || fail "container under ${want% (*}"
	assertEquals "the container's label" "$want" "$(label "$PH")"
	assertEquals "ours (virt-handler's) is another" "unconfined" "$(label self)"
	enter_fake
	assertEquals "exit code" 0 $?
	assertTrue "record written" "wait_for_line '$T/rec' '^done' 5"
	f=$(fake_pid)
	assertNotNull "the program runs" "$f"
	assertEquals "the program has the container's label" "$want" "$(label "$f")"
}

test_the_program_gets_the_containers_label() {
	[ -z "${UNAVAILABLE:-}" ] || return 0	# skipped in setUp; nothing to start
	launched_label "$CTR (enforce)"
}

test_a_complain_mode_label_is_kept_with_its_mode() {
	[ -z "${UNAVAILABLE:-}" ] || return 0	# skipped in setUp; nothing to start
	launched_label "$CMP (complain)"
}

test_the_probe_runs_under_the_containers_label() {
	[ -z "${UNAVAILABLE:-}" ] || return 0	# skipped in setUp; nothing to start
	# A "virtiofsd" that writes down its label, as the probe
	# (--version) and as the program.
	cat >"$T/vfsd" <<-'EOF'
	#!/bin/sh
	if [ "$1" = --version ]; then
		cat /proc/self/attr/apparmor/current >"$REC.probe"
		echo "virtiofsd 1.13.2"
		exit 0
	fi
	cat /proc/self/attr/apparmor/current >"$REC.prog"
	exec sleep 600
	EOF
	chmod 755 "$T/vfsd"
	in_profile $CTR || fail "container"
	timeout -s KILL 30 "$ENTER" --pid "$PH" --virtiofsd --virtiofsd-bin "$T/vfsd" \
		--shared-dir / --socket-path "$T/vfs.sock" -e REC="$T/rec" >"$T/out" 2>&1
	local rc=$?
	assertEquals "exit code ($(cat "$T/out"))" 0 $rc
	assertEquals "the probe had the container's label" "$CTR (enforce)" "$(cat "$T/rec.probe")"
	assertTrue "the program wrote its label" "until_true 5 test -s '$T/rec.prog'"
	assertEquals "the program has the container's label" "$CTR (enforce)" "$(cat "$T/rec.prog")"
}

test_a_label_that_cannot_be_applied_fails_closed() {
	[ -z "${UNAVAILABLE:-}" ] || return 0	# skipped in setUp; nothing to start
	in_profile $CTR || fail "container"
	# A caller whose own profile forbids changing profiles: the label
	# cannot be set, so nothing may run (not even with the caller's).
	timeout -s KILL 30 aa-exec -p $NOCHANGE -- "$ENTER" --pid "$PH" --log-format text \
		-e FAKE_RECORD="$T/rec" -- "$FAKE" >"$T/out" 2>&1
	local rc=$?
	assertEquals "exit code ($(cat "$T/out"))" 8 $rc
	assertEquals "one line" 1 "$(grep -c . "$T/out")"
	assertContains "names the label" "$(cat "$T/out")" "AppArmor label $CTR"
	assertNull "nothing runs in the container" "$(fake_pid)"
	assertFalse "no record" "[ -e '$T/rec' ]"
}

test_an_unconfined_container_gets_unconfined() {
	[ -z "${UNAVAILABLE:-}" ] || return 0	# skipped in setUp; nothing to start
	start_container
	assertEquals "unconfined" "$(label "$PH")"
	enter_fake
	assertEquals "exit code" 0 $?
	assertTrue "record written" "wait_for_line '$T/rec' '^done' 5"
	assertEquals "the program" "unconfined" "$(label "$(fake_pid)")"
}

. "$TETHER_ROOT/tests/lib/run.sh"
