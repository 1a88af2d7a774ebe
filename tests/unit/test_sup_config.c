/* Unit tests of tether-supervise's command-line parsing
 * (supervisor/config.c): the three placements, their defaults, the shared
 * options through lib/cli, and the errors. */
#define UNIT_NAME "unit_sup_config"
#include "check.h"

#include "../../supervisor/config.c"

#include <fcntl.h>
#include <unistd.h>

static struct config c;

#define PARSE(...) config_parse(&c, ARGC("tether-supervise", __VA_ARGS__), \
				ARGV("tether-supervise", __VA_ARGS__))
#define PARSE_AS(...) config_parse(&c, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

static void defaults_with_main(void)
{
	CHECK_INT(PARSE("--", "/bin/main", "-x"), 0);
	CHECK_INT(c.action, ACT_RUN);
	CHECK_INT(c.mode, MODE_MAIN);
	CHECK_STR(c.argv[0], "/bin/main");
	CHECK_STR(c.argv[1], "-x");
	CHECK_STR(c.d[D_LOGD].bin, "/usr/sbin/virtlogd");
	CHECK_STR(c.d[D_QEMUD].socket, "/var/run/libvirt/virtqemud-sock");
	CHECK_INT(c.d[D_LOGD].enabled && c.d[D_QEMUD].enabled, 1);
	CHECK_INT(c.auth_pid, AUTH_MAIN);
	CHECK_INT(c.qemud_env, ENV_INHERIT);
	CHECK_INT(c.grace_ms, 5000);
	CHECK_INT(c.backoff_ms, 100);
	CHECK_INT(c.ndirs, 4);
	CHECK_STR(c.seed_from, "/etc/libvirt-init");
	CHECK_STR(c.termlog, "/dev/termination-log");
	CHECK_STR(c.cleanup_glob, "/var/run/kubevirt/container-disks/*.sock");
	CHECK_INT(cli_log_level(&c.cli, LOG_INFO), LOG_INFO);
	CHECK_INT(c.cli.log_format, LOG_JSON);
}

static void role_options(void)
{
	CHECK_INT(PARSE("--virtqemud", "/q", "--virtqemud-conf", "", "--virtlogd-arg", "a",
			"--virtlogd-arg", "b", "--no-restricted-flags", "--strict",
			"--auth-pid", "42", "--grace", "1.5", "--crash-budget", "0",
			"--prepare-dir", "/p", "--no-seed", "--no-termination-log",
			"--log-format=text", "--log-level", "warning", "main"), 0);
	CHECK_STR(c.d[D_QEMUD].bin, "/q");
	CHECK_STR(c.d[D_QEMUD].conf, "");
	CHECK_INT(c.d[D_LOGD].nextra, 2);
	CHECK_STR(c.d[D_LOGD].extra[1], "b");
	CHECK_INT(c.restricted, 0);
	CHECK_INT(c.strict, 1);
	CHECK_INT(c.auth_pid, 42);
	CHECK_INT(c.grace_ms, 1500);
	CHECK_INT(c.crash_budget, 0);
	CHECK_INT(c.ndirs, 1);
	CHECK_STR(c.dirs[0], "/p");
	CHECK(!c.seed_from);
	CHECK(!c.termlog);
	CHECK_INT(c.cli.log_format, LOG_TEXT);
	CHECK_INT(cli_log_level(&c.cli, LOG_INFO), LOG_WARN);
	CHECK_STR(c.argv[0], "main");
}

/* -v is one level more than --log-level sets; -q is errors only (it was
 * --log-level warning here: lib/cli.h gives -q one meaning, tether-enter's). */
static void verbosity(void)
{
	CHECK_INT(PARSE("-q", "m"), 0);
	CHECK_INT(cli_log_level(&c.cli, LOG_INFO), LOG_ERROR);
	CHECK_INT(PARSE("-v", "m"), 0);
	CHECK_INT(cli_log_level(&c.cli, LOG_INFO), LOG_DEBUG);
	CHECK_INT(PARSE("--log-level", "error", "-v", "m"), 0);
	CHECK_INT(cli_log_level(&c.cli, LOG_INFO), LOG_WARN);
	CHECK_INT(PARSE("--log-level", "debug", "-vv", "m"), 0);
	CHECK_INT(cli_log_level(&c.cli, LOG_INFO), LOG_DEBUG);
}

/* Each name is that level of lib/log.h, not its index (info was NOTICE,
 * debug was INFO: compat-audit-2 B1). */
static void level_names(void)
{
	CHECK_INT(PARSE("--log-level", "error", "m"), 0);
	CHECK_INT(cli_log_level(&c.cli, LOG_INFO), LOG_ERROR);
	CHECK_INT(PARSE("--log-level", "warning", "m"), 0);
	CHECK_INT(cli_log_level(&c.cli, LOG_INFO), LOG_WARN);
	CHECK_INT(PARSE("--log-level", "info", "m"), 0);
	CHECK_INT(cli_log_level(&c.cli, LOG_INFO), LOG_INFO);
	CHECK_INT(PARSE("--log-level", "debug", "m"), 0);
	CHECK_INT(cli_log_level(&c.cli, LOG_INFO), LOG_DEBUG);
}

static void actions(void)
{
	CHECK_INT(PARSE("--help"), CLI_DONE);
	CHECK_INT(c.cli.show, CLI_SHOW_HELP);
	CHECK_INT(PARSE("--bogus-after", "--version"), -1);
	CHECK_INT(PARSE("--version"), CLI_DONE);
	CHECK_INT(c.cli.show, CLI_SHOW_VERSION);
	CHECK_INT(PARSE("--send-event", "/s", "{}"), 0);
	CHECK_INT(c.action, ACT_SEND);
	CHECK_STR(c.send_path, "/s");
	CHECK_STR(c.send_json, "{}");
}

static void for_parent(void)
{
	CHECK_INT(PARSE("--for-parent"), 0);
	CHECK_INT(c.mode, MODE_PARENT);
	CHECK_INT(c.auth_pid, AUTH_PARENT);
	CHECK_INT(c.qemud_env, ENV_AUTH_PID_ONLY);
	CHECK_INT(c.ndirs, 0);
	CHECK(!c.seed_from);
	CHECK(!c.cleanup_glob);
	CHECK(c.termlog != 0);
	/* virt-launcher's restarts: for ever, never more than 1 s apart. */
	CHECK_INT(c.crash_budget, 0);
	CHECK_INT(c.backoff_ms, 100);
	CHECK_INT(c.backoff_max_ms, 1000);
	CHECK_INT(c.output_fd, -1);
	/* Given options stay. */
	CHECK_INT(PARSE("--for-parent", "--auth-pid", "none", "--virtqemud-env", "inherit",
			"--cleanup-glob", "/x/*.sock", "--prepare-dir", "/p",
			"--crash-budget", "3", "--backoff-max", "7"), 0);
	CHECK_INT(c.auth_pid, AUTH_NONE);
	CHECK_INT(c.qemud_env, ENV_INHERIT);
	CHECK_STR(c.cleanup_glob, "/x/*.sock");
	CHECK_INT(c.ndirs, 1);
	CHECK_INT(c.crash_budget, 3);
	CHECK_INT(c.backoff_max_ms, 7000);
	/* A --backoff above the 1 s is its own maximum. */
	CHECK_INT(PARSE("--for-parent", "--backoff", "2"), 0);
	CHECK_INT(c.backoff_max_ms, 2000);
	/* The other placements keep theirs. */
	CHECK_INT(PARSE("m"), 0);
	CHECK_INT(c.crash_budget, 10);
	CHECK_INT(c.backoff_max_ms, 5000);
}

/* --output-fd: an open fd from 3, writable, with --for-parent only. */
static void output_fd_option(void)
{
	int w = open("/dev/null", O_WRONLY | O_CLOEXEC);
	int r = open("/dev/null", O_RDONLY | O_CLOEXEC);
	char ws[16], rs[16];

	CHECK(w >= 3 && r >= 3);
	snprintf(ws, sizeof(ws), "%d", w);
	snprintf(rs, sizeof(rs), "%d", r);
	CHECK_INT(PARSE("--for-parent", "--output-fd", ws), 0);
	CHECK_INT(c.output_fd, w);
	CHECK_INT(PARSE("--for-parent", "--output-fd", rs), -1);
	CHECK(strstr(c.cli.err, "not open for writing"));
	CHECK_INT(PARSE("--for-parent", "--output-fd", "2"), -1);
	CHECK(strstr(c.cli.err, "from 3"));
	close(w);
	CHECK_INT(PARSE("--for-parent", "--output-fd", ws), -1);
	CHECK(strstr(c.cli.err, "no such open file descriptor"));
	CHECK_INT(PARSE("--output-fd", rs, "m"), -1);
	close(r);
}

static void monitor(void)
{
	CHECK_INT(PARSE_AS("/usr/bin/virt-launcher-monitor", "--qemu-timeout", "7",
			   "--keep-after-failure", "--container-disk-dir=/cd", "-v"), 0);
	CHECK_INT(c.mode, MODE_MONITOR);
	CHECK_STR(c.argv[0], "/usr/bin/virt-launcher");
	CHECK_STR(c.argv[1], "--qemu-timeout");
	CHECK_STR(c.argv[3], "--container-disk-dir=/cd");
	CHECK_STR(c.argv[4], "-v");
	CHECK(!c.argv[5]);
	CHECK_INT(c.keep_after_failure, 1);
	CHECK_INT(c.qemu_timeout_ms, 10000);	/* virt-launcher's option, not ours */
	CHECK_STR(c.cleanup_glob, "/cd/*.sock");
	CHECK_INT(c.d[D_LOGD].enabled || c.d[D_QEMUD].enabled, 0);
	CHECK(!c.termlog);
	CHECK_INT(cli_log_level(&c.cli, LOG_INFO), LOG_INFO);
	CHECK_INT(PARSE_AS("tini", "--", "virt-launcher-monitor", "--keep-after-failure=false"), 0);
	CHECK_INT(c.mode, MODE_MONITOR);
	CHECK_INT(c.keep_after_failure, 0);
	CHECK_INT(PARSE("--monitor", "--launcher", "/l", "--virtlogd", "/d", "--", "a", "--", "--keep-after-failure"), 0);
	CHECK_STR(c.argv[0], "/l");
	CHECK_STR(c.argv[1], "a");
	CHECK_STR(c.argv[2], "--");
	CHECK(!c.argv[3]);
	CHECK_INT(c.keep_after_failure, 0);
	CHECK_INT(c.d[D_LOGD].enabled, 1);
	CHECK_INT(c.d[D_QEMUD].enabled, 0);
}

#define BAD(want, ...) do { \
	CHECK_INT(PARSE(__VA_ARGS__), -1); \
	CHECK_STR(c.cli.err, want); \
	} while (0)

static void errors(void)
{
	BAD("no MAIN program; usage: 'tether-supervise [OPTIONS] -- MAIN [ARGS...]'", "--");
	BAD("unknown option '--bogus'", "--bogus", "m");
	BAD("--grace takes seconds (0 to 3600, up to 3 decimals), not '1.2345'", "--grace", "1.2345", "m");
	BAD("--log-format takes json or text, not 'xml'", "--log-format", "xml", "m");
	BAD("--auth-pid parent needs '--for-parent'", "--auth-pid", "parent", "m");
	BAD("--for-parent runs no program, but got 'm'", "--for-parent", "m");
	BAD("one placement at a time: '--for-parent and --monitor'", "--for-parent", "--monitor");
	BAD("--backoff-max is below --backoff: 'backoff-max'", "--backoff", "2", "--backoff-max", "1", "m");
	BAD("--cleanup-glob takes wildcards in its last component only, not '/a/*/b'", "--cleanup-glob", "/a/*/b", "m");
	CHECK_INT(PARSE_AS("tini", "-s", "x"), -1);
	CHECK(strstr(c.cli.err, "as tini, tether-supervise runs only") != 0);
	CHECK_INT(PARSE_AS("virt-launcher-monitor", "--keep-after-failure=maybe"), -1);
	CHECK_STR(c.cli.err, "--keep-after-failure takes true or false, not 'maybe'");
	CHECK_INT(PARSE_AS("virt-launcher-monitor", "--container-disk-dir", "rel"), -1);
}

int main(void)
{
	RUN(defaults_with_main);
	RUN(role_options);
	RUN(verbosity);
	RUN(level_names);
	RUN(actions);
	RUN(for_parent);
	RUN(output_fd_option);
	RUN(monitor);
	RUN(errors);
	UNIT_DONE();
}
