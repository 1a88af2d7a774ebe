/* container-disk: KubeVirt's socket holder, as a drop-in. */
#include "config.h"
#include "holder.h"
#include "log.h"
#include "role.h"

#include <string.h>
#include <unistd.h>

#ifndef TETHER_VERSION
#define TETHER_VERSION "0.1.0"
#endif

static const char usage[] =
"usage: container-disk -c|--copy-path PATH [--manage] [OPTIONS]\n"
"       container-disk --no-op | --health-check [-c PATH]\n"
"Listens on PATH.sock, accepts and closes every connection; exits 0 when\n"
"PATH.sock is removed or on SIGTERM/INT/HUP/QUIT (removing it first).\n"
"  --manage         own dirname(PATH)'s *.sock: clear dead ones, log, and\n"
"                   remove them all on shutdown (hotplug pod's /path/hp)\n"
"  --no-op          exit 0 at once\n"
"  --health-check   exit 0 if this container's holder listens\n"
"  --no-seccomp     no seccomp filter\n"
"  --log-format F   json (default) or text\n"
"  -v, --verbose    debug lines\n"
"  -h, --help; --version\n"
"Exit: 0 socket removed, stop signal, --no-op, healthy; 1 any error.\n";

static int print(const char *s)
{
	return write(STDOUT_FILENO, s, strlen(s)) < 0 ? EXIT_FAIL : EXIT_OK;
}

int main(int argc, char **argv)
{
	struct cd_config cfg;
	struct role_start rs;

	if (role_start(&rs) < 0)
		return EXIT_FAIL;
	if (cd_config_parse(&cfg, argc, argv) != CD_PARSE_OK) {
		log_setup("container-disk", LOG_ERROR, LOG_TEXT);
		log_error("%s (see container-disk --help)", cfg.err);
		return EXIT_FAIL;
	}
	log_setup("container-disk", cfg.verbose ? LOG_DEBUG : LOG_INFO,
		  cfg.log_format);
	switch (cfg.action) {
	case CD_NOOP:
		return EXIT_OK;
	case CD_HELP:
		return print(usage);
	case CD_VERSION:
		return print("container-disk (tether) " TETHER_VERSION "\n");
	case CD_HEALTH:
		return health_check(&cfg);
	case CD_HOLD:
		break;
	}
	return holder_run(&cfg);
}
