/* Unit tests of lib/cli: the one parse contract and the shared options'
 * one meaning, over a role table of its own (tests/binaries/test_cli.sh
 * runs the same over the four binaries from outside), and lib/role's
 * table of stop signals. */
#define UNIT_NAME "unit_cli"
#include "check.h"

#include "cli.h"
#include "role.h"

enum { O_FLAG = 1, O_VALUE, O_STOP };

static const struct opt opts[] = {
	{ "flag", 'f', 0, O_FLAG },
	{ "value", 0, 1, O_VALUE },
	{ "stop", 0, 0, O_STOP },
	{ 0, 0, 0, 0 },
};

struct toy {
	int flags;
	const char *value;
};

static int one(void *cfg, int id, const char *arg)
{
	struct toy *t = cfg;

	switch (id) {
	case O_FLAG: t->flags++; return CLI_OK;
	case O_STOP: return CLI_DONE;
	}
	t->value = arg;
	return *arg ? CLI_OK : CLI_ERROR;
}

static struct cli c;
static struct toy t;

static int parse(int argc, char **argv)
{
	t = (struct toy){ 0, 0 };
	cli_init(&c);
	return cli_parse(&c, argc, argv, opts, one, &t);
}

#define PARSE(...) parse(ARGC("r", __VA_ARGS__), ARGV("r", __VA_ARGS__))

/* The level a command line gives, over a role default of INFO and of
 * NOTICE (tether's): the same rule in every role. */
static void levels(void)
{
	static const struct { const char *a[4]; int info, notice; } table[] = {
		{ { "x" }, LOG_INFO, LOG_NOTICE },
		{ { "-v", "x" }, LOG_DEBUG, LOG_INFO },
		{ { "-vv", "x" }, LOG_DEBUG, LOG_DEBUG },
		{ { "-q", "x" }, LOG_ERROR, LOG_ERROR },
		{ { "--quiet", "x" }, LOG_ERROR, LOG_ERROR },
		{ { "-q", "-v", "x" }, LOG_INFO, LOG_NOTICE },
		{ { "-v", "-q", "x" }, LOG_ERROR, LOG_ERROR },
		{ { "--log-level", "warning", "x" }, LOG_WARN, LOG_WARN },
		{ { "--log-level=error", "-v", "x" }, LOG_WARN, LOG_WARN },
		{ { "--log-level", "info", "x" }, LOG_INFO, LOG_INFO },
		{ { "-v", "--log-level=debug", "x" }, LOG_DEBUG, LOG_DEBUG },
		{ { "--log-level", "debug", "-q" }, LOG_ERROR, LOG_ERROR },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(*table); i++) {
		char *argv[6] = { "r" };
		int argc = 1;

		for (int j = 0; j < 4 && table[i].a[j]; j++)
			argv[argc++] = (char *)table[i].a[j];
		CHECK_INT(parse(argc, argv), CLI_OK);
		CHECK_INT(cli_log_level(&c, LOG_INFO), table[i].info);
		CHECK_INT(cli_log_level(&c, LOG_NOTICE), table[i].notice);
	}
}

static void formats(void)
{
	CHECK_INT(PARSE("x"), CLI_OK);
	CHECK_INT(c.log_format, LOG_JSON);
	CHECK_INT(PARSE("--log-format", "text", "x"), CLI_OK);
	CHECK_INT(c.log_format, LOG_TEXT);
	CHECK_INT(PARSE("--log-format=json", "x"), CLI_OK);
	CHECK_INT(c.log_format, LOG_JSON);
}

/* One error text per shared option, whatever the role. */
static void errors(void)
{
	CHECK_INT(PARSE("--log-format", "yaml"), CLI_ERROR);
	CHECK_STR(c.err, "--log-format takes json or text, not 'yaml'");
	CHECK_INT(PARSE("--log-level", "loud"), CLI_ERROR);
	CHECK_STR(c.err, "--log-level takes error, warning, info or debug, not 'loud'");
	CHECK_INT(PARSE("--log-level"), CLI_ERROR);
	CHECK_STR(c.err, "missing argument for '--log-level'");
	CHECK_INT(PARSE("-q=1"), CLI_ERROR);
	CHECK_INT(PARSE("--quiet=1"), CLI_ERROR);
	CHECK_STR(c.err, "option takes no argument: '--quiet'");
	CHECK_INT(PARSE("--bogus"), CLI_ERROR);
	CHECK_STR(c.err, "unknown option '--bogus'");
	CHECK_INT(cli_err(&c, "what", 0), CLI_ERROR);
	CHECK_STR(c.err, "what");
	CHECK_INT(cli_err(&c, "what", "arg"), CLI_ERROR);
	CHECK_STR(c.err, "what 'arg'");
}

/* --help and --version end the parse where they stand; an error before
 * them is still an error. */
static void help_and_version(void)
{
	CHECK_INT(PARSE("--help", "--bogus"), CLI_DONE);
	CHECK_INT(c.show, CLI_SHOW_HELP);
	CHECK_INT(PARSE("-fh"), CLI_DONE);
	CHECK_INT(c.show, CLI_SHOW_HELP);
	CHECK_INT(t.flags, 1);
	CHECK_INT(PARSE("--version", "--log-format", "yaml"), CLI_DONE);
	CHECK_INT(c.show, CLI_SHOW_VERSION);
	CHECK_INT(PARSE("--bogus", "--help"), CLI_ERROR);
	CHECK_INT(PARSE("x", "--help"), CLI_OK);
	CHECK_INT(c.show, CLI_SHOW_NOTHING);
}

/* The role's own options: in its table, first; its CLI_DONE and
 * CLI_ERROR end the parse; CLI_OK leaves rest at the first operand. */
static void role_options(void)
{
	CHECK_INT(PARSE("-f", "--flag", "-vf", "--value=a", "--", "-q"), CLI_OK);
	CHECK_INT(t.flags, 3);
	CHECK_STR(t.value, "a");
	CHECK_STR(c.rest[0], "-q");
	CHECK_INT(c.verbosity, 2);
	CHECK_INT(PARSE("--stop", "--bogus"), CLI_DONE);
	CHECK_INT(c.show, CLI_SHOW_NOTHING);
	CHECK_INT(PARSE("--value", "", "--help"), CLI_ERROR);
	CHECK_INT(parse(1, ARGV("r")), CLI_OK);
	CHECK(!c.rest[0]);
}

/* cli_end: the usage code after an error; 0 after CLI_DONE. */
static void ending(void)
{
	static const struct cli_role r = { "r", "r", "", 7 };

	CHECK_INT(PARSE("--bogus"), CLI_ERROR);
	CHECK_INT(cli_end(&r, &c, CLI_ERROR), 7);
	CHECK_INT(PARSE("--stop"), CLI_DONE);
	CHECK_INT(cli_end(&r, &c, CLI_DONE), 0);
}

/* lib/role.h's table, as the README quotes it. */
static void stop_signals(void)
{
	sigset_t s;

	role_stop_signals(STOP_TETHER, &s);
	CHECK(sigismember(&s, SIGTERM) && sigismember(&s, SIGINT) &&
	      sigismember(&s, SIGHUP) && sigismember(&s, SIGQUIT));
	CHECK(!sigismember(&s, SIGUSR1) && !sigismember(&s, SIGCHLD));
	role_stop_signals(STOP_HOLDER, &s);
	CHECK(sigismember(&s, SIGTERM) && sigismember(&s, SIGINT) &&
	      sigismember(&s, SIGHUP) && sigismember(&s, SIGQUIT));
	CHECK(!sigismember(&s, SIGUSR1) && !sigismember(&s, SIGCHLD));
	role_stop_signals(STOP_SUPERVISE, &s);
	CHECK(sigismember(&s, SIGTERM) && sigismember(&s, SIGINT) &&
	      sigismember(&s, SIGQUIT));
	CHECK(!sigismember(&s, SIGHUP) && !sigismember(&s, SIGUSR1));
}

int main(void)
{
	RUN(levels);
	RUN(formats);
	RUN(errors);
	RUN(help_and_version);
	RUN(role_options);
	RUN(ending);
	RUN(stop_signals);
	UNIT_DONE();
}
