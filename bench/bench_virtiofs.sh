#!/bin/bash
# virtiofs: how fast the placeholder follows virtiofsd's death, and how long
# tether-enter takes from its start until the program runs, beside a shell
# that writes cgroup.procs and runs nsenter (a stand-in: KubeVirt's
# dispatcher is Go code in virt-handler, which cannot run here), timed the
# same way: from the launch to the first instruction of the same program
# (a static stamp that writes the time it started), in the same run.
# No peer exists for the first measure (the prototype placeholder is not
# packaged, and it exits 0 whatever happened): tether only, printed beside
# the issue's 10 ms target, with no ratio.
. "$(dirname "$0")/lib.sh"
: "${TETHER_BUILD:=$(cd "$(dirname "$0")/.." && pwd)/build}"
TETHER=$TETHER_BUILD/tether
ENTER=$TETHER_BUILD/tether-enter
N=${BENCH_N:-30}
T=$(mktemp -d /tmp/bench-vfs.XXXXXX)
chmod 755 "$T"
CG=tether-bench-$$
CTRLS="pids memory unified"
trap 'cleanup' EXIT

cleanup() {
	[ -n "${U:-}" ] && kill -KILL "$U" 2>/dev/null && wait "$U" 2>/dev/null
	for c in $CTRLS; do rmdir /sys/fs/cgroup/$c/$CG 2>/dev/null; done
	rm -rf "$T"
}

us() { echo "${EPOCHREALTIME/./}"; }

for c in $CTRLS; do mkdir -p /sys/fs/cgroup/$c/$CG; done

# container CMD...: an unshare'd container in the bench cgroups; U, PH.
container() {
	# Emptied here, before tail starts: the shell's own truncation of
	# the file may come after tail has read the last run's ready line.
	: >"$T/err"
	sh -c 'for c in $1; do echo $$ >/sys/fs/cgroup/$c/$2/cgroup.procs; done; shift 2; exec "$@"' sh "$CTRLS" "$CG" \
		unshare --pid --fork --mount --mount-proc --net --ipc --uts --cgroup "$@" 2>"$T/err" &
	U=$!
	timeout 20 grep -q -m1 "$READY" <(tail -n +1 -F "$T/err" 2>/dev/null)
	PH=$(pgrep -P "$U")
	[ -n "$PH" ] || { kill -KILL "$U"; wait "$U"; U=; return 1; }
}

# 1. placeholder exit after virtiofsd's death
times=() bad=0
READY="listening on"
for i in $(seq "$N"); do
	rm -f "$T/ph.sock"
	container "$TETHER" --placeholder --socket "$T/ph.sock" -vv --log-format text ||
		{ bad=$((bad + 1)); continue; }
	v=$(nsenter -t "$PH" -p -m -- sh -c 'sleep 1000 </dev/null >/dev/null 2>&1 & echo $!')
	vh=$(pgrep -P "$PH" sleep)
	t0=$(us)
	kill -KILL "$vh"
	wait "$U"
	rc=$?
	t1=$(us)
	U=
	[ "$rc" = 137 ] || bad=$((bad + 1))
	times+=($((t1 - t0)))
done
ms=$(printf '%s\n' "${times[@]}" | stats 1000)
met=$(awk -v m="${ms%% *}" 'BEGIN { print (m <= 10 ? "target met" : "target NOT met") }')
row_ref "virtiofs placeholder: exit after virtiofsd's death, median [min–max] of $N ($bad with a wrong status; 137 expected)" \
	"$ms" "the issue's target" 10 ms "$met"

# 2. launch → the program's first instruction: tether-enter, and sh +
# nsenter with the cgroup.procs writes.  The program is the same static
# stamp, which writes CLOCK_REALTIME in µs to the file it is given (the
# container sees the host's /tmp: it has its own mount namespace, not
# its own root), then with a second argument waits (a registered
# program must outlive its registration).
# Each launch starts right after the bench shell has moved itself to its
# own v1 cgroup (a no-op move): a write to a v1 cgroup.procs takes the
# kernel's cgroup_threadgroup_rwsem for writing, which first waits for an
# RCU grace period (1 to 70 ms measured on this machine, by load) unless
# another writer did so a few milliseconds before.  Both launchers write
# v1 cgroup.procs; back to back, the second rode on the first one's grace
# period (tether-enter went first: it paid, nsenter did not), and cold,
# the grace period's spread swamps both.  Warmed alike, the rows measure
# the launchers' own work.  (An isolated launch pays one grace period on
# top, tether-enter and nsenter alike; the cgroup mount option
# favordynmods removes it.)
printf '%s\n' '#include <stdio.h>' '#include <time.h>' '#include <unistd.h>' \
	'int main(int c, char **v) { struct timespec t; clock_gettime(CLOCK_REALTIME, &t);' \
	'FILE *f = c > 1 ? fopen(v[1], "w") : 0; if (!f) return 1;' \
	'fprintf(f, "%lld\n", (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000);' \
	'if (fclose(f)) return 1; while (c > 2) pause(); return 0; }' >"$T/stamp.c"
musl-gcc -static -Os -o "$T/stamp" "$T/stamp.c" || { echo "| tether-enter: cannot build the stamp program | | | | |"; exit 0; }
PIDS_CG=/sys/fs/cgroup/pids$(awk -F: '$2 == "pids" { print $3 }' /proc/self/cgroup)/cgroup.procs
warm() { echo 0 >"$PIDS_CG"; }
# baseline FILE: sh + nsenter into $PH, the stamp writing FILE; sets b0 and b1
# (its start and its end: the program has run and exited).
baseline() {
	b0=$(us)
	sh -c 'for c in $1; do echo $$ >/sys/fs/cgroup/$c/$2/cgroup.procs; done; exec nsenter -t "$3" -p -m -n -i -u -C "$4" "$5"' \
		sh "$CTRLS" "$CG" "$PH" "$T/stamp" "$1"
	b1=$(us)
}
READY="pausing"
container "$TETHER" --pause -vv --log-format text
enter=() base=()
for i in $(seq "$N"); do
	rm -f "$T/s1" "$T/s2"
	warm
	t0=$(us)
	"$ENTER" -q --pid "$PH" -- "$T/stamp" "$T/s1" || echo "tether-enter failed" >&2
	warm
	baseline "$T/s2"
	# The program runs on after tether-enter has returned: wait for its stamp.
	until [ -s "$T/s1" ]; do sleep 0.001; done
	enter+=($(($(cat "$T/s1") - t0)))
	base+=($(($(cat "$T/s2") - b0)))
done
e=$(printf '%s\n' "${enter[@]}" | stats 1000)
b=$(printf '%s\n' "${base[@]}" | stats 1000)
row "tether-enter: launch to the program's first instruction, v1+v2 cgroups and 6 namespaces joined (median [min–max] of $N)" \
	"$e" "sh + nsenter (cgroup.procs writes, no checks; a stand-in for virt-handler's Go)" "$b" ms
kill -TERM "$PH"
wait "$U"
U=

# 3. the same into a placeholder: every check, the reservation and the
# registration (one placeholder per launch: it keeps one program), and
# sh + nsenter into the same container, each measured to two points: the
# program's first instruction, and the launcher's exit (tether-enter's
# exit 0 once the placeholder answered the registration; nsenter's once
# its program, the stamp without its second argument, has ended).
READY="listening on"
first=() ended=() bfirst=() bended=()
for i in $(seq "$N"); do
	rm -f "$T/ph.sock" "$T/s1" "$T/s2"
	container "$TETHER" --placeholder --socket "$T/ph.sock" -vv --log-format text || continue
	warm
	t0=$(us)
	"$ENTER" -q --pid "$PH" -- "$T/stamp" "$T/s1" hold || echo "tether-enter failed" >&2
	t1=$(us)
	warm
	baseline "$T/s2"
	until [ -s "$T/s1" ]; do sleep 0.001; done
	first+=($(($(cat "$T/s1") - t0)))
	ended+=($((t1 - t0)))
	bfirst+=($(($(cat "$T/s2") - b0)))
	bended+=($((b1 - b0)))
	kill -KILL "$PH"
	wait "$U"
	U=
done
row "tether-enter into a placeholder: launch to the program's first instruction, every check and the reservation (median [min–max] of $N)" \
	"$(printf '%s\n' "${first[@]}" | stats 1000)" "sh + nsenter into the same container (no checks)" \
	"$(printf '%s\n' "${bfirst[@]}" | stats 1000)" ms
row "tether-enter into a placeholder: start to exit 0, the registration answered (median [min–max] of $N)" \
	"$(printf '%s\n' "${ended[@]}" | stats 1000)" "sh + nsenter: start to its exit, its program run and ended" \
	"$(printf '%s\n' "${bended[@]}" | stats 1000)" ms
