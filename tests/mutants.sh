#!/bin/bash
# The mutation check: each line of MUTANTS below breaks one promise with a
# one-line change (a sed expression on one file).  The script copies the
# tree (without build/) to a scratch directory, builds it once, then for
# each mutant applies the change, rebuilds, runs the suite that owns the
# promise and puts the file back.  A mutant whose suite stays green has
# SURVIVED: the promise is not really tested.
#
#   tests/mutants.sh [ID...]        all mutants, or only those named
#
# Exit 0 when every mutant was killed; 1 when one survived or no longer
# applies (its file changed: update its sed expression).  Suites run under
# the machine's test lock (/tmp/tether-test.lock), like any other run.
set -u
cd "$(dirname "$0")/.."

# id | file | suite | sed expression (one line changed)
MUTANTS='
M1|init/run.c|tests/init/test_signals.sh|s/^\tif (kill(to, sig) < 0/\tif (sig == SIGHUP) kill(to, sig);\n&/
M2|init/run.c|tests/init/test_status.sh|s/} else if (r->cfg->warn_reap) {/} else if ((r->code = exit_code_of(wstatus)), r->cfg->warn_reap) {/
X1|init/run.c|tests/init/test_signals.sh|s/if ((pid_t)si\[i\].ssi_pid == r->self/if (0 \&\& (pid_t)si[i].ssi_pid == r->self/
X2|init/run.c|tests/init/test_stop.sh|s/grace_start(&r->grace, r->cfg->grace_ms);/grace_start(\&r->grace, r->cfg->grace_ms * 2);/
X2b|init/run.c|tests/init/test_stop.sh|s/role_stop_rest(&r->grace, r->cfg->grace_ms, 0)/role_stop_rest(\&r->grace, r->cfg->grace_ms * 2, 0)/
X3|init/run.c|tests/init/test_stop.sh|s/drain(r, none_left);/drain(r, 1);/
M3|sockets/holder.c|tests/sockets/test_lifecycle.sh|/socket %s does not exist anymore/{n;s/finish(h, EXIT_OK)/finish(h, EXIT_FAIL)/}
M4|supervisor/tlfile.c|tests/supervisor/test_termlog.sh|s/pinned(t, line, len, shutdown_prefix)/((void)shutdown_prefix, (const char *)0)/
M6|lib/reap.c|tests/virtiofs/test_placeholder.sh|s/return 128 + si->si_status;/return si->si_status;/
T1|sockets/holder.c|tests/sockets/test_lifecycle.sh|s/^\tlog_info("socket %s does not exist anymore"/\t{ unsigned long long t0 = __builtin_ia32_rdtsc(); while (__builtin_ia32_rdtsc() - t0 < 300000000ULL); }\n&/
T2|init/placeholder.c|tests/virtiofs/test_placeholder.sh|s/^\tloop_exit(&p->loop, code);/\t{ unsigned long long t0 = __builtin_ia32_rdtsc(); while (__builtin_ia32_rdtsc() - t0 < 300000000ULL); }\n&/
T3|supervisor/daemon.c|tests/supervisor/test_daemons.sh|/if (d->streak++ == 0)/{n;s/return 0;/return 50;/}
T4|supervisor/daemon.c|tests/supervisor/test_daemons.sh|s/grace_start(&d->grace, d->s->cfg->grace_ms);/grace_start(\&d->grace, d->s->cfg->grace_ms * 2);/
H1|sockets/health.c|tests/sockets/test_manage.sh|s/unix_connect_within(h.sock, SOCK_STREAM, CONNECT_TIMEOUT_S)/unix_connect(h.sock, SOCK_STREAM)/
'

want=" $* "
work=/tmp/tether-mutants.$$
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tree"
tar --exclude=./build --exclude=./.git -cf - . | tar -C "$work/tree" -xf -
echo "== building the unmutated copy in $work/tree"
make -C "$work/tree" -j2 >"$work/build.log" 2>&1 || { tail -20 "$work/build.log"; echo "the unmutated tree does not build"; exit 1; }

# leftovers: a mutant may leave processes behind (one that stops nothing
# does): kill those that run a binary of the scratch tree, by pid.
leftovers() {
	local p
	for p in /proc/[0-9]*; do
		case $(readlink "$p/exe" 2>/dev/null) in "$work"/tree/*) kill -KILL "${p#/proc/}" 2>/dev/null ;; esac
	done
}

survived=0 stale=0 killed=0
while IFS='|' read -r id file suite expr; do
	[ -n "$id" ] || continue
	[ "$want" = "  " ] || [[ $want == *" $id "* ]] || continue
	f=$work/tree/$file
	cp -p "$f" "$work/orig"
	sed -i "$expr" "$f"
	if cmp -s "$f" "$work/orig"; then
		echo "STALE    $id: '$expr' changes nothing in $file"
		stale=$((stale + 1))
		continue
	fi
	touch "$f"
	if ! make -C "$work/tree" -j2 >"$work/build.log" 2>&1; then
		echo "STALE    $id: $file does not build with the change"
		tail -5 "$work/build.log"
		stale=$((stale + 1))
	elif (cd "$work/tree" && flock -o /tmp/tether-test.lock tests/run "$suite") >"$work/$id.log" 2>&1; then
		echo "SURVIVED $id: $suite stays green with: $(diff "$work/orig" "$f" | grep '^>' | sed 's/^> *//' | head -2 | tr '\n' ' ')"
		survived=$((survived + 1))
	else
		echo "killed   $id by $suite:$(grep '^  FAIL ' "$work/$id.log" | sed 's/^  FAIL [^:]*:/ /' | tr '\n' ',' | sed 's/,$//')"
		killed=$((killed + 1))
	fi
	cp -p "$work/orig" "$f"
	touch "$f"
	leftovers
done <<<"$MUTANTS"
echo "$killed killed, $survived survived, $stale stale"
[ "$survived" -eq 0 ] && [ "$stale" -eq 0 ]
