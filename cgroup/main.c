/* tether-enter: start a program inside a running container's cgroups and
 * namespaces, as a child of the container's init (README.md). */
#include "enter.h"
#include "buf.h"
#include "log.h"
#include "role.h"

#include <string.h>
#include <unistd.h>

static const char usage[] =
"usage: tether-enter [OPTIONS] (--pid PID | --target-socket PATH) -- PROGRAM [ARGS...]\n"
"       tether-enter [OPTIONS] (--pid PID | --target-socket PATH) --virtiofsd\n"
"                    --shared-dir DIR --socket-path PATH [-- EXTRA-ARGS...]\n"
"       virtiofs-dispatcher --pid PID --socket-path PATH --shared-dir DIR\n"
"\n"
"Starts PROGRAM (a path in the container) in the target's cgroups, root and\n"
"cgroup, ipc, mnt, net, pid and uts namespaces (never its user namespace),\n"
"as a child of the container's init; exits 0 once PROGRAM's exec succeeded.\n"
"The target must be the init of a container in our user namespace.\n"
"\n"
"  -p, --pid PID            the target process (the container's init)\n"
"  -t, --target-socket PATH the placeholder's socket: its listener is the\n"
"                           target (with --pid too, it must be PID)\n"
"  -e, --env KEY=VALUE      the program's environment (empty otherwise)\n"
"      --caps LIST          capabilities kept (comma list, or none); default\n"
"                           all, or virtiofsd's set with --virtiofsd\n"
"      --allow-new-privs    do not set no_new_privs (setuid binaries and file\n"
"                           capabilities then work in the program)\n"
"      --stdio MODE         container (its init's stdout/stderr, default),\n"
"                           inherit or null\n"
"      --no-register        with --pid, never register with a placeholder\n"
"  -n, --dry-run            print what would be done; change nothing\n"
"      --virtiofsd          build virtiofsd's argv (KubeVirt's flags)\n"
"      --virtiofsd-bin PATH default /usr/libexec/virtiofsd\n"
"  -d, --shared-dir DIR     the directory to share\n"
"  -s, --socket-path PATH   virtiofsd's vhost-user socket (< 108 bytes)\n"
"      --uid UID            host uid guest files are squashed to (107)\n"
"      --flavor F           auto (from --version), rust (>= 1.13) or c (7.2)\n"
"      --strict             refuse what the flavour cannot honour\n"
"\n"
"Shared: -v, --verbose (repeatable); -q, --quiet (errors only);\n"
"  --log-level error|warning|info|debug; --log-format json|text;\n"
"  -h, --help; --version\n"
"\n"
"Exit codes: 0 started, already running, or dry run; 2 usage; 3 target not\n"
"ready (retry); 4 cgroup; 5 namespace; 7 stdio; 8 exec; 9 the launcher;\n"
"10 refused: not a container init we may enter; 11 the placeholder did not\n"
"accept the registration (the program was killed).\n";

static void out(struct buf *b)
{
	if (write(STDOUT_FILENO, b->p, b->len) < 0)
		log_warn("writing to stdout: %m");
	b->len = 0;
}

static const struct cli_role role = {
	"tether-enter", "tether-enter", usage, ENTER_USAGE,
};

static void dry_run(const struct opts *o, const struct target *t)
{
	static char text[8192];
	struct buf b = BUF_INIT(text);
	int known = !o->preset || o->flavor != FLAVOR_AUTO;

	buf_printf(&b, "target pid %d\n", t->pid);
	for (int i = 0; i < t->ncg; i++)
		buf_printf(&b, "cgroup %s%s\n", t->cgs[i].dir,
			   t->cgs[i].v2 ? " (v2: CLONE_INTO_CGROUP)" : "");
	for (int i = 0; i < NNS; i++)
		if (t->nsfd[i] >= 0)
			buf_printf(&b, "namespace %s\n", ns_names[i]);
	buf_printf(&b, "oom_score_adj %d\nstdio %s\nregister %s\nno_new_privs %s\n",
		   t->oom,
		   o->stdio == STDIO_CONTAINER ? "container" : o->stdio == STDIO_NULL ? "null" : "inherit",
		   t->conn >= 0 ? "yes" : "no", o->new_privs ? "no" : "yes");
	for (int i = 0; i < o->nenv; i++)
		buf_printf(&b, "env %s\n", o->env[i]);
	if (!known)
		buf_str(&b, "flavor unknown: --dry-run runs nothing in the container, so virtiofsd --version was not asked (give --flavor rust or c)\n"
			"argv unknown\n");
	for (int i = 0; known && t->argv[i]; i++)
		buf_printf(&b, "argv %s\n", t->argv[i]);
	out(&b);
}

static int run(const struct opts *o)
{
	static struct target t;
	int rc;

	if ((rc = target_find(o, &t)) != 0)
		return rc;
	if (cg_resolve(&t) < 0)
		return ENTER_CGROUP;
	if ((rc = reg_find(o, &t)) != 0)
		return rc;
	if (o->dry_run) {
		if ((!o->preset || o->flavor != FLAVOR_AUTO) && preset_argv(o, &t, o->flavor, 1013) < 0)
			return ENTER_EXEC;
		dry_run(o, &t);
		return ENTER_OK;
	}
	/* Before any of the container's code runs (the probe included): the
	 * placeholder proves it is one and reserves the launch for us. */
	if ((rc = reg_reserve(&t)) != 0)
		return rc == RESERVE_HELD ? ENTER_OK : rc;
	if ((rc = program_argv(o, &t)) != 0)
		return rc;
	if (target_stdio(o, &t) < 0)
		return ENTER_STDIO;
	return launch(o, &t);
}

int main(int argc, char **argv)
{
	static struct opts o;
	struct role_start rs;
	int r;

	/* Not PID 1 and no child of its gets our signal state (launch.c
	 * gives the program a clean one); an ignored SIGCHLD reset keeps its
	 * waits for the launcher working. */
	if (role_start(&rs) < 0)
		return ENTER_SYS;
	if ((r = opts_parse(&o, argc, argv)) != CLI_OK)
		return cli_end(&role, &o.cli, r);
	cli_log_setup("tether-enter", &o.cli, LOG_INFO);
	return run(&o);
}
