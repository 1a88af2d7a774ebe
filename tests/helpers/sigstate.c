/* Test helper: starts a program with a chosen signal mask and ignored set.
 *   sigstate BLOCKED IGNORED PROGRAM [ARGS...]
 * BLOCKED and IGNORED are comma-separated signal names, or "-" for none. */
#include "sig.h"

#include <string.h>
#include <unistd.h>

/* sigaddset refuses 32-34, which the C libraries keep for themselves. */
static void add(sigset_t *set, int sig)
{
	unsigned long *bits = (unsigned long *)set;
	unsigned per = 8 * sizeof(*bits);

	bits[(sig - 1) / per] |= 1UL << ((sig - 1) % per);
}

static int each(char *list, sigset_t *set)
{
	char *save, *name;

	sigemptyset(set);
	if (!strcmp(list, "-"))
		return 0;
	for (name = strtok_r(list, ",", &save); name; name = strtok_r(0, ",", &save)) {
		int sig = sig_parse(name);
		if (sig < 0)
			return -1;
		add(set, sig);
	}
	return 0;
}

int main(int argc, char **argv)
{
	sigset_t block, ign;

	if (argc < 4 || each(argv[1], &block) || each(argv[2], &ign))
		return 2;
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&ign, sig) == 1)
			signal(sig, SIG_IGN);
	sig_setmask(&block, 0);
	execvp(argv[3], argv + 3);
	return 127;
}
