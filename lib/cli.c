#include "cli.h"
#include "buf.h"

#include <string.h>
#include <unistd.h>

#ifndef TETHER_VERSION
#define TETHER_VERSION "0.1.0"
#endif

enum { CLI_HELP = 1000, CLI_VERSION, CLI_VERBOSE, CLI_QUIET, CLI_LEVEL, CLI_FORMAT };

/* Searched after the role's own table (opt.h's "more"). */
static const struct opt shared[] = {
	{ "help", 'h', 0, CLI_HELP },
	{ "version", 0, 0, CLI_VERSION },
	{ "verbose", 'v', 0, CLI_VERBOSE },
	{ "quiet", 'q', 0, CLI_QUIET },
	{ "log-level", 0, 1, CLI_LEVEL },
	{ "log-format", 0, 1, CLI_FORMAT },
	{ 0, 0, 0, 0 },
};

void cli_init(struct cli *c)
{
	c->verbosity = 1;
	c->level = -1;
	c->log_format = LOG_JSON;
	c->show = CLI_SHOW_NOTHING;
	c->text = 0;
	c->rest = 0;
	c->opts = 0;
	c->err[0] = '\0';
}

/* The names are lib/log.h's levels, not their indexes: there NOTICE sits
 * between WARN and INFO, and "info" must show LOG_INFO lines. */
static int level(struct cli *c, const char *arg)
{
	static const struct { const char *name; enum log_level lvl; } map[] = {
		{ "error", LOG_ERROR }, { "warning", LOG_WARN },
		{ "info", LOG_INFO }, { "debug", LOG_DEBUG },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(*map); i++)
		if (!strcmp(arg, map[i].name)) {
			c->level = map[i].lvl;
			return CLI_OK;
		}
	return cli_err(c, "--log-level takes error, warning, info or debug, not", arg);
}

static int shared_opt(struct cli *c, int id, const char *arg)
{
	switch (id) {
	case CLI_HELP: c->show = CLI_SHOW_HELP; return CLI_DONE;
	case CLI_VERSION: c->show = CLI_SHOW_VERSION; return CLI_DONE;
	case CLI_VERBOSE: c->verbosity++; return CLI_OK;
	case CLI_QUIET: c->verbosity = 0; return CLI_OK;
	case CLI_LEVEL: return level(c, arg);
	}
	if (log_format_parse(arg, &c->log_format))
		return cli_err(c, "--log-format takes json or text, not", arg);
	return CLI_OK;
}

int cli_parse(struct cli *c, int argc, char **argv, const struct opt *opts,
	      cli_opt_fn *fn, void *cfg)
{
	struct optstate st;
	int id = OPT_END, r = CLI_OK;

	opt_start(&st, argc, argv);
	st.more = shared;
	c->opts = opts;
	while (r == CLI_OK && (id = opt_next(&st, c->opts)) > 0)
		r = id >= CLI_HELP ? shared_opt(c, id, st.arg) : fn(cfg, id, st.arg);
	if (r != CLI_OK)
		return r;
	if (id == OPT_ERR) {
		memcpy(c->err, st.err, sizeof(st.err));
		return CLI_ERROR;
	}
	c->rest = argv + st.i;
	return CLI_OK;
}

int cli_err(struct cli *c, const char *what, const char *arg)
{
	struct buf b = BUF_INIT(c->err);

	buf_str(&b, what);
	if (arg)
		buf_printf(&b, " '%s'", arg);
	buf_cstr(&b);
	return CLI_ERROR;
}

int cli_end(const struct cli_role *r, const struct cli *c, int result)
{
	if (result == CLI_ERROR)
		return cli_usage_error(r->prog, c->err, r->usage_exit);
	switch (c->show) {
	case CLI_SHOW_HELP: return cli_print(r->usage);
	case CLI_SHOW_VERSION: return cli_version(r->version);
	case CLI_SHOW_TEXT: return cli_print(c->text);
	case CLI_SHOW_NOTHING: break;
	}
	return 0;
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
	int base = c->level >= 0 ? c->level : (int)dflt;
	int lvl = c->verbosity <= 0 ? LOG_ERROR : base + c->verbosity - 1;

	return lvl > LOG_DEBUG ? LOG_DEBUG : (enum log_level)lvl;
}

void cli_log_setup(const char *component, const struct cli *c, enum log_level dflt)
{
	log_setup(component, cli_log_level(c, dflt), c->log_format);
}
