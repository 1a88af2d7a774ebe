/* The command line every role shares: one parse contract, the options
 * they all take with one meaning each, the one error line
 * "<prog>: error: ... (see <prog> --help)" and the version line.
 *
 * Every role's parser is
 *
 *     int <role>_parse(struct <config> *out, int argc, char **argv, ...)
 *
 * and returns CLI_OK (out is ready, and read-only from then on),
 * CLI_DONE (nothing to run: main prints what out->cli.show says and
 * exits 0) or CLI_ERROR (out->cli.err holds the error text; main prints
 * it as the usage error line and exits with the role's usage code).
 * main hands either of the last two to cli_end.
 *
 * The shared options, the same in every role (README "Shared options"):
 *   -h, --help        the role's usage on stdout, exit 0; ends the parse
 *   --version         "<name> <version>" on stdout, exit 0; ends the parse
 *   -v, --verbose     one log level more (repeatable)
 *   -q, --quiet       errors only; a -v after it counts up from there
 *                     again, so -q -v is the default level
 *   --log-level L     error, warning, info or debug: the level -v counts
 *                     from (default: the role's own)
 *   --log-format F    json (default) or text, on stderr
 * Each role keeps its own options, checks and exit codes. */
#ifndef TETHER_CLI_H
#define TETHER_CLI_H

#include "log.h"
#include "opt.h"

/* A bad command line, for the roles whose callers tell codes apart
 * (container-disk exits 1 for everything, as KubeVirt's holder does). */
enum { CLI_EXIT_USAGE = 2 };

/* What a parser returns. */
enum { CLI_ERROR = -1, CLI_OK = 0, CLI_DONE = 1 };

/* What main prints after CLI_DONE. */
enum cli_show { CLI_SHOW_NOTHING, CLI_SHOW_HELP, CLI_SHOW_VERSION, CLI_SHOW_TEXT };

struct cli {
	/* 1: the level (--log-level, or the role's default); each -v one
	 * level more; 0 (-q): errors only. */
	int verbosity;
	int level;		/* --log-level's enum log_level, or -1 */
	enum log_format log_format;
	enum cli_show show;	/* after CLI_DONE */
	const char *text;	/* CLI_SHOW_TEXT */
	char **rest;		/* after CLI_OK: the first operand */
	/* The role's table cli_parse searches; a handler may switch it for
	 * the options after its own (tether's --placeholder: -s PATH). */
	const struct opt *opts;
	char err[256];		/* after CLI_ERROR */
};

/* A role's own options, one at a time: CLI_OK to go on, CLI_DONE to end
 * the parse there (cfg says why), CLI_ERROR after cli_err. */
typedef int cli_opt_fn(void *cfg, int id, const char *arg);

/* The defaults above: verbosity 1, the role's level, JSON. */
void cli_init(struct cli *c);
/* Parses argv's options up to the first operand (or "--"): the shared
 * ones here, the role's (c->opts = opts; ids from 1, below 1000) through
 * fn(cfg, id, arg).
 * CLI_OK with c->rest set, CLI_DONE, or CLI_ERROR with c->err. */
int cli_parse(struct cli *c, int argc, char **argv, const struct opt *opts,
	      cli_opt_fn *fn, void *cfg);
/* The error text into c->err: "what 'arg'", or what alone when arg is
 * NULL.  Returns CLI_ERROR. */
int cli_err(struct cli *c, const char *what, const char *arg);

/* What main needs to end after CLI_DONE or CLI_ERROR. */
struct cli_role {
	const char *prog;	/* the error line's name */
	const char *version;	/* the version line's name */
	const char *usage;	/* --help's text */
	int usage_exit;		/* the exit code of a bad command line */
};
/* CLI_ERROR: the usage error line, the role's usage code.  CLI_DONE: what
 * c->show says on stdout; 0, or 1 if it could not be written. */
int cli_end(const struct cli_role *r, const struct cli *c, int result);
/* Prints err as the usage error line; returns code. */
int cli_usage_error(const char *prog, const char *err, int code);
/* Writes s to stdout: 0, or 1 if it could not. */
int cli_print(const char *s);
/* "<name> <version>\n" on stdout, as cli_print. */
int cli_version(const char *name);
/* The level c asks for, with dflt the role's default. */
enum log_level cli_log_level(const struct cli *c, enum log_level dflt);
/* log_setup at that level, in c's format, under component's name. */
void cli_log_setup(const char *component, const struct cli *c, enum log_level dflt);

#endif
