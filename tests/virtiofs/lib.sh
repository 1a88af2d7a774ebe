# Shared by the virtiofs suites: a "container" whose PID 1 is the
# placeholder, running as uid 107 with no capabilities, in fresh cgroups
# (whichever of the v1 pids and memory hierarchies and the cgroup2 one the
# host mounts: pure v2, pure v1 or hybrid) and fresh cgroup, ipc, mnt, net,
# pid and uts namespaces.

FAKE=$TETHER_BUILD/helpers/fake_virtiofsd
REGISTER=$TETHER_BUILD/helpers/vfs_register
ENTER=$TETHER_BUILD/tether-enter
CG_CTRLS="pids memory v2"

SIGREC=$TETHER_BUILD/helpers/sigrecord

# cg_hier CTRL: the mount point of the v1 hierarchy that holds controller
# CTRL, or with "v2" of the cgroup2 hierarchy; empty if not mounted.
cg_hier() {
	awk -v c="$1" '$2 !~ "^/sys/fs/cgroup(/|$)" { next }
		(c == "v2" && $3 == "cgroup2") || (c != "v2" && $3 == "cgroup" && ("," $4 ",") ~ ("," c ",")) {
			print $2; exit }' /proc/self/mounts
}

# cg_dirs PID: for each line of /proc/PID/cgroup, the directory of that
# cgroup as the hierarchies are mounted here, then " v2" for the cgroup2
# one (worked out here from /proc/self/mountinfo on its own, to check
# tether-enter's mapping against).
cg_dirs() {
	awk -F: 'NR == FNR { line[NR] = $0; n = NR; next }
	{
		split($0, h, " - "); split(h[1], a, " "); split(h[2], b, " ")
		if (b[1] != "cgroup" && b[1] != "cgroup2") next
		for (i = 1; i <= n; i++) {
			split(line[i], f, ":"); p = substr(line[i], length(f[1] f[2]) + 3)
			if (done[i] || (f[2] == "") != (b[1] == "cgroup2")) continue
			k = split(f[2], want, ","); ok = 1
			for (j = 1; j <= k; j++) if (("," b[3] ",") !~ ("," want[j] ",")) ok = 0
			if (!ok) continue
			r = a[4] == "/" ? "" : a[4]
			if (substr(p, 1, length(r)) != r) continue
			dir[i] = a[5] substr(p, length(r) + 1); done[i] = 1
		}
	}
	END { for (i = 1; i <= n; i++) print (done[i] ? dir[i] : "?") (line[i] ~ /^0::/ ? " v2" : "") }' \
		"/proc/$1/cgroup" FS=' ' /proc/self/mountinfo
}

# start_container [PLACEHOLDER-OPTIONS...]: sets CG, CG_DIRS (the
# container's cgroup in each hierarchy), CG_PROCS (the cgroup.procs of the
# first of them), U (the unshare
# process), PH (the placeholder's host pid), SOCK; logs in $T/ph.err.
# PH_V: the placeholder's verbosity flag (default -vv; empty: its default
# level).  PH_WRAP: a command (array) that execs the rest, run as PID 1
# before the placeholder (to hand it an odd signal state).
# CONTAINER_SETUP, if set, is a shell command run as root in the new
# namespaces before the placeholder starts (a private /run, a read-only
# root, ...).
start_container() {
	local setup=()
	[ -n "${CONTAINER_SETUP:-}" ] && setup=(sh -c "$CONTAINER_SETUP"' && exec "$@"' sh)
	chmod 755 "$T"
	rm -rf "$T/run" && mkdir -m 777 "$T/run"
	SOCK=$T/run/ph.sock
	CG=tether-vfs-$$-$RANDOM
	CG_DIRS=
	local c h
	for c in $CG_CTRLS; do
		h=$(cg_hier $c)
		[ -n "$h" ] && mkdir "$h/$CG" && CG_DIRS="$CG_DIRS $h/$CG"
	done
	CG_DIRS=${CG_DIRS# }
	CG_PROCS=${CG_DIRS%% *}/cgroup.procs
	sh -c 'for d in $1; do echo $$ >"$d/cgroup.procs" || exit 1; done
		ulimit -n 4096 && echo 500 >/proc/self/oom_score_adj && shift && exec "$@"' \
		sh "$CG_DIRS" \
		unshare --pid --fork --mount --mount-proc --net --ipc --uts --cgroup \
		${setup[@]+"${setup[@]}"} ${PH_WRAP[@]+"${PH_WRAP[@]}"} \
		setpriv --reuid 107 --regid 107 --clear-groups --inh-caps=-all --bounding-set=-all -- \
		"$TETHER" --placeholder --socket "$SOCK" ${PH_V--vv} --log-format ${PH_LOGFMT:-text} "$@" \
		>"$T/ph.out" 2>"$T/ph.err" &
	U=$!
	ph_listening 10 || { cat "$T/ph.err"; return 1; }
}

# ph_listening [SECONDS]: sets PH once the placeholder started in the
# background as $U has logged "listening on" to $T/ph.err.  Not before:
# until then unshare may not even have forked it, and a PH taken too early
# is empty, so stop_container would kill nothing and wait for ever.
ph_listening() {
	wait_for_line "$T/ph.err" "listening on" "${1:-10}" || return 1
	PH=$(pgrep -P "$U")
	[ -n "$PH" ]
}

# The placeholder's promise: it exits within milliseconds of virtiofsd's
# exit or of a stop with nothing to stop (init/PLACEHOLDER.md's target:
# 10 ms).  A test allows 3x that, scaled by TETHER_SLOW (and a sanitizer
# build's exit, SAN_MS), timed by ms_to_exit (tests/lib/common.sh): from
# the signal to the exit, nothing else inside.
PH_EXIT_MS=$(($(slow 30) + SAN_MS))
# ph_within_grace GRACE_MS MS: a stop that had to wait for the grace took
# the grace and at most 300 ms more (scaled): with a 0.5 s grace, 2x the
# grace fails at TETHER_SLOW=1, 3x at 2.
ph_within_grace() {
	below "$2" $(($1 + $(slow 300))) && ! below "$2" $(($1 - 20))
}

# ph_wait [SECONDS]: waits (bounded) for the container to end; PH_RC is the
# placeholder's exit code (unshare passes it on), PH_MS how long it took.
# PH_MS counts from PH_T0 when the caller set it just before what ends
# the placeholder (a lower bound on the time must include the fork of
# `date`, 300 ms in an emulated s390x guest), else from now.
ph_wait() {
	local t0=${PH_T0:-$(date +%s%N)} w d=$(slow "${1:-10}")
	PH_T0=
	{ sleep "$d" && kill -KILL "$PH"; } 2>/dev/null &
	w=$!
	wait "$U"
	PH_RC=$?
	# Timed before the watchdog goes: on a loaded machine its sleep may
	# not have started yet, and `wait` would then sit out all of it.
	PH_MS=$((($(date +%s%N) - t0) / 1000000))
	pkill -P "$w" sleep 2>/dev/null
	kill "$w" 2>/dev/null
	wait "$w" 2>/dev/null
	U=
}

stop_container() {
	if [ -n "${U:-}" ] && kill -0 "$U" 2>/dev/null; then
		# Without PH (a test that never awaited the placeholder), a bare
		# wait on unshare would never end: say so and end unshare.
		[ -n "${PH:-}" ] || PH=$(pgrep -P "$U") || {
			echo "stop_container: no placeholder known under unshare $U; killing it" >&2
			PH=$U
		}
		kill -KILL "$PH" 2>/dev/null
		wait "$U" 2>/dev/null
	fi
	PH=
	U=
	local d
	for d in ${CG_DIRS:-}; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
	CG=
	CG_DIRS=
}

# enter_fake [TETHER-ENTER-OPTIONS...]: launches the fake virtiofsd
# into the container; the record goes to $T/rec.
enter_fake() {
	# Bounded: a tether-enter that never reports must fail the test, not
	# hang the suite.  By SIGKILL: it blocks every other signal.
	timeout -s KILL 30 "$ENTER" --pid "$PH" "$@" -e FAKE_RECORD="$T/rec" -- "$FAKE"
}

# register [OPTIONS] HOSTPID: registers it as virtiofsd as tether-enter does,
# as root from the host (outside the container's PID namespace); prints
# the placeholder's answer.
register() {
	"$REGISTER" "${@:1:$#-1}" "$SOCK" "${@: -1}"
}

# as_uid UID CMD...: CMD inside the container (its PID and mount
# namespaces) as UID, like a process started there with kubectl exec.
as_uid() {
	local uid=$1
	shift
	nsenter -t "$PH" -p -m -- setpriv --reuid "$uid" --regid "$uid" --clear-groups "$@"
}

# A root process in the container that exits with $2 when $1 is written.
root_child() {
	mkfifo "$1"
	orphan sh -c "read x <'$1'; exit $2"
}

# release FIFO: writes FIFO for the process reading it; bounded, for when
# that process is gone (a container that ended early never reads it).
release() {
	timeout -s KILL 5 sh -c 'echo >"$1"' sh "$1"
}

# pid of the (only) process of the container besides its init, by name.
child_named() {
	pgrep -P "$PH" -f "$1"
}

# orphan [setpriv-args --] CMD...: starts CMD inside the container as an
# orphan (so its parent becomes the placeholder); prints its host pid.
# CMD waits on a FIFO until nsenter's shell has exited: a CMD that ended
# while that shell still ran would be reaped by the shell, and the
# placeholder would never see it (this happened under load).
orphan() {
	local ns host p go
	go=$(mktemp -u "$T/orphan.XXXXXX") && mkfifo -m 0666 "$go" || return 1
	ns=$(nsenter -t "$PH" -p -m -n -i -u -C -- sh -c \
		'go=$1; shift; { read -r _ <"$go"; exec "$@"; } </dev/null >/dev/null 2>&1 & echo $!' \
		sh "$go" "$@")
	for p in $(pgrep -P "$PH"); do
		host=$(awk '/^NSpid:/ {print $NF}' /proc/$p/status 2>/dev/null)
		[ "$host" = "$ns" ] && break
		host=
	done
	timeout 5 sh -c 'echo go >"$1"' sh "$go"
	rm -f "$go"
	[ -n "$host" ] && echo "$p"
}

# rogue_listener PATH: a process of the container (uid 107) listening on
# PATH; prints its host pid once it listens.
rogue_listener() {
	local pid
	pid=$(orphan setpriv --reuid 107 --regid 107 --clear-groups -- /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
open(sys.argv[2], "w").write("listening\n")
time.sleep(1000)' "$1" "$1.ready")
	wait_for_line "$1.ready" listening 5 && echo "$pid"
}

# ns_pid HOSTPID: the pid as the container sees it.
ns_pid() {
	awk '/^NSpid:/ {print $NF}' /proc/$1/status
}
