#include "config.h"

#include <limits.h>
#include <string.h>

enum { O_COPY = 1, O_NOOP, O_MANAGE, O_MANAGE_DIR, O_HEALTH, O_NOSECCOMP };

/* With cli.h's shared options. */
static const struct opt options[] = {
	{ "copy-path", 'c', 1, O_COPY },
	{ "no-op", 0, 0, O_NOOP },
	{ "manage", 0, 0, O_MANAGE },
	{ "manage-dir", 0, 1, O_MANAGE_DIR },
	{ "health-check", 0, 0, O_HEALTH },
	{ "no-seccomp", 0, 0, O_NOSECCOMP },
	{ 0, 0, 0, 0 },
};

static int bad(struct cd_config *c, const char *what, const char *arg)
{
	return cli_err(&c->cli, what, arg);
}

static int one(void *cfg, int id, const char *arg)
{
	struct cd_config *c = cfg;

	switch (id) {
	case O_COPY:
		if (!*arg)
			return bad(c, "--copy-path needs a path, got", arg);
		/* P.sock and every path built from it must fit PATH_MAX. */
		if (strlen(arg) + sizeof(".sock") > PATH_MAX)
			return bad(c, "--copy-path is longer than PATH_MAX:", arg);
		c->copy_path = arg;
		break;
	/* Like KubeVirt's getopt loop: --no-op ends parsing at once, so
	 * "--no-op --anything" still exits 0. */
	case O_NOOP: return CLI_DONE;
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
	}
	return CLI_OK;
}

int cd_config_parse(struct cd_config *c, int argc, char **argv)
{
	int r;

	memset(c, 0, sizeof(*c));
	cli_init(&c->cli);
	c->seccomp = 1;
	r = cli_parse(&c->cli, argc, argv, options, one, c);
	if (r != CLI_OK)
		return r;
	if (*c->cli.rest)
		return bad(c, "unexpected argument", *c->cli.rest);
	if (c->action == CD_HOLD && !c->copy_path)
		return bad(c, "missing --copy-path PATH", 0);
	if (c->manage_dir && !c->manage)
		return bad(c, "--manage-dir DIR needs --manage", 0);
	return CLI_OK;
}
