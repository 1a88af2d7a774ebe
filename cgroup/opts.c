/* tether-enter's command line. */
#include "enter.h"
#include "buf.h"
#include "caps.h"
#include "fd.h"

#include <string.h>

enum {
	O_PID = 1, O_TSOCK, O_LOCK, O_LOCKDIR, O_ENV, O_CAPS, O_STDIO, O_DRY,
	O_PRESET, O_BIN, O_SHARED, O_SOCKPATH, O_UID, O_FLAVOR,
	O_STRICT, O_NEWPRIVS, O_NOREG,
};

/* With cli.h's shared options (-q among them). */
static const struct opt options[] = {
	{ "pid", 'p', 1, O_PID },
	{ "target-socket", 't', 1, O_TSOCK },
	{ "lock-file", 0, 1, O_LOCK },
	{ "lock-dir", 0, 1, O_LOCKDIR },
	{ "env", 'e', 1, O_ENV },
	{ "caps", 0, 1, O_CAPS },
	{ "stdio", 0, 1, O_STDIO },
	{ "dry-run", 'n', 0, O_DRY },
	{ "virtiofsd", 0, 0, O_PRESET },
	{ "virtiofsd-bin", 0, 1, O_BIN },
	{ "shared-dir", 'd', 1, O_SHARED },
	{ "socket-path", 's', 1, O_SOCKPATH },
	{ "uid", 0, 1, O_UID },
	{ "flavor", 0, 1, O_FLAVOR },
	{ "strict", 0, 0, O_STRICT },
	{ "allow-new-privs", 0, 0, O_NEWPRIVS },
	{ "no-register", 0, 0, O_NOREG },
	{ 0, 0, 0, 0 },
};

static int bad(struct opts *o, const char *what, const char *arg)
{
	return cli_err(&o->cli, what, arg);
}

/* A comma list of names or numbers, or "none"; nothing empty. */
static int parse_caps(struct opts *o, const char *list)
{
	const char *all = list;
	char name[32];

	o->caps = 0;
	o->caps_set = 1;
	if (!strcmp(list, "none"))
		return 0;
	for (;;) {
		size_t n = strcspn(list, ",");
		int cap;

		if (n == 0 || n >= sizeof(name))
			return bad(o, "--caps takes a comma list of capabilities (or none), not", all);
		memcpy(name, list, n);
		name[n] = '\0';
		if ((cap = cap_parse(name)) < 0)
			return bad(o, "--caps: unknown capability", name);
		o->caps |= 1ULL << cap;
		if (!list[n])
			return 0;
		list += n + 1;
	}
}

static int absolute(struct opts *o, const char *opt, const char *path)
{
	struct buf b = BUF_INIT(o->cli.err);

	if (path[0] == '/' && strlen(path) < 4096)
		return CLI_OK;
	buf_printf(&b, "%s takes an absolute path shorter than 4096 bytes, not '%.64s'", opt, path);
	buf_cstr(&b);
	return CLI_ERROR;
}

static int one(void *cfg, int id, const char *arg)
{
	struct opts *o = cfg;
	long n;

	switch (id) {
	case O_PID:
		if (parse_long(arg, 1, 4194304, &n))
			return bad(o, "--pid takes a process id (1 to 4194304), not", arg);
		o->pid = n;
		return 0;
	case O_TSOCK: return absolute(o, "--target-socket", o->target_socket = arg);
	case O_LOCK:
	case O_LOCKDIR:
		return bad(o, "--lock-file and --lock-dir are gone: the placeholder keeps one program per container itself (no host state); refusing",
			   arg);
	case O_SHARED: return absolute(o, "--shared-dir", o->shared_dir = arg);
	case O_SOCKPATH:
		/* virtiofsd binds it: it must fit in sun_path. */
		if (arg[0] != '/' || strlen(arg) >= 108)
			return bad(o, "--socket-path takes an absolute path shorter than 108 bytes (a socket address), not",
				   arg);
		o->socket_path = arg;
		return 0;
	case O_BIN: return absolute(o, "--virtiofsd-bin", o->bin = arg);
	case O_ENV:
		if (!strchr(arg, '=') || arg[0] == '=')
			return bad(o, "--env takes KEY=VALUE, not", arg);
		if (o->nenv == MAX_ENV)
			return bad(o, "--env: at most 32 variables, refusing", arg);
		o->env[o->nenv++] = (char *)arg;
		return 0;
	case O_CAPS: return parse_caps(o, arg);
	case O_STDIO:
		if (!strcmp(arg, "container")) o->stdio = STDIO_CONTAINER;
		else if (!strcmp(arg, "inherit")) o->stdio = STDIO_INHERIT;
		else if (!strcmp(arg, "null")) o->stdio = STDIO_NULL;
		else return bad(o, "--stdio takes container, inherit or null, not", arg);
		return 0;
	case O_FLAVOR:
		if (!strcmp(arg, "auto")) o->flavor = FLAVOR_AUTO;
		else if (!strcmp(arg, "rust")) o->flavor = FLAVOR_RUST;
		else if (!strcmp(arg, "c")) o->flavor = FLAVOR_C;
		else return bad(o, "--flavor takes auto, rust or c, not", arg);
		return 0;
	case O_UID:
		if (parse_long(arg, 0, 4294967294L, &o->uid))
			return bad(o, "--uid takes a user id, not", arg);
		return 0;
	case O_DRY: o->dry_run = 1; return 0;
	case O_PRESET: o->preset = 1; return 0;
	case O_STRICT: o->strict = 1; return 0;
	case O_NEWPRIVS: o->new_privs = 1; return 0;
	case O_NOREG: o->no_register = 1; return 0;
	}
	return 0;
}

static int words(char **v)
{
	int n = 0;

	while (v[n])
		n++;
	return n;
}

static int check(struct opts *o)
{
	int max = MAX_ARGV;
	struct buf b = BUF_INIT(o->cli.err);

	if (!o->pid && !o->target_socket)
		return bad(o, "give --pid PID, --target-socket PATH, or both; usage:",
			   "tether-enter [OPTIONS] (--pid PID | --target-socket PATH) -- PROGRAM [ARGS...]");
	/* The dispatcher's own call: --pid, --socket-path, --shared-dir. */
	if (!o->preset && !o->rest[0] && (o->shared_dir || o->socket_path))
		o->preset = 1;
	if (o->preset && (!o->shared_dir || !o->socket_path))
		return bad(o, "--virtiofsd needs --shared-dir and --socket-path, missing",
			   o->shared_dir ? "--socket-path" : "--shared-dir");
	if (!o->preset && (o->shared_dir || o->socket_path || o->bin))
		return bad(o, "--shared-dir, --socket-path and --virtiofsd-bin belong to",
			   "--virtiofsd");
	if (!o->preset && !o->rest[0])
		return bad(o, "no program to run; usage:",
			   "tether-enter [OPTIONS] (--pid PID | --target-socket PATH) -- PROGRAM [ARGS...]");
	if (!o->preset && o->rest[0][0] != '/')
		return bad(o, "PROGRAM is a path in the container and must be absolute, not", o->rest[0]);
	if (o->preset)
		max -= PRESET_WORDS;
	if (words(o->rest) > max) {
		buf_printf(&b, "%s: %d words, more than %d", o->preset ? "extra virtiofsd arguments" :
			   "PROGRAM and its arguments", words(o->rest), max);
		buf_cstr(&b);
		return CLI_ERROR;
	}
	return CLI_OK;
}

/* lib/cli.h's contract; after CLI_OK every value is final (the defaults,
 * the dispatcher's preset): nothing changes o afterwards. */
int opts_parse(struct opts *o, int argc, char **argv)
{
	int r;

	memset(o, 0, sizeof(*o));
	cli_init(&o->cli);
	o->uid = 107;
	/* Called as virt-handler calls KubeVirt's dispatcher. */
	o->preset = o->dispatcher = called_as(argv[0], "virtiofs-dispatcher");
	r = cli_parse(&o->cli, argc, argv, options, one, o);
	if (r != CLI_OK)
		return r;
	o->rest = o->cli.rest;
	if (check(o) < 0)
		return CLI_ERROR;
	if (!o->bin)
		o->bin = "/usr/libexec/virtiofsd";
	return CLI_OK;
}
