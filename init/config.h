/* tether's command line, parsed once into an immutable config. */
#ifndef TETHER_INIT_CONFIG_H
#define TETHER_INIT_CONFIG_H

#include "cli.h"

#include <signal.h>

/* Exit codes of tether itself (the child's own codes pass through). */
enum {
	EXIT_USAGE = CLI_EXIT_USAGE,	/* bad command line */
	EXIT_NOT_EXEC = 126,	/* program found but not executable */
	EXIT_NOT_FOUND = 127,	/* program not found */
	EXIT_SETUP = 111,	/* a system call failed while setting up */
};

enum mode { MODE_RUN, MODE_PAUSE, MODE_PLACEHOLDER };

struct config {
	enum mode mode;
	char **argv;		/* the program and its arguments */
	int group;		/* -g: signals go to the child's process group */
	int warn_reap;		/* -w: log every reaped zombie */
	int pdeathsig;		/* -p */
	long grace_ms;		/* --grace */
	unsigned char remap[32];	/* -e: bit n set → exit code n becomes 0 */
	sigset_t stop_signals;	/* lib/role.h's, less --forward-only's */
	struct cli cli;		/* default level LOG_NOTICE (TINI_VERBOSITY=N: -v N-1 times) */
	const char *socket;	/* --socket: the placeholder's socket */
};

/* lib/cli.h's contract: CLI_OK, CLI_DONE (help, version, -l, temp_pod) or
 * CLI_ERROR (c->cli.err). */
int config_parse(struct config *c, int argc, char **argv, char **envp);
/* The exit code tether reports for a child exit code. */
int config_exit_code(const struct config *c, int code);

#endif
