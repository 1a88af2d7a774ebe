# Shared by the virtiofs suites: a "container" whose PID 1 is the
# placeholder, running as uid 107 with no capabilities, in fresh cgroups
# (v1 pids and memory, the v2 unified hierarchy of this hybrid host) and
# fresh cgroup, ipc, mnt, net, pid and uts namespaces.

FAKE=$TETHER_BUILD/helpers/fake_virtiofsd
REGISTER=$TETHER_BUILD/helpers/vfs_register
ENTER=$TETHER_BUILD/tether-enter
CG_CTRLS="pids memory unified"

SIGREC=$TETHER_BUILD/helpers/sigrecord

# start_container [PLACEHOLDER-OPTIONS...]: sets CG, U (the unshare
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
	local c
	for c in $CG_CTRLS; do
		[ -d /sys/fs/cgroup/$c ] && mkdir /sys/fs/cgroup/$c/$CG
	done
	sh -c 'for c in $1; do [ -d /sys/fs/cgroup/$c/$2 ] && echo $$ >/sys/fs/cgroup/$c/$2/cgroup.procs; done
		ulimit -n 4096 && echo 500 >/proc/self/oom_score_adj && shift 2 && exec "$@"' \
		sh "$CG_CTRLS" "$CG" \
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

# ph_wait [SECONDS]: waits (bounded) for the container to end; PH_RC is the
# placeholder's exit code (unshare passes it on), PH_MS how long it took.
ph_wait() {
	local t0=$(date +%s%N) w
	{ sleep "${1:-10}" && kill -KILL "$PH"; } 2>/dev/null &
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
	local c
	for c in $CG_CTRLS; do
		[ -n "${CG:-}" ] && [ -d /sys/fs/cgroup/$c/$CG ] && rmdir /sys/fs/cgroup/$c/$CG 2>/dev/null
	done
	CG=
}

# enter_fake [TETHER-ENTER-OPTIONS...]: launches the fake virtiofsd
# into the container; the record goes to $T/rec, the lock to $T/locks.
enter_fake() {
	# Bounded: a tether-enter that never reports must fail the test, not
	# hang the suite.  By SIGKILL: it blocks every other signal.
	timeout -s KILL 30 "$ENTER" --pid "$PH" --lock-dir "$T/locks" "$@" -e FAKE_RECORD="$T/rec" -- "$FAKE"
}

# lock_of HOSTPID: the lock file tether-enter keeps for that container.
lock_of() {
	echo "$T/locks/pidns-$(stat -L -c %i /proc/$1/ns/pid).lock"
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
orphan() {
	local ns host p
	ns=$(nsenter -t "$PH" -p -m -n -i -u -C -- sh -c '"$@" </dev/null >/dev/null 2>&1 & echo $!' sh "$@")
	for p in $(pgrep -P "$PH"); do
		host=$(awk '/^NSpid:/ {print $NF}' /proc/$p/status 2>/dev/null)
		[ "$host" = "$ns" ] && { echo "$p"; return 0; }
	done
	return 1
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
