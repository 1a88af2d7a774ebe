/* Unit tests of container-disk's command-line parsing (sockets/config.c). */
#define UNIT_NAME "unit_cd_config"
#include "check.h"

#include "../../sockets/config.c"

static struct cd_config c;

#define PARSE(...) cd_config_parse(&c, ARGC("container-disk", __VA_ARGS__), \
				   ARGV("container-disk", __VA_ARGS__))

static void defaults(void)
{
	CHECK_INT(PARSE("-c", "/d/disk_0"), CLI_OK);
	CHECK_INT(c.action, CD_HOLD);
	CHECK_STR(c.copy_path, "/d/disk_0");
	CHECK_INT(c.manage, 0);
	CHECK_INT(c.seccomp, 1);
	CHECK_INT(cli_log_level(&c.cli, LOG_INFO), LOG_INFO);
	CHECK_INT(c.cli.log_format, LOG_JSON);
}

static void role_options(void)
{
	CHECK_INT(PARSE("--copy-path=/hp/x", "--manage", "--no-seccomp", "-v",
			"--log-format", "text"), CLI_OK);
	CHECK_STR(c.copy_path, "/hp/x");
	CHECK_INT(c.manage, 1);
	CHECK_INT(c.seccomp, 0);
	CHECK_INT(cli_log_level(&c.cli, LOG_INFO), LOG_DEBUG);
	CHECK_INT(c.cli.log_format, LOG_TEXT);
	CHECK_INT(PARSE("--health-check"), CLI_OK);
	CHECK_INT(c.action, CD_HEALTH);
}

/* KubeVirt's getopt loop: --no-op, --help and --version end the parse. */
static void actions_end_parsing(void)
{
	CHECK_INT(PARSE("--no-op", "--anything", "extra"), CLI_DONE);
	CHECK_INT(c.cli.show, CLI_SHOW_NOTHING);
	CHECK_INT(PARSE("-h", "--bogus"), CLI_DONE);
	CHECK_INT(c.cli.show, CLI_SHOW_HELP);
	CHECK_INT(PARSE("--version", "--bogus"), CLI_DONE);
	CHECK_INT(c.cli.show, CLI_SHOW_VERSION);
	CHECK_INT(PARSE("--bogus", "--no-op"), CLI_ERROR);
}

static void errors(void)
{
	static char longp[4200];

	CHECK_INT(PARSE("--manage"), CLI_ERROR);
	CHECK_STR(c.cli.err, "missing --copy-path PATH");
	CHECK_INT(PARSE("-c", ""), CLI_ERROR);
	CHECK_STR(c.cli.err, "--copy-path needs a path, got ''");
	CHECK_INT(PARSE("-c", "/x", "stray"), CLI_ERROR);
	CHECK_STR(c.cli.err, "unexpected argument 'stray'");
	CHECK_INT(PARSE("-c"), CLI_ERROR);
	CHECK_STR(c.cli.err, "missing argument for '-c'");
	CHECK_INT(PARSE("--log-format", "xml", "-c", "/x"), CLI_ERROR);
	CHECK_STR(c.cli.err, "--log-format takes json or text, not 'xml'");
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	CHECK_INT(PARSE("-c", longp), CLI_ERROR);
	CHECK(!strncmp(c.cli.err, "--copy-path is longer than PATH_MAX:", 36));
}

int main(void)
{
	RUN(defaults);
	RUN(role_options);
	RUN(actions_end_parsing);
	RUN(errors);
	UNIT_DONE();
}
