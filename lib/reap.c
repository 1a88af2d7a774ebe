#include "proc.h"
#include "log.h"

#include <errno.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int reap_all(reap_fn *fn, void *ctx, int *none_left)
{
	int n = 0, st;
	pid_t pid;

	*none_left = 0;
	for (;;) {
		pid = waitpid(-1, &st, WNOHANG);
		if (pid > 0) {
			n++;
			if (fn)
				fn(pid, st, ctx);
			continue;
		}
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0 && errno == ECHILD)
			*none_left = 1;
		return n;
	}
}

int reap_all_si(reap_si_fn *fn, void *ctx, int *none_left)
{
	int n = 0;

	*none_left = 0;
	for (;;) {
		siginfo_t si;

		si.si_pid = 0;
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG) < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECHILD)
				*none_left = 1;
			return n;
		}
		if (si.si_pid == 0)
			return n;
		n++;
		fn(&si, ctx);
	}
}

int exit_code_of_si(const siginfo_t *si)
{
	if (si->si_code == CLD_EXITED)
		return si->si_status & 0xff;
	return 128 + si->si_status;
}

int become_reaper(void)
{
	if (getpid() == 1 || prctl(PR_SET_CHILD_SUBREAPER, 1) == 0)
		return 0;
	log_error("prctl PR_SET_CHILD_SUBREAPER: %m");
	return -1;
}
