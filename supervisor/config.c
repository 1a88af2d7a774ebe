#include "config.h"
#include "buf.h"
#include "fd.h"

#include <fcntl.h>
#include <string.h>

enum {
	O_LOGD = 1, O_QEMUD, O_LOGD_CONF, O_QEMUD_CONF, O_LOGD_SOCK,
	O_QEMUD_SOCK, O_LOGD_ARG, O_QEMUD_ARG, O_NO_LOGD, O_NO_QEMUD,
	O_NO_RESTRICTED, O_STRICT, O_AUTH_PID, O_GRACE, O_MAIN_GRACE,
	O_QEMU_TIMEOUT, O_BACKOFF, O_BACKOFF_MAX, O_BUDGET, O_WINDOW,
	O_TERMLOG, O_EVSOCK, O_NO_TERMLOG, O_TERMLOG_MAX, O_CLEANUP,
	O_NO_CLEANUP, O_DIR, O_NO_PREPARE, O_SEED_FROM, O_SEED_TO,
	O_NO_SEED, O_SEND, O_FOR_PARENT, O_MONITOR, O_LAUNCHER, O_QEMUD_ENV,
	O_NO_ISTIO, O_OUTPUT_FD,
};

/* With cli.h's shared options (--log-level and -q among them). */
static const struct opt options[] = {
	{ "virtlogd", 0, 1, O_LOGD },
	{ "virtqemud", 0, 1, O_QEMUD },
	{ "virtlogd-conf", 0, 1, O_LOGD_CONF },
	{ "virtqemud-conf", 0, 1, O_QEMUD_CONF },
	{ "virtlogd-socket", 0, 1, O_LOGD_SOCK },
	{ "virtqemud-socket", 0, 1, O_QEMUD_SOCK },
	{ "virtlogd-arg", 0, 1, O_LOGD_ARG },
	{ "virtqemud-arg", 0, 1, O_QEMUD_ARG },
	{ "no-virtlogd", 0, 0, O_NO_LOGD },
	{ "no-virtqemud", 0, 0, O_NO_QEMUD },
	{ "no-restricted-flags", 0, 0, O_NO_RESTRICTED },
	{ "strict", 0, 0, O_STRICT },
	{ "auth-pid", 0, 1, O_AUTH_PID },
	{ "grace", 0, 1, O_GRACE },
	{ "main-grace", 0, 1, O_MAIN_GRACE },
	{ "qemu-timeout", 0, 1, O_QEMU_TIMEOUT },
	{ "backoff", 0, 1, O_BACKOFF },
	{ "backoff-max", 0, 1, O_BACKOFF_MAX },
	{ "crash-budget", 0, 1, O_BUDGET },
	{ "crash-window", 0, 1, O_WINDOW },
	{ "termination-log", 0, 1, O_TERMLOG },
	{ "event-socket", 0, 1, O_EVSOCK },
	{ "no-termination-log", 0, 0, O_NO_TERMLOG },
	{ "termination-log-max", 0, 1, O_TERMLOG_MAX },
	{ "cleanup-glob", 0, 1, O_CLEANUP },
	{ "no-cleanup", 0, 0, O_NO_CLEANUP },
	{ "prepare-dir", 0, 1, O_DIR },
	{ "no-prepare", 0, 0, O_NO_PREPARE },
	{ "seed-from", 0, 1, O_SEED_FROM },
	{ "seed-to", 0, 1, O_SEED_TO },
	{ "no-seed", 0, 0, O_NO_SEED },
	{ "send-event", 0, 1, O_SEND },
	{ "for-parent", 0, 0, O_FOR_PARENT },
	{ "monitor", 0, 0, O_MONITOR },
	{ "launcher", 0, 1, O_LAUNCHER },
	{ "virtqemud-env", 0, 1, O_QEMUD_ENV },
	{ "no-istio-quit", 0, 0, O_NO_ISTIO },
	{ "output-fd", 0, 1, O_OUTPUT_FD },
	{ 0, 0, 0, 0 },
};

static const char *const default_dirs[] = {
	"/var/run/libvirt", "/var/log/libvirt", "/var/lib/libvirt/qemu",
	"/var/cache/libvirt",
};

static int bad(struct config *c, const char *what, const char *arg)
{
	return cli_err(&c->cli, what, arg);
}

static void defaults(struct config *c)
{
	struct daemon_cfg *l = &c->d[D_LOGD], *q = &c->d[D_QEMUD];

	memset(c, 0, sizeof(*c));
	cli_init(&c->cli);
	*l = (struct daemon_cfg){
		.name = "virtlogd", .bin = "/usr/sbin/virtlogd",
		.conf = "/etc/libvirt/virtlogd.conf",
		.socket = "/var/run/libvirt/virtlogd-sock",
		.flags = { "--no-admin-srv" }, .nflags = 1, .enabled = 1,
	};
	*q = (struct daemon_cfg){
		.name = "virtqemud", .bin = "/usr/sbin/virtqemud",
		.conf = "/var/run/libvirt/virtqemud.conf",
		.socket = "/var/run/libvirt/virtqemud-sock",
		.flags = { "--no-admin-srv", "--no-ro-srv" }, .nflags = 2,
		.enabled = 1,
	};
	c->restricted = 1;
	c->auth_pid = AUTH_MAIN;
	c->launcher = "/usr/bin/virt-launcher";
	c->istio = 1;
	c->grace_ms = 5000;
	c->qemu_timeout_ms = 10000;
	c->backoff_ms = 100;
	c->backoff_max_ms = 5000;
	c->crash_budget = 10;
	c->crash_window_ms = 600000;
	c->termlog = "/dev/termination-log";
	c->event_socket = "/var/run/kubevirt-private/tether-events.sock";
	c->termlog_max = 4096;
	c->cleanup_glob = "/var/run/kubevirt/container-disks/*.sock";
	for (size_t i = 0; i < sizeof(default_dirs) / sizeof(*default_dirs); i++)
		c->dirs[c->ndirs++] = default_dirs[i];
	c->seed_from = "/etc/libvirt-init";
	c->seed_to = "/etc/libvirt";
	c->output_fd = -1;
}

static int abs_path(struct config *c, const char *opt, const char *arg,
		    const char **out)
{
	if (arg[0] != '/')
		return bad(c, opt, arg);
	*out = arg;
	return 0;
}

static int seconds(struct config *c, const char *what, const char *arg,
		   long max_s, long *ms)
{
	return parse_seconds_ms(arg, max_s, ms) ? bad(c, what, arg) : 0;
}

static int add_extra(struct config *c, struct daemon_cfg *d, const char *arg)
{
	if (d->nextra == MAX_EXTRA)
		return bad(c, "too many extra arguments (16 at most) at", arg);
	d->extra[d->nextra++] = arg;
	return 0;
}

static int add_dir(struct config *c, const char *arg)
{
	if (!c->dirs_given) {
		c->dirs_given = 1;
		c->ndirs = 0;
	}
	if (c->ndirs == MAX_DIRS)
		return bad(c, "too many --prepare-dir (16 at most) at", arg);
	return abs_path(c, "--prepare-dir takes an absolute path, not",
			arg, &c->dirs[c->ndirs++]);
}

static int auth_pid(struct config *c, const char *arg)
{
	if (!strcmp(arg, "main"))
		c->auth_pid = AUTH_MAIN;
	else if (!strcmp(arg, "parent"))
		c->auth_pid = AUTH_PARENT;
	else if (!strcmp(arg, "none"))
		c->auth_pid = AUTH_NONE;
	else if (parse_long(arg, 1, 1 << 22, &c->auth_pid))
		return bad(c, "--auth-pid takes a pid, 'main', 'parent' or 'none', not", arg);
	return 0;
}

static int qemud_env(struct config *c, const char *arg)
{
	if (!strcmp(arg, "inherit"))
		c->qemud_env = ENV_INHERIT;
	else if (!strcmp(arg, "auth-pid-only"))
		c->qemud_env = ENV_AUTH_PID_ONLY;
	else
		return bad(c, "--virtqemud-env takes inherit or auth-pid-only, not", arg);
	return 0;
}

/* An fd the parent handed us, open for writing: the daemons' output goes
 * there as it is.  Checked here so a bad one is a usage error. */
static int output_fd(struct config *c, const char *arg)
{
	long fd;
	int fl;

	if (parse_long(arg, 3, 1 << 20, &fd))
		return bad(c, "--output-fd takes a file descriptor number from 3, not", arg);
	fl = fcntl((int)fd, F_GETFL);
	if (fl < 0)
		return bad(c, "--output-fd: no such open file descriptor:", arg);
	if ((fl & O_ACCMODE) == O_RDONLY)
		return bad(c, "--output-fd: the file descriptor is not open for writing:", arg);
	c->output_fd = (int)fd;
	return 0;
}

static int daemon_opt(struct config *c, int id, const char *arg)
{
	struct daemon_cfg *l = &c->d[D_LOGD], *q = &c->d[D_QEMUD];

	switch (id) {
	case O_LOGD: return abs_path(c, "--virtlogd takes an absolute path, not", arg, &l->bin);
	case O_QEMUD: return abs_path(c, "--virtqemud takes an absolute path, not", arg, &q->bin);
	case O_LOGD_CONF: l->conf = arg; break;
	case O_QEMUD_CONF: q->conf = arg; break;
	case O_LOGD_SOCK: l->socket = arg; break;
	case O_QEMUD_SOCK: q->socket = arg; break;
	case O_LOGD_ARG: return add_extra(c, l, arg);
	case O_QEMUD_ARG: return add_extra(c, q, arg);
	}
	if ((id == O_LOGD_CONF || id == O_QEMUD_CONF || id == O_LOGD_SOCK ||
	     id == O_QEMUD_SOCK) && arg[0] && arg[0] != '/')
		return bad(c, "config and socket paths must be absolute (or empty), not", arg);
	return 0;
}

static int timing_opt(struct config *c, int id, const char *arg)
{
	switch (id) {
	case O_GRACE: return seconds(c, "--grace takes seconds (0 to 3600, up to 3 decimals), not", arg, 3600, &c->grace_ms);
	case O_MAIN_GRACE: return seconds(c, "--main-grace takes seconds (0 to 86400; 0: never KILL), not", arg, 86400, &c->main_grace_ms);
	case O_QEMU_TIMEOUT: return seconds(c, "--qemu-timeout takes seconds (0 to 3600), not", arg, 3600, &c->qemu_timeout_ms);
	case O_BACKOFF: return seconds(c, "--backoff takes seconds (0 to 60), not", arg, 60, &c->backoff_ms);
	case O_BACKOFF_MAX: return seconds(c, "--backoff-max takes seconds (0 to 3600), not", arg, 3600, &c->backoff_max_ms);
	case O_WINDOW:
		if (seconds(c, "--crash-window takes seconds (1 to 86400), not", arg, 86400, &c->crash_window_ms))
			return -1;
		return c->crash_window_ms ? 0 : bad(c, "--crash-window must be positive, not", arg);
	case O_BUDGET:
		if (parse_long(arg, 0, 100, &c->crash_budget))
			return bad(c, "--crash-budget takes a count from 0 (no limit) to 100, not", arg);
		break;
	}
	return 0;
}

static int other_opt(struct config *c, int id, const char *arg)
{
	switch (id) {
	case O_NO_LOGD: c->d[D_LOGD].enabled = 0; break;
	case O_NO_QEMUD: c->d[D_QEMUD].enabled = 0; break;
	case O_NO_RESTRICTED: c->restricted = 0; break;
	case O_STRICT: c->strict = 1; break;
	case O_AUTH_PID: return auth_pid(c, arg);
	case O_TERMLOG: return abs_path(c, "--termination-log takes an absolute path, not", arg, &c->termlog);
	case O_EVSOCK: return abs_path(c, "--event-socket takes an absolute path, not", arg, &c->event_socket);
	case O_NO_TERMLOG: c->termlog = 0; break;
	case O_TERMLOG_MAX:
		if (parse_long(arg, 1024, 1 << 20, &c->termlog_max))
			return bad(c, "--termination-log-max takes bytes from 1024 to 1048576, not", arg);
		break;
	case O_CLEANUP:
		if (strcspn(arg, "*?") < (size_t)(strrchr(arg, '/') ? strrchr(arg, '/') - arg : 0))
			return bad(c, "--cleanup-glob takes wildcards in its last component only, not", arg);
		return abs_path(c, "--cleanup-glob takes an absolute pattern, not", arg, &c->cleanup_glob);
	case O_NO_CLEANUP: c->cleanup_glob = 0; break;
	case O_DIR: return add_dir(c, arg);
	case O_NO_PREPARE: c->dirs_given = 1; c->ndirs = 0; break;
	case O_SEED_FROM: return abs_path(c, "--seed-from takes an absolute path, not", arg, &c->seed_from);
	case O_SEED_TO: return abs_path(c, "--seed-to takes an absolute path, not", arg, &c->seed_to);
	case O_NO_SEED: c->seed_from = 0; break;
	case O_SEND:
		c->action = ACT_SEND;
		c->send_path = arg;
		break;
	}
	return 0;
}

/* Which options a mode's defaults must leave alone. */
static void note_given(struct config *c, int id)
{
	static const struct { int id, bit; } map[] = {
		{ O_DIR, GIVEN_PREPARE }, { O_NO_PREPARE, GIVEN_PREPARE },
		{ O_SEED_FROM, GIVEN_SEED }, { O_SEED_TO, GIVEN_SEED },
		{ O_NO_SEED, GIVEN_SEED }, { O_CLEANUP, GIVEN_CLEANUP },
		{ O_NO_CLEANUP, GIVEN_CLEANUP }, { O_TERMLOG, GIVEN_TERMLOG },
		{ O_NO_TERMLOG, GIVEN_TERMLOG }, { O_LOGD, GIVEN_LOGD },
		{ O_QEMUD, GIVEN_QEMUD }, { O_AUTH_PID, GIVEN_AUTH },
		{ O_QEMUD_ENV, GIVEN_ENV }, { O_QEMU_TIMEOUT, GIVEN_QEMU_TIMEOUT },
		{ O_BUDGET, GIVEN_BUDGET }, { O_BACKOFF_MAX, GIVEN_BACKOFF_MAX },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(*map); i++)
		if (map[i].id == id)
			c->given |= map[i].bit;
}

static int mode_opt(struct config *c, int id, const char *arg)
{
	switch (id) {
	case O_FOR_PARENT:
	case O_MONITOR:
		if (c->mode != MODE_MAIN)
			return bad(c, "one placement at a time:", "--for-parent and --monitor");
		c->mode = id == O_FOR_PARENT ? MODE_PARENT : MODE_MONITOR;
		break;
	case O_LAUNCHER: return abs_path(c, "--launcher takes an absolute path, not", arg, &c->launcher);
	case O_QEMUD_ENV: return qemud_env(c, arg);
	case O_NO_ISTIO: c->istio = 0; break;
	case O_OUTPUT_FD: return output_fd(c, arg);
	}
	return 0;
}

static int one(void *cfg, int id, const char *arg)
{
	struct config *c = cfg;

	note_given(c, id);
	if (id >= O_FOR_PARENT && id <= O_OUTPUT_FD)
		return mode_opt(c, id, arg);
	if (id <= O_QEMUD_ARG)
		return daemon_opt(c, id, arg);
	if (id >= O_GRACE && id <= O_WINDOW)
		return timing_opt(c, id, arg);
	return other_opt(c, id, arg);
}

static int finish_send(struct config *c, char **rest)
{
	if (!rest[0])
		return bad(c, "--send-event needs the event's JSON after the socket path:", c->send_path);
	if (rest[1])
		return bad(c, "--send-event takes one JSON argument; unexpected", rest[1]);
	c->send_json = rest[0];
	return 0;
}

static int is_name(const char *path, const char *name)
{
	return !strcmp(path_base(path), name);
}

/* strconv.ParseBool, as pflag reads --keep-after-failure=VALUE. */
static int go_bool(const char *s, int *out)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };

	for (int i = 0; i < 6; i++)
		if (!strcmp(s, yes[i]) || !strcmp(s, no[i])) {
			*out = !strcmp(s, yes[i]);
			return 0;
		}
	return -1;
}

/* The flags virt-launcher-monitor reads itself, the way pflag reads them
 * (unknown flags are virt-launcher's; "--" ends the flags), so that the
 * same command line means the same here. */
static int monitor_flags(struct config *c, char **args)
{
	static const char kaf[] = "--keep-after-failure", cdd[] = "--container-disk-dir";
	const char *dir = "/var/run/kubevirt/container-disks";
	struct buf b = BUF_INIT(c->cleanup_store);

	for (char **a = args; *a && strcmp(*a, "--"); a++) {
		if (!strcmp(*a, kaf)) {
			c->keep_after_failure = 1;
		} else if (!strncmp(*a, kaf, sizeof(kaf) - 1) && (*a)[sizeof(kaf) - 1] == '=') {
			if (go_bool(*a + sizeof(kaf), &c->keep_after_failure))
				return bad(c, "--keep-after-failure takes true or false, not", *a + sizeof(kaf));
		} else if (!strcmp(*a, cdd)) {
			if (!a[1])
				return bad(c, "flag needs an argument:", cdd);
			dir = *++a;
		} else if (!strncmp(*a, cdd, sizeof(cdd) - 1) && (*a)[sizeof(cdd) - 1] == '=') {
			dir = *a + sizeof(cdd);
		}
	}
	buf_printf(&b, "%s/*.sock", dir);
	buf_cstr(&b);
	if (b.truncated || dir[0] != '/' || strcspn(dir, "*?") < strlen(dir))
		return bad(c, "--container-disk-dir takes an absolute path without * or ?, not", dir);
	return 0;
}

/* MAIN becomes the launcher with the monitor's arguments, all but
 * "--keep-after-failure" (removed wherever it stands, as the monitor
 * does).  slot is the argv entry before the arguments: it is ours. */
static int monitor_argv(struct config *c, char **slot)
{
	char **out = slot + 1;

	if (monitor_flags(c, slot + 1) < 0)
		return -1;
	for (char **a = slot + 1; *a; a++)
		if (strcmp(*a, "--keep-after-failure"))
			*out++ = *a;
	*out = 0;
	slot[0] = (char *)c->launcher;
	c->argv = slot;
	c->mode = MODE_MONITOR;
	return 0;
}

/* virt-launcher-monitor ARGS... or tini -- virt-launcher-monitor ARGS...:
 * no option of ours, every argument the monitor's. */
static int by_name(struct config *c, int argc, char **argv, int *done)
{
	*done = 1;
	if (argc > 0 && is_name(argv[0], "virt-launcher-monitor"))
		return monitor_argv(c, argv);
	if (argc > 0 && is_name(argv[0], "tini")) {
		if (argc < 3 || strcmp(argv[1], "--") || !is_name(argv[2], "virt-launcher-monitor"))
			return bad(c, "as tini, tether-supervise runs only 'tini -- virt-launcher-monitor ARGS...' (tether is the general tini); got",
				   argc > 1 ? argv[1] : "nothing");
		return monitor_argv(c, argv + 2);
	}
	*done = 0;
	return 0;
}

/* What each placement does unless told otherwise. */
static int mode_defaults(struct config *c)
{
	if (c->mode == MODE_MAIN && c->auth_pid == AUTH_PARENT)
		return bad(c, "--auth-pid parent needs", "--for-parent");
	if (c->mode == MODE_PARENT && c->auth_pid == AUTH_MAIN && (c->given & GIVEN_AUTH))
		return bad(c, "--for-parent runs no MAIN: --auth-pid takes a pid, 'parent' or 'none', not", "main");
	if (c->mode != MODE_PARENT && c->output_fd >= 0)
		return bad(c, "--output-fd needs", "--for-parent");
	if (c->mode == MODE_MAIN)
		return 0;
	/* The parent (virt-launcher) or the unpatched virt-launcher under the
	 * monitor prepares and seeds its directories itself. */
	if (!(c->given & GIVEN_PREPARE))
		c->ndirs = 0;
	if (!(c->given & GIVEN_SEED))
		c->seed_from = 0;
	if (c->mode == MODE_PARENT) {
		/* The monitor (PID 1) removes the sockets, after QEMU. */
		if (!(c->given & GIVEN_CLEANUP))
			c->cleanup_glob = 0;
		if (!(c->given & GIVEN_AUTH))
			c->auth_pid = AUTH_PARENT;
		/* Deckhouse's virt-launcher gives virtqemud this one variable. */
		if (!(c->given & GIVEN_ENV))
			c->qemud_env = ENV_AUTH_PID_ONLY;
		/* virt-launcher restarted its daemons for ever, 1 s apart, and
		 * a running guest lived on: no budget ends the pod here, and
		 * no restart waits longer than that second. */
		if (!(c->given & GIVEN_BUDGET))
			c->crash_budget = 0;
		if (!(c->given & GIVEN_BACKOFF_MAX))
			c->backoff_max_ms = c->backoff_ms > 1000 ? c->backoff_ms : 1000;
		return 0;
	}
	/* The monitor: no daemon, no termination log, unless asked. */
	c->d[D_LOGD].enabled &= !!(c->given & GIVEN_LOGD);
	c->d[D_QEMUD].enabled &= !!(c->given & GIVEN_QEMUD);
	if (!(c->given & GIVEN_TERMLOG))
		c->termlog = 0;
	if (!(c->given & GIVEN_CLEANUP))
		c->cleanup_glob = c->cleanup_store;
	return 0;
}

int config_parse(struct config *c, int argc, char **argv)
{
	int done, r;

	defaults(c);
	if (by_name(c, argc, argv, &done) < 0)
		return CLI_ERROR;
	if (done)
		return mode_defaults(c);
	if ((r = cli_parse(&c->cli, argc, argv, options, one, c)) != CLI_OK)
		return r;
	if (c->action == ACT_SEND)
		return finish_send(c, c->cli.rest);
	c->argv = c->cli.rest;
	if (c->mode == MODE_PARENT && c->argv[0])
		return bad(c, "--for-parent runs no program, but got", c->argv[0]);
	if (c->mode == MODE_MONITOR && monitor_argv(c, c->cli.rest - 1) < 0)
		return CLI_ERROR;
	if (c->mode == MODE_MAIN && !c->argv[0])
		return bad(c, "no MAIN program; usage:", "tether-supervise [OPTIONS] -- MAIN [ARGS...]");
	if (c->backoff_max_ms < c->backoff_ms)
		return bad(c, "--backoff-max is below --backoff:", "backoff-max");
	if (c->seed_from && !c->seed_to[0])
		return bad(c, "--seed-to is empty:", "");
	return mode_defaults(c);
}
