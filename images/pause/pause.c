/*
 * The infra ("pause") process of tether's test pods: it holds the pod's namespaces, reaps any
 * child it inherits (it is PID 1 of the pod when shareProcessNamespace is on) and exits 0 on
 * SIGTERM, SIGINT or SIGHUP. Signals are blocked and taken with sigwait, so nothing is polled.
 */
#include <signal.h>
#include <stddef.h>
#include <sys/wait.h>

int main(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return 1;
	for (;;) {
		if (sigwait(&set, &sig))
			return 1;
		if (sig != SIGCHLD)
			return 0;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
}
