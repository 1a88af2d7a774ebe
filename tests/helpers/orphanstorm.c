/* Benchmark helper, run as the program of an init under test:
 *   orphanstorm N [zombies]
 * Leaves N orphans (their parent exits, so they re-parent to the init),
 * lets them all exit at the same instant, and prints how many
 * microseconds passed until the init had reaped the last one.
 * With "zombies" the N have already exited when their parent does: they
 * reach the init as zombies all at once, and the time is the init's
 * reaping alone, without the kernel's 10,000 exits in the middle. */
#include "buf.h"
#include "fd.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* The intermediate process: forks the orphans, tells their pids, exits.
 * Zombies: each child exits at once and is waited for without reaping. */
static void spawn_orphans(long n, int gate, int report, int zombies)
{
	char c;

	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			while (!zombies && read(gate, &c, 1) > 0)
				;
			_exit(0);
		}
		siginfo_t si;
		if (pid < 0 || (zombies && waitid(P_PID, pid, &si, WEXITED | WNOWAIT)) ||
		    write(report, &pid, sizeof(pid)) != sizeof(pid))
			_exit(1);
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	long n;
	int gate[2], report[2], zombies = argc == 3 && !strcmp(argv[2], "zombies");

	if (argc < 2 || argc > 3 || (argc == 3 && !zombies) ||
	    parse_long(argv[1], 1, 100000, &n) || pipe(gate) || pipe(report))
		return 2;
	pid_t *pids = calloc(n, sizeof(*pids));
	pid_t mid = fork();
	if (!pids || mid < 0)
		return 1;
	if (mid == 0) {
		close(gate[1]);
		spawn_orphans(n, gate[0], report[1], zombies);
	}
	close(gate[0]);
	close(report[1]);
	for (long got = 0; got < n * (long)sizeof(pid_t);) {
		ssize_t r = read(report[0], (char *)pids + got, n * sizeof(pid_t) - got);
		if (r <= 0)
			return 1;
		got += r;
	}
	/* Zombies: they reach the init when mid exits, before this wait
	 * returns; the clock starts just before it. */
	long long start = now_us();
	waitpid(mid, 0, 0);
	if (!zombies)
		start = now_us();
	close(gate[1]);
	/* A zombie still answers kill(pid, 0); a reaped process does not. */
	for (long i = 0; i < n; i++)
		while (kill(pids[i], 0) == 0)
			;
	char out[32];
	struct buf b = BUF_INIT(out);
	buf_printf(&b, "%lld\n", now_us() - start);
	return write(1, b.p, b.len) == (ssize_t)b.len ? 0 : 1;
}
