/* tether: PID 1 for a container. */
#include "config.h"
#include "placeholder.h"
#include "run.h"
#include "role.h"

extern char **environ;

static const char usage[] =
"usage: tether [OPTIONS] [--] PROGRAM [ARGS...]\n"
"       tether --pause [OPTIONS]\n"
"       tether --placeholder --socket PATH [OPTIONS]  (see PLACEHOLDER.md)\n"
"       sleep infinity   (as --pause)       temp_pod   (prints a line)\n"
"\n"
"Runs PROGRAM as the child of PID 1: forwards signals to it, reaps every\n"
"zombie, stops the whole tree TERM -> grace -> KILL when it exits, and\n"
"exits with its status (128+N when killed by signal N).\n"
"\n"
"  --grace SECONDS        time between TERM and KILL when stopping (default 5)\n"
"  --forward-only SIGNAL  forward SIGNAL without starting the stop (e.g. HUP)\n"
"  --placeholder          virtiofs placeholder: live as long as virtiofsd\n"
"  --socket PATH          its socket (also --socket-path, -s)\n"
"  -P, --pause            run no program; reap; exit 0 on TERM, INT, HUP, QUIT\n"
"  -g                     send signals to the child's process group\n"
"  -e CODE                report exit code CODE as 0 (repeatable)\n"
"  -p SIGNAL              ask for SIGNAL when tether's parent dies\n"
"  -w                     log each zombie reaped besides the program\n"
"  -s                     accepted for tini; tether is always a subreaper\n"
"  -l                     show the license\n"
"\n"
"Shared: -v, --verbose (repeatable); -q, --quiet (errors only);\n"
"  --log-level error|warning|info|debug; --log-format json|text;\n"
"  -h, --help; --version\n"
"\n"
"Environment: TINI_SUBREAPER, TINI_KILL_PROCESS_GROUP, TINI_VERBOSITY.\n"
"Exit codes: the program's; 126 not executable; 127 not found;\n"
"2 bad usage; 111 a system call failed during set-up.\n";

static const struct cli_role role = {
	"tether", "tether", usage, EXIT_USAGE,
};

int main(int argc, char **argv)
{
	struct role_start rs;
	struct config cfg;
	int r;

	if (role_start(&rs) < 0)
		return EXIT_SETUP;
	if ((r = config_parse(&cfg, argc, argv, environ)) != CLI_OK)
		return cli_end(&role, &cfg.cli, r);
	cli_log_setup("tether", &cfg.cli, LOG_NOTICE);
	if (cfg.mode == MODE_PLACEHOLDER)
		return run_placeholder(&cfg);
	if (cfg.mode == MODE_PAUSE)
		return run_pause(&cfg);
	return run_program(&cfg, &rs);
}
