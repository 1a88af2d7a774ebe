/* container-disk: KubeVirt's socket holder, as a drop-in. */
#include "config.h"
#include "holder.h"
#include "log.h"
#include "sig.h"

#include <string.h>
#include <unistd.h>

#ifndef TETHER_VERSION
#define TETHER_VERSION "0.1.0"
#endif

static const char usage[] =
"usage: container-disk --copy-path PATH [--manage] [OPTIONS]\n"
"       container-disk --no-op\n"
"       container-disk --health-check [--copy-path PATH]\n"
"\n"
"Listens on PATH.sock, accepts and closes every connection, and exits 0\n"
"when PATH.sock is removed or on SIGTERM, SIGINT, SIGHUP or SIGQUIT\n"
"(removing PATH.sock first).  virt-handler finds the container through\n"
"the listener's pid (SO_PEERCRED).\n"
"\n"
"  -c, --copy-path PATH  listen on PATH.sock; creates dirname(PATH)\n"
"  --manage              also own every *.sock of dirname(PATH): clear dead\n"
"                        ones at start, log arrivals and departures, remove\n"
"                        them all on shutdown (the hotplug pod's /path/hp)\n"
"  --no-op               exit 0 at once (image pre-pull init containers)\n"
"  --health-check        exit 0 if the holder of this container listens\n"
"                        (PATH.sock, or PID 1's --copy-path)\n"
"  --no-seccomp          do not install the seccomp filter\n"
"  --log-format FORMAT   json (default) or text, on stderr\n"
"  -v, --verbose         debug lines\n"
"  -h, --help            show this help\n"
"  --version             show the version\n"
"\n"
"Exit codes: 0 socket removed, stop signal, --no-op or healthy;\n"
"1 bad usage, set-up failure, fatal accept error or unhealthy.\n";

static int print(const char *s)
{
	return write(STDOUT_FILENO, s, strlen(s)) < 0 ? EXIT_FAIL : EXIT_OK;
}

int main(int argc, char **argv)
{
	struct cd_config cfg;
	sigset_t orig;

	if (sig_block_all(&orig) < 0) {
		log_error("sigprocmask: %m");
		return EXIT_FAIL;
	}
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
