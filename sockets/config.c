#include "config.h"

#include <limits.h>
#include <string.h>

enum { O_COPY = 1, O_NOOP, O_MANAGE, O_MANAGE_DIR, O_HEALTH, O_NOSECCOMP };

/* With cli.h's -v, -h, --version and --log-format. */
static const struct opt options[] = {
	{ "copy-path", 'c', 1, O_COPY },
	{ "no-op", 0, 0, O_NOOP },
	{ "manage", 0, 0, O_MANAGE },
	{ "manage-dir", 0, 1, O_MANAGE_DIR },
	{ "health-check", 0, 0, O_HEALTH },
	{ "no-seccomp", 0, 0, O_NOSECCOMP },
	{ 0, 0, 0, 0 },
};

static enum cd_parse bad(struct cd_config *c, const char *what, const char *arg)
{
	cli_err(c->err, sizeof(c->err), what, arg);
	return CD_PARSE_ERROR;
}

static enum cd_parse one(struct cd_config *c, int id, const char *arg)
{
	switch (id) {
	case O_COPY:
		if (!*arg)
			return bad(c, "--copy-path needs a path, got", arg);
		/* P.sock and every path built from it must fit PATH_MAX. */
		if (strlen(arg) + sizeof(".sock") > PATH_MAX)
			return bad(c, "--copy-path is longer than PATH_MAX:", arg);
		c->copy_path = arg;
		break;
	case O_NOOP: c->action = CD_NOOP; break;
	case O_MANAGE: c->manage = 1; break;
	case O_MANAGE_DIR:
		if (!*arg)
			return bad(c, "--manage-dir needs a directory, got", arg);
		if (strlen(arg) + sizeof("/") + NAME_MAX > PATH_MAX)
			return bad(c, "--manage-dir is too long:", arg);
		c->manage_dir = arg;
		break;
	case O_HEALTH: c->action = CD_HEALTH; break;
	case O_NOSECCOMP: c->seccomp = 0; break;
	case CLI_HELP: c->action = CD_HELP; break;
	case CLI_VERSION: c->action = CD_VERSION; break;
	}
	return CD_PARSE_OK;
}

enum cd_parse cd_config_parse(struct cd_config *c, int argc, char **argv)
{
	struct optstate st;
	int id;

	memset(c, 0, sizeof(*c));
	c->seccomp = 1;
	cli_start(&c->cli, &st, argc, argv);
	while ((id = cli_next(&c->cli, &st, options)) > 0) {
		if (one(c, id, st.arg) != CD_PARSE_OK)
			return CD_PARSE_ERROR;
		/* Like KubeVirt's getopt loop: --no-op ends parsing at once,
		 * so "--no-op --anything" still exits 0. */
		if (c->action == CD_NOOP || c->action == CD_HELP ||
		    c->action == CD_VERSION)
			return CD_PARSE_OK;
	}
	if (id == OPT_ERR) {
		memcpy(c->err, st.err, sizeof(st.err));
		return CD_PARSE_ERROR;
	}
	if (st.i < argc)
		return bad(c, "unexpected argument", argv[st.i]);
	if (c->action == CD_HOLD && !c->copy_path)
		return bad(c, "missing --copy-path PATH", 0);
	if (c->manage_dir && !c->manage)
		return bad(c, "--manage-dir DIR needs --manage", 0);
	return CD_PARSE_OK;
}
