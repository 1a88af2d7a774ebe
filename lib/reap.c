#include "proc.h"

#include <errno.h>
#include <sys/wait.h>

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
