#!/bin/bash
# virtiofs: how fast the placeholder follows virtiofsd's death, and how long
# tether-enter takes from start to the program's exec, beside nsenter plus a
# shell write to cgroup.procs (the prototype's approach) in the same run.
# No peer exists for the first measure (the prototype placeholder is not
# packaged, and it exits 0 whatever happened): tether only, against the
# issue's 10 ms target.
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
ms=$(printf '%s\n' "${times[@]}" | median | awk '{printf "%.2f", $1 / 1000}')
row "virtiofs placeholder: exit after virtiofsd's death, median of $N ($bad with a wrong status; 137 expected)" \
	"$ms" "issue target" 10 ms

# 2. tether-enter start → exec, beside nsenter + a cgroup.procs write
READY="pausing"
container "$TETHER" --pause -vv --log-format text
enter=() base=()
for i in $(seq "$N"); do
	t0=$(us)
	"$ENTER" -q --pid "$PH" -- /bin/true || echo "tether-enter failed" >&2
	t1=$(us)
	sh -c 'for c in $1; do echo $$ >/sys/fs/cgroup/$c/$2/cgroup.procs; done; exec nsenter -t "$3" -p -m -n -i -u -C /bin/true' \
		sh "$CTRLS" "$CG" "$PH"
	t2=$(us)
	enter+=($((t1 - t0)))
	base+=($((t2 - t1)))
done
e=$(printf '%s\n' "${enter[@]}" | median | awk '{printf "%.2f", $1 / 1000}')
b=$(printf '%s\n' "${base[@]}" | median | awk '{printf "%.2f", $1 / 1000}')
row "tether-enter: start to the program's exec, v1+v2 cgroups and 6 namespaces joined (median of $N)" \
	"$e" "sh + nsenter (cgroup.procs write, no checks, until /bin/true exits)" "$b" ms
kill -TERM "$PH"
wait "$U"
U=

# 3. the same into a placeholder: every check, the reservation and the
# registration (one placeholder per launch: it keeps one program)
READY="listening on"
into=()
for i in $(seq "$N"); do
	rm -f "$T/ph.sock"
	container "$TETHER" --placeholder --socket "$T/ph.sock" -vv --log-format text || continue
	t0=$(us)
	"$ENTER" -q --pid "$PH" -- /bin/sleep 1000 || echo "tether-enter failed" >&2
	t1=$(us)
	into+=($((t1 - t0)))
	kill -KILL "$PH"
	wait "$U"
	U=
done
p=$(printf '%s\n' "${into[@]}" | median | awk '{printf "%.2f", $1 / 1000}')
row "tether-enter into a placeholder: start to exit 0, reservation and registration included (median of $N)" \
	"$p" "sh + nsenter, as above (no checks, no registration)" "$b" ms
