/* Unit tests of tether-enter's command-line parsing (cgroup/opts.c). */
#define UNIT_NAME "unit_enter_opts"
#include "check.h"

#include "../../cgroup/opts.c"

static struct opts o;

#define PARSE(...) opts_parse(&o, ARGC("tether-enter", __VA_ARGS__), ARGV("tether-enter", __VA_ARGS__))

static void defaults(void)
{
	CHECK_INT(PARSE("--pid", "42", "--", "/bin/true"), 0);
	CHECK_INT(o.pid, 42);
	CHECK_STR(o.rest[0], "/bin/true");
	CHECK_STR(o.bin, "/usr/libexec/virtiofsd");
	CHECK_INT(o.uid, 107);
	CHECK_INT(o.stdio, STDIO_CONTAINER);
	CHECK_INT(o.preset, 0);
	CHECK_INT(cli_log_level(&o.cli, LOG_INFO), LOG_INFO);
	CHECK_INT(o.cli.log_format, LOG_JSON);
}

static void verbosity(void)
{
	CHECK_INT(PARSE("-v", "-p", "1", "/x"), 0);
	CHECK_INT(cli_log_level(&o.cli, LOG_INFO), LOG_DEBUG);
	CHECK_INT(PARSE("-q", "-p", "1", "/x"), 0);
	CHECK_INT(cli_log_level(&o.cli, LOG_INFO), LOG_ERROR);
	/* -q then -v: back to the default. */
	CHECK_INT(PARSE("-q", "-v", "--log-format=text", "-p", "1", "/x"), 0);
	CHECK_INT(cli_log_level(&o.cli, LOG_INFO), LOG_INFO);
	CHECK_INT(o.cli.log_format, LOG_TEXT);
	CHECK_INT(PARSE("--log-format", "yaml", "-p", "1", "/x"), -1);
	CHECK_STR(o.cli.err, "--log-format takes json or text, not 'yaml'");
}

static void help_and_version_stop_at_once(void)
{
	CHECK_INT(PARSE("--help", "--bogus"), CLI_DONE);
	CHECK_INT(o.cli.show, CLI_SHOW_HELP);
	CHECK_INT(PARSE("-h"), CLI_DONE);
	CHECK_INT(PARSE("--version", "--bogus"), CLI_DONE);
	CHECK_INT(o.cli.show, CLI_SHOW_VERSION);
}

static void role_options(void)
{
	CHECK_INT(PARSE("-t", "/run/p.sock", "-e", "A=1", "--env=B=2", "--caps", "chown,kill",
			"--stdio", "null", "--allow-new-privs", "--no-register", "-n", "/bin/x", "y"), 0);
	CHECK_STR(o.target_socket, "/run/p.sock");
	CHECK_INT(o.nenv, 2);
	CHECK_STR(o.env[1], "B=2");
	CHECK_INT(o.caps_set, 1);
	CHECK_INT(o.caps, (1ULL << 0) | (1ULL << 5));
	CHECK_INT(o.stdio, STDIO_NULL);
	CHECK_INT(o.new_privs, 1);
	CHECK_INT(o.no_register, 1);
	CHECK_INT(o.dry_run, 1);
	CHECK_STR(o.rest[1], "y");
	CHECK_INT(PARSE("-p", "3", "--caps", "none", "/x"), 0);
	CHECK_INT(o.caps, 0);
}

static void virtiofsd_preset(void)
{
	CHECK_INT(PARSE("-p", "7", "--virtiofsd", "-d", "/s", "-s", "/r/v.sock", "--flavor", "c"), 0);
	CHECK_INT(o.preset, 1);
	CHECK_INT(o.flavor, FLAVOR_C);
	/* The dispatcher's call: no program, --socket-path and --shared-dir. */
	CHECK_INT(opts_parse(&o, 7, ARGV("/usr/bin/virtiofs-dispatcher", "--pid", "7",
					 "--socket-path", "/r/v.sock", "--shared-dir", "/s")), 0);
	CHECK_INT(o.preset, 1);
	CHECK_INT(PARSE("-p", "7", "--virtiofsd", "-d", "/s"), -1);
	CHECK_STR(o.cli.err, "--virtiofsd needs --shared-dir and --socket-path, missing '--socket-path'");
	CHECK_INT(PARSE("-p", "7", "-d", "/s", "/bin/x"), -1);
	CHECK_STR(o.cli.err, "--shared-dir, --socket-path and --virtiofsd-bin belong to '--virtiofsd'");
}

static void errors(void)
{
	CHECK_INT(PARSE("/bin/x"), -1);
	CHECK_INT(PARSE("-p", "0", "/x"), -1);
	CHECK_STR(o.cli.err, "--pid takes a process id (1 to 4194304), not '0'");
	CHECK_INT(PARSE("-p", "1"), -1);
	CHECK_INT(PARSE("-p", "1", "bin/x"), -1);
	CHECK_STR(o.cli.err, "PROGRAM is a path in the container and must be absolute, not 'bin/x'");
	CHECK_INT(PARSE("--lock-file", "/l", "-p", "1", "/x"), -1);
	CHECK(strstr(o.cli.err, "--lock-file and --lock-dir are gone"));
	CHECK_INT(PARSE("--lock-dir", "/l", "-p", "1", "/x"), -1);
	CHECK(strstr(o.cli.err, "no host state"));
	CHECK_INT(PARSE("-e", "=x", "-p", "1", "/x"), -1);
	CHECK_INT(PARSE("--caps", "chown,,kill", "-p", "1", "/x"), -1);
	CHECK_INT(PARSE("--caps", "cap_nope", "-p", "1", "/x"), -1);
	CHECK_INT(PARSE("--stdio", "tty", "-p", "1", "/x"), -1);
	CHECK_INT(PARSE("-t", "rel.sock", "/x"), -1);
	CHECK_INT(PARSE("--flavor", "go", "-p", "1", "/x"), -1);
	CHECK_INT(PARSE("--uid", "-1", "-p", "1", "/x"), -1);
	CHECK_INT(PARSE("--what", "-p", "1", "/x"), -1);
	CHECK_STR(o.cli.err, "unknown option '--what'");
}

int main(void)
{
	RUN(defaults);
	RUN(verbosity);
	RUN(help_and_version_stop_at_once);
	RUN(role_options);
	RUN(virtiofsd_preset);
	RUN(errors);
	UNIT_DONE();
}
