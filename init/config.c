#include "config.h"
#include "fd.h"
#include "role.h"
#include "sig.h"

#include <string.h>

enum {
	O_SUBREAPER = 1, O_GROUP, O_REMAP, O_PDEATH, O_WARN, O_LICENSE,
	O_GRACE, O_PAUSE, O_FWDONLY, O_PLACEHOLDER, O_SOCKET,
};

/* With cli.h's shared options.  The placeholder parses from the first
 * entry, so that -s there is KubeVirt's prototype's -s PATH; the other
 * modes from the second (tini's -s flag). */
static const struct opt options[] = {
	{ 0, 's', 1, O_SOCKET },
	{ 0, 's', 0, O_SUBREAPER },
	{ 0, 'g', 0, O_GROUP },
	{ 0, 'e', 1, O_REMAP },
	{ 0, 'p', 1, O_PDEATH },
	{ 0, 'w', 0, O_WARN },
	{ 0, 'l', 0, O_LICENSE },
	{ "grace", 0, 1, O_GRACE },
	{ "pause", 'P', 0, O_PAUSE },
	{ "forward-only", 0, 1, O_FWDONLY },
	{ "placeholder", 0, 0, O_PLACEHOLDER },
	{ "socket", 0, 1, O_SOCKET },
	{ "socket-path", 0, 1, O_SOCKET },
	{ 0, 0, 0, 0 },
};

static const char *env_get(char **envp, const char *name)
{
	size_t n = strlen(name);

	for (; envp && *envp; envp++)
		if (!strncmp(*envp, name, n) && (*envp)[n] == '=')
			return *envp + n + 1;
	return 0;
}

static const char license[] =
"tether is free software under the MIT License; see the LICENSE file.\n";

static int bad(struct config *c, const char *what, const char *arg)
{
	return cli_err(&c->cli, what, arg);
}

/* Nothing to run: print text, exit 0. */
static int show(struct config *c, const char *text)
{
	c->cli.show = CLI_SHOW_TEXT;
	c->cli.text = text;
	return CLI_DONE;
}

static int placeholder_check(struct config *c)
{
	if (c->argv[0])
		return bad(c, "the placeholder runs no program, but got", c->argv[0]);
	if (!c->socket)
		return bad(c, "the placeholder needs --socket PATH; usage:", "tether --placeholder --socket PATH");
	return CLI_OK;
}

static void defaults(struct config *c, char **envp)
{
	const char *v = env_get(envp, "TINI_VERBOSITY");
	long n;

	c->grace_ms = 5000;
	role_stop_signals(STOP_TETHER, &c->stop_signals);
	/* tini reads the presence of these, whatever their value. */
	if (env_get(envp, "TINI_KILL_PROCESS_GROUP"))
		c->group = 1;
	if (v && !parse_long(v, 0, 10, &n))
		c->cli.verbosity = n;
}

static int one(void *cfg, int id, const char *arg)
{
	struct config *c = cfg;
	long n;
	int sig;

	switch (id) {
	case O_SUBREAPER: break;	/* always a subreaper when not PID 1 */
	case O_GROUP: c->group = 1; break;
	case O_WARN: c->warn_reap = 1; break;
	/* The table follows the mode: -s is a path only in the placeholder. */
	case O_PAUSE:
		c->mode = MODE_PAUSE;
		c->cli.opts = options + 1;
		break;
	case O_PLACEHOLDER:
		c->mode = MODE_PLACEHOLDER;
		c->cli.opts = options;
		break;
	case O_SOCKET:
		if (*arg != '/')
			return bad(c, "--socket takes an absolute path, not", arg);
		/* Any path length works (bound from its directory), but the
		 * name itself must fit in a socket address. */
		if (strlen(path_base(arg)) >= 108)
			return bad(c, "--socket: the socket's name (after the last /) must be shorter than 108 bytes; refusing",
				   path_base(arg));
		c->socket = arg;
		break;
	case O_LICENSE: return show(c, license);
	case O_REMAP:
		if (parse_long(arg, 0, 255, &n))
			return bad(c, "-e takes an exit code from 0 to 255, not", arg);
		c->remap[n / 8] |= 1 << (n % 8);
		break;
	case O_PDEATH:
		if ((sig = sig_parse(arg)) < 0)
			return bad(c, "-p: unknown signal", arg);
		c->pdeathsig = sig;
		break;
	case O_GRACE:
		if (parse_seconds_ms(arg, 86400, &c->grace_ms))
			return bad(c, "--grace takes seconds (0 to 86400, up to 3 decimals), not", arg);
		break;
	case O_FWDONLY:
		if ((sig = sig_parse(arg)) < 0 || sig == SIGKILL || sig == SIGSTOP || sig == SIGCHLD)
			return bad(c, "--forward-only takes a signal tether forwards (not KILL, STOP or CHLD), not", arg);
		sigdelset(&c->stop_signals, sig);
		break;
	}
	return CLI_OK;
}

/* Called by another program's name: Deckhouse's temp_pod (print a line,
 * exit 0) and an image holder's "sleep infinity" (pause).  Nothing else is
 * accepted under those names. */
static int alias(struct config *c, int argc, char **argv)
{
	if (called_as(argv[0], "temp_pod")) {
		if (argc > 1)
			return bad(c, "as temp_pod, tether takes no arguments, not", argv[1]);
		return show(c, "temp_pod (tether): nothing to run\n");
	}
	c->mode = MODE_PAUSE;
	c->argv = argv + argc;
	if (argc == 2 && !strcmp(argv[1], "infinity"))
		return CLI_OK;
	return bad(c, "as sleep, tether only pauses; usage:", "sleep infinity");
}

int config_parse(struct config *c, int argc, char **argv, char **envp)
{
	int r;

	memset(c, 0, sizeof(*c));
	cli_init(&c->cli);
	defaults(c, envp);
	if (argc > 0 && (called_as(argv[0], "temp_pod") || called_as(argv[0], "sleep")))
		return alias(c, argc, argv);
	/* KubeVirt's prototype interface: the image runs it by this name. */
	if (argc > 0 && called_as(argv[0], "virtiofs-placeholder"))
		c->mode = MODE_PLACEHOLDER;
	r = cli_parse(&c->cli, argc, argv, options + (c->mode != MODE_PLACEHOLDER), one, c);
	if (r != CLI_OK)
		return r;
	c->argv = c->cli.rest;
	if (c->mode == MODE_RUN && !c->argv[0])
		return bad(c, "no program to run; usage:", "tether [OPTIONS] [--] PROGRAM [ARGS...]");
	if (c->mode == MODE_PLACEHOLDER)
		return placeholder_check(c);
	if (c->socket)
		return bad(c, "--socket is for --placeholder, not for mode", c->mode == MODE_PAUSE ? "pause" : "run");
	if (c->mode == MODE_PAUSE && c->argv[0])
		return bad(c, "--pause runs no program, but got", c->argv[0]);
	return CLI_OK;
}

int config_exit_code(const struct config *c, int code)
{
	return c->remap[code / 8] >> (code % 8) & 1 ? 0 : code;
}
