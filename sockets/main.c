/* container-disk: KubeVirt's socket holder, as a drop-in. */
#include "config.h"
#include "health.h"
#include "holder.h"
#include "role.h"

static const char usage[] =
"usage: container-disk -c|--copy-path PATH [--manage [--manage-dir DIR]] [OPTIONS]\n"
"       container-disk --no-op | --health-check [-c PATH]\n"
"Listens on PATH.sock, accepts and closes every connection; exits 0 when\n"
"PATH.sock is removed or on SIGTERM/INT/HUP/QUIT (removing it first).\n"
"  --manage         own dirname(PATH)'s *.sock: clear dead ones, log, and\n"
"                   remove them all on shutdown (hotplug pod's /path/hp)\n"
"  --manage-dir DIR manage DIR's *.sock instead of dirname(PATH) (the\n"
"                   sidecars' own emptyDir, as Deckhouse lays the pod out)\n"
"  --no-op          exit 0 at once\n"
"  --health-check   exit 0 if this container's holder listens\n"
"  --no-seccomp     no seccomp filter\n"
"Shared: -v, --verbose (repeatable); -q, --quiet (errors only);\n"
"  --log-level error|warning|info|debug; --log-format json|text;\n"
"  -h, --help; --version\n"
"Exit: 0 socket removed, stop signal, --no-op, healthy; 1 any error.\n";

/* KubeVirt's holder exits 1 on a bad command line too. */
static const struct cli_role role = {
	"container-disk", "container-disk (tether)", usage, EXIT_FAIL,
};

int main(int argc, char **argv)
{
	struct cd_config cfg;
	struct role_start rs;
	int r;

	if (role_start(&rs) < 0)
		return EXIT_FAIL;
	if ((r = cd_config_parse(&cfg, argc, argv)) != CLI_OK)
		return cli_end(&role, &cfg.cli, r);
	cli_log_setup("container-disk", &cfg.cli, LOG_INFO);
	if (cfg.action == CD_HEALTH)
		return health_check(&cfg);
	return holder_run(&cfg);
}
