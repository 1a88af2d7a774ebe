/* The command-line plumbing every role shares: the options they all take
 * (-h/--help, --version, -v/--verbose, --log-format), the one error line
 * "<prog>: error: ... (see <prog> --help)", the version line, and how a
 * verbosity becomes a log level.  Each role keeps its own options, its
 * checks and its exit codes. */
#ifndef TETHER_CLI_H
#define TETHER_CLI_H

#include "log.h"
#include "opt.h"

/* A bad command line, for the roles whose callers tell codes apart
 * (container-disk exits 1 for everything, as KubeVirt's holder does). */
enum { CLI_EXIT_USAGE = 2 };

/* Ids of the shared options cli_next hands back; far above a role's own. */
enum { CLI_HELP = 1000, CLI_VERSION };

struct cli {
	/* 1: the role's default level; each -v one step more; 0 errors only. */
	int verbosity;
	enum log_format log_format;
};

/* Defaults (verbosity 1, JSON) and opt_start. */
void cli_start(struct cli *c, struct optstate *st, int argc, char **argv);
/* opt_next over the role's options, then the shared ones.  -v and
 * --log-format are taken here; CLI_HELP and CLI_VERSION are returned for
 * the role to act on (stop at once, or go on checking). */
int cli_next(struct cli *c, struct optstate *st, const struct opt *opts);
/* A parser's error text into err (cap bytes): "what 'arg'", or what alone
 * when arg is NULL.  Returns -1. */
int cli_err(char *err, size_t cap, const char *what, const char *arg);
/* Prints err as the usage error line; returns code. */
int cli_usage_error(const char *prog, const char *err, int code);
/* Writes s to stdout: 0, or 1 if it could not. */
int cli_print(const char *s);
/* "<name> <version>\n" on stdout, as cli_print. */
int cli_version(const char *name);
/* The level of c's verbosity: 1 is dflt, each step above one level more
 * (up to debug), 0 or less errors only. */
enum log_level cli_log_level(const struct cli *c, enum log_level dflt);
/* log_setup at that level, in c's format. */
void cli_log_setup(const char *prog, const struct cli *c, enum log_level dflt);

#endif
