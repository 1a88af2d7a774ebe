/* Unit tests of tether's command-line parsing (init/config.c). */
#define UNIT_NAME "unit_init_config"
#include "check.h"

#include <stdarg.h>

#include "../../init/config.c"

static int parse(struct config *c, char **envp, ...)
{
	char *argv[16] = { "tether" };
	int argc = 1;
	va_list ap;

	va_start(ap, envp);
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	static char *keep[16];
	memcpy(keep, argv, sizeof(keep));
	return config_parse(c, argc, keep, envp);
}

static void defaults_are_documented(void)
{
	struct config c;

	CHECK_INT(parse(&c, 0, "prog", "arg", NULL), CLI_OK);
	CHECK_STR(c.argv[0], "prog");
	CHECK_STR(c.argv[1], "arg");
	CHECK_INT(c.grace_ms, 5000);
	CHECK_INT(c.group, 0);
	CHECK_INT(c.mode, MODE_RUN);
	/* Run mode logs nothing at notice: as quiet as warnings only. */
	CHECK_INT(cli_log_level(&c.cli, LOG_NOTICE), LOG_NOTICE);
	CHECK(sigismember(&c.stop_signals, SIGTERM));
	CHECK(sigismember(&c.stop_signals, SIGHUP));
	CHECK(!sigismember(&c.stop_signals, SIGUSR1));
}

static void tini_options(void)
{
	struct config c;

	CHECK_INT(parse(&c, 0, "-s", "-g", "-w", "-vv", "-e", "3", "-e4", "-p", "SIGKILL", "--", "x", NULL), CLI_OK);
	CHECK_INT(c.group, 1);
	CHECK_INT(c.warn_reap, 1);
	CHECK_INT(c.pdeathsig, SIGKILL);
	CHECK_INT(cli_log_level(&c.cli, LOG_NOTICE), LOG_DEBUG);
	CHECK_INT(config_exit_code(&c, 3), 0);
	CHECK_INT(config_exit_code(&c, 4), 0);
	CHECK_INT(config_exit_code(&c, 5), 5);
	CHECK_STR(c.argv[0], "x");
}

static void tini_environment(void)
{
	struct config c;
	char *env[] = { "TINI_KILL_PROCESS_GROUP=", "TINI_VERBOSITY=2", "TINI_SUBREAPER=1", 0 };

	CHECK_INT(parse(&c, env, "x", NULL), CLI_OK);
	CHECK_INT(c.group, 1);
	CHECK_INT(cli_log_level(&c.cli, LOG_NOTICE), LOG_INFO);
}

static void grace_and_stop_signals(void)
{
	struct config c;

	CHECK_INT(parse(&c, 0, "--grace", "0.5", "--forward-only", "HUP", "x", NULL), CLI_OK);
	CHECK_INT(c.grace_ms, 500);
	CHECK(!sigismember(&c.stop_signals, SIGHUP));
	CHECK(sigismember(&c.stop_signals, SIGTERM));
	CHECK_INT(parse(&c, 0, "--grace=0", "x", NULL), CLI_OK);
	CHECK_INT(c.grace_ms, 0);
}

static void modes_and_actions(void)
{
	struct config c;

	CHECK_INT(parse(&c, 0, "--pause", NULL), CLI_OK);
	CHECK_INT(c.mode, MODE_PAUSE);
	CHECK_INT(parse(&c, 0, "-P", "prog", NULL), CLI_ERROR);
	CHECK_INT(parse(&c, 0, "--version", NULL), CLI_DONE);
	CHECK_INT(c.cli.show, CLI_SHOW_VERSION);
	CHECK_INT(parse(&c, 0, "-h", "x", NULL), CLI_DONE);
	CHECK_INT(c.cli.show, CLI_SHOW_HELP);
}

/* argv[0] is what a pod's command names: tether installed under that name. */
static int parse_as(struct config *c, char *name, ...)
{
	static char *argv[8];
	int argc = 0;
	va_list ap;

	argv[argc++] = name;
	va_start(ap, name);
	while (argc < 7 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = 0;
	return config_parse(c, argc, argv, 0);
}

static void argv0_aliases(void)
{
	struct config c;

	CHECK_INT(parse_as(&c, "/usr/bin/temp_pod", NULL), CLI_DONE);
	CHECK_INT(c.cli.show, CLI_SHOW_TEXT);
	CHECK_STR(c.cli.text, "temp_pod (tether): nothing to run\n");
	CHECK_INT(parse_as(&c, "temp_pod", "-h", NULL), CLI_ERROR);
	CHECK_STR(c.cli.err, "as temp_pod, tether takes no arguments, not '-h'");
	CHECK_INT(parse_as(&c, "/bin/sleep", "infinity", NULL), CLI_OK);
	CHECK_INT(c.mode, MODE_PAUSE);
	CHECK(!c.argv[0]);
	CHECK_INT(parse_as(&c, "sleep", "5", NULL), CLI_ERROR);
	CHECK_STR(c.cli.err, "as sleep, tether only pauses; usage: 'sleep infinity'");
	CHECK_INT(parse_as(&c, "sleep", NULL), CLI_ERROR);
	CHECK_INT(parse_as(&c, "sleep", "infinity", "x", NULL), CLI_ERROR);
	CHECK_INT(parse_as(&c, "sleepy", "infinity", NULL), CLI_OK);
	CHECK_INT(c.mode, MODE_RUN);
}

static void placeholder_socket(void)
{
	struct config c;

	CHECK_INT(parse_as(&c, "virtiofs-placeholder", "-s", "/run/p.sock", NULL), CLI_OK);
	CHECK_STR(c.socket, "/run/p.sock");
	CHECK_INT(parse(&c, 0, "--placeholder", "-s", "/run/q.sock", NULL), CLI_OK);
	CHECK_STR(c.socket, "/run/q.sock");
	CHECK_INT(parse(&c, 0, "--placeholder", "--socket-path=/run/r.sock", NULL), CLI_OK);
	CHECK_STR(c.socket, "/run/r.sock");
	/* Elsewhere -s stays tini's flag. */
	CHECK_INT(parse(&c, 0, "-s", "prog", NULL), CLI_OK);
	CHECK_STR(c.argv[0], "prog");
	CHECK_INT(parse(&c, 0, "--placeholder", "--socket", "run/p.sock", NULL), CLI_ERROR);
	CHECK_STR(c.cli.err, "--socket takes an absolute path, not 'run/p.sock'");
	CHECK_INT(parse(&c, 0, "--placeholder", "-s", "", NULL), CLI_ERROR);
}

static void errors(void)
{
	struct config c;

	CHECK_INT(parse(&c, 0, NULL), CLI_ERROR);
	CHECK_INT(parse(&c, 0, "-e", "300", "x", NULL), CLI_ERROR);
	CHECK_STR(c.cli.err, "-e takes an exit code from 0 to 255, not '300'");
	CHECK_INT(parse(&c, 0, "-p", "NOPE", "x", NULL), CLI_ERROR);
	CHECK_STR(c.cli.err, "-p: unknown signal 'NOPE'");
	CHECK_INT(parse(&c, 0, "--log-format", "xml", "x", NULL), CLI_ERROR);
	CHECK_INT(parse(&c, 0, "--grace", "1e3", "x", NULL), CLI_ERROR);
	CHECK_INT(parse(&c, 0, "--grace", "86400.999", "x", NULL), CLI_ERROR);
	CHECK_INT(parse(&c, 0, "--grace", "86400", "x", NULL), CLI_OK);
	CHECK_INT(parse(&c, 0, "--forward-only", "KILL", "x", NULL), CLI_ERROR);
	CHECK_STR(c.cli.err, "--forward-only takes a signal tether forwards (not KILL, STOP or CHLD), not 'KILL'");
	CHECK_INT(parse(&c, 0, "--forward-only", "SIGSTOP", "x", NULL), CLI_ERROR);
	CHECK_INT(parse(&c, 0, "--forward-only", "17", "x", NULL), CLI_ERROR);
	CHECK_INT(parse(&c, 0, "--what", "x", NULL), CLI_ERROR);
	CHECK_STR(c.cli.err, "unknown option '--what'");
}

int main(void)
{
	RUN(defaults_are_documented);
	RUN(tini_options);
	RUN(tini_environment);
	RUN(grace_and_stop_signals);
	RUN(modes_and_actions);
	RUN(argv0_aliases);
	RUN(placeholder_socket);
	RUN(errors);
	UNIT_DONE();
}
