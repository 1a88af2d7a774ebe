#include "cli.h"
#include "buf.h"

#include <string.h>
#include <unistd.h>

#ifndef TETHER_VERSION
#define TETHER_VERSION "0.1.0"
#endif

enum { CLI_VERBOSE = CLI_VERSION + 1, CLI_LOGFMT };

static const struct opt shared[] = {
	{ "verbose", 'v', 0, CLI_VERBOSE },
	{ "help", 'h', 0, CLI_HELP },
	{ "version", 0, 0, CLI_VERSION },
	{ "log-format", 0, 1, CLI_LOGFMT },
	{ 0, 0, 0, 0 },
};

void cli_start(struct cli *c, struct optstate *st, int argc, char **argv)
{
	c->verbosity = 1;
	c->log_format = LOG_JSON;
	opt_start(st, argc, argv);
	st->more = shared;
}

int cli_next(struct cli *c, struct optstate *st, const struct opt *opts)
{
	int id;

	while ((id = opt_next(st, opts)) == CLI_VERBOSE || id == CLI_LOGFMT) {
		if (id == CLI_VERBOSE) {
			c->verbosity++;
		} else if (log_format_parse(st->arg, &c->log_format)) {
			cli_err(st->err, sizeof(st->err), "--log-format takes json or text, not", st->arg);
			return OPT_ERR;
		}
	}
	return id;
}

int cli_err(char *err, size_t cap, const char *what, const char *arg)
{
	struct buf b = { err, 0, cap, 0 };

	buf_str(&b, what);
	if (arg)
		buf_printf(&b, " '%s'", arg);
	buf_cstr(&b);
	return -1;
}

int cli_usage_error(const char *prog, const char *err, int code)
{
	log_setup(prog, LOG_ERROR, LOG_TEXT);
	log_error("%s (see %s --help)", err, prog);
	return code;
}

int cli_print(const char *s)
{
	return write(STDOUT_FILENO, s, strlen(s)) < 0;
}

int cli_version(const char *name)
{
	char line[96];
	struct buf b = BUF_INIT(line);

	buf_printf(&b, "%s " TETHER_VERSION "\n", name);
	return cli_print(buf_cstr(&b));
}

enum log_level cli_log_level(const struct cli *c, enum log_level dflt)
{
	int lvl = c->verbosity <= 0 ? LOG_ERROR : (int)dflt + c->verbosity - 1;

	return lvl > LOG_DEBUG ? LOG_DEBUG : (enum log_level)lvl;
}

void cli_log_setup(const char *prog, const struct cli *c, enum log_level dflt)
{
	log_setup(prog, cli_log_level(c, dflt), c->log_format);
}
