/* One libvirt daemon: wait for its config (and virtlogd), test whether it
 * takes the restricted flags, run it, forward its output, restart it with
 * back-off, stop it: the actions of one state × event table (at the end). */
#include "daemon.h"
#include "buf.h"
#include "log.h"
#include "sig.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

/* A daemon that ran this long is well again: its back-off starts over. */
#define STABLE_MS 60000

/* Each daemon's unfinished output line. */
static char lines[D_COUNT][LINE_BUF];

static void status_text(struct buf *b, int wstatus)
{
	char tmp[16];

	if (WIFSIGNALED(wstatus))
		buf_printf(b, "killed by %s", sig_name(WTERMSIG(wstatus), tmp));
	else
		buf_printf(b, "exit code %d", WEXITSTATUS(wstatus));
}

/* libvirt's lines read "<time>: <pid>: <level> : <message>". */
static enum log_level line_level(const char *p, size_t n)
{
	static const struct { const char *word; enum log_level lvl; } map[] = {
		{ ": error : ", LOG_ERROR }, { ": warning : ", LOG_WARN },
		{ ": info : ", LOG_INFO }, { ": debug : ", LOG_DEBUG },
	};
	size_t lim = n < 80 ? n : 80;

	for (size_t i = 0; i < sizeof(map) / sizeof(*map); i++)
		if (memmem(p, lim, map[i].word, strlen(map[i].word)))
			return map[i].lvl;
	return LOG_INFO;
}

static void emit_line(void *ctx, const char *p, size_t n)
{
	struct daemon *d = ctx;

	if (n && p[n - 1] == '\r')
		n--;
	lines_log(d->c->name, line_level(p, n), p, n);
}

static void out_close(struct daemon *d)
{
	if (d->out.fd < 0)
		return;
	lines_flush(&d->lines, 1);
	loop_close(d->h->loop, &d->out);
}

static void on_output(struct watch *w, uint32_t events)
{
	struct daemon *d = w->ctx;
	ssize_t n;

	(void)events;
	while ((n = lines_read(&d->lines, w->fd)) > 0)
		;
	if (n < 0 && errno == EAGAIN)
		return;
	if (n < 0)
		log_warn("reading %s's output: %m", d->c->name);
	out_close(d);
}

static int out_open(struct daemon *d, int *wfd)
{
	int p[2];

	out_close(d);
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	/* Only our end is non-blocking: a daemon must never see EAGAIN. */
	if (fcntl(p[0], F_SETFL, O_NONBLOCK) < 0)
		goto fail;
	d->out.fd = p[0];
	if (loop_add(d->h->loop, &d->out, EPOLLIN) < 0) {
		d->out.fd = -1;
		goto fail;
	}
	*wfd = p[1];
	return 0;
fail:
	close(p[0]);
	close(p[1]);
	return -1;
}

static void build_argv(struct daemon *d)
{
	int n = 0;

	d->argv[n++] = (char *)d->c->bin;
	if (d->c->conf[0]) {
		d->argv[n++] = "-f";
		d->argv[n++] = (char *)d->c->conf;
	}
	for (int i = 0; d->flags_ok && i < d->c->nflags; i++)
		d->argv[n++] = (char *)d->c->flags[i];
	for (int i = 0; i < d->c->nextra; i++)
		d->argv[n++] = (char *)d->c->extra[i];
	d->argv[n] = 0;
}

static void started_line(struct daemon *d)
{
	char store[1024];
	struct buf b = BUF_INIT(store);

	for (char **a = d->argv; *a; a++)
		buf_printf(&b, "%s%s", a == d->argv ? "" : " ", *a);
	log_info("started %s as pid %d: %s", d->c->name, d->pid, buf_cstr(&b));
}

/* --- the actions: each returns the next state --- */

/* WAIT's guard: its config is there, the probe has answered, and the
 * daemon it starts after (virtqemud: virtlogd) is ready. */
static int can_start(const struct daemon *d)
{
	return d->conf_ok && d->probed &&
	       (!d->after || !d->after->c->enabled || d->after->ready);
}

static enum dstate start(struct daemon *d, enum doutcome *out)
{
	const struct daemon_host *h = d->h;
	int wfd = -1;

	if (!can_start(d)) {
		/* Said once: a socket that never appears is otherwise silent
		 * (no apostrophe: the suites quote logs in single quotes). */
		if (d->conf_ok && d->probed && !d->said_wait++)
			log_info("%s waits for %s to create %s", d->c->name,
				 d->after->c->name, d->after->c->socket);
		return DS_WAIT;
	}
	if (d->c->socket[0] && unlink(d->c->socket) < 0 && errno != ENOENT)
		log_warn("removing the stale %s: %m", d->c->socket);
	d->ready = 0;
	if (h->out_fd >= 0)
		wfd = h->out_fd;	/* the parent reads it as it is */
	else if (out_open(d, &wfd) < 0)
		log_warn("pipe for %s's output: %m (it goes to our stderr)", d->c->name);
	build_argv(d);
	struct spawn_req req = {
		.argv = d->argv, .mask = h->orig, .pdeathsig = SIGKILL,
		.out_fd = wfd, .ignore_chld = h->ignore_chld,
		.envp = d->idx == D_QEMUD ? h->env->qemud : 0,
	};
	child_env_ambient(h->env, d->idx == D_QEMUD);
	d->pid = spawn(&req);
	child_env_ambient(h->env, 1);
	if (wfd >= 0 && wfd != h->out_fd)
		close(wfd);
	if (d->pid < 0) {
		d->pid = 0;
		log_error("fork for %s: %m", d->c->name);
		*out = DO_FORK_FAILED;
		return DS_DONE;
	}
	d->started_ms = clock_ms();
	started_line(d);
	if (!d->c->socket[0])
		d->ready = 1;
	return DS_RUN;
}

static void flags_list(struct daemon *d, struct buf *b)
{
	for (int i = 0; i < d->c->nflags; i++)
		buf_printf(b, "%s%s", i ? " " : "", d->c->flags[i]);
	buf_cstr(b);
}

/* The probe's answer: with the flags, without them (a warning), or, with
 * --strict, never. */
static enum dstate probed(struct daemon *d, enum doutcome *out)
{
	char store[64];
	struct buf flags = BUF_INIT(store);
	int code = exit_code_of(d->status);

	d->flags_ok = code == 0;
	flags_list(d, &flags);
	if (d->flags_ok) {
		log_info("%s accepts the restricted flags %s", d->c->name, flags.p);
	} else if (d->h->cfg->strict) {
		log_error("%s does not accept %s (%s exited with code %d) and --strict is set",
			  d->c->name, flags.p, d->c->bin, code);
		*out = DO_FLAGS_REFUSED;
		return DS_DONE;
	} else {
		log_warn("%s does not accept the restricted flags %s (%s --help with them exited with code %d): "
			 "an upstream libvirt? running it without them, so its admin%s sockets will exist",
			 d->c->name, flags.p, d->c->bin, code, d->idx == D_QEMUD ? " and read-only" : "");
	}
	return start(d, out);
}

/* Restarts: the first at once, then back-off doubling up to the maximum;
 * more crashes than the budget within the window end the pod. */
static int over_budget(struct daemon *d, long now)
{
	const struct config *c = d->h->cfg;
	int n = 0, cap = sizeof(d->crashes) / sizeof(*d->crashes);

	d->crashes[d->ncrash++ % cap] = now;
	if (!c->crash_budget)
		return 0;
	for (int i = 0; i < cap && i < d->ncrash; i++)
		n += now - d->crashes[i] < c->crash_window_ms;
	return n > c->crash_budget;
}

static long backoff_delay(struct daemon *d, long now)
{
	const struct config *c = d->h->cfg;
	long delay = c->backoff_ms;

	if (now - d->started_ms >= STABLE_MS)
		d->streak = 0;
	if (d->streak++ == 0)
		return 0;
	for (int i = 1; i < d->streak - 1 && delay < c->backoff_max_ms; i++)
		delay *= 2;
	return delay < c->backoff_max_ms ? delay : c->backoff_max_ms;
}

static enum dstate restart(struct daemon *d, enum doutcome *out)
{
	char store[64];
	struct buf st = BUF_INIT(store);
	long now = clock_ms(), delay;

	status_text(&st, d->status);
	buf_cstr(&st);
	if (over_budget(d, now)) {
		log_warn("%s exited (%s)", d->c->name, st.p);
		log_error("%s crashed %ld times within %ld ms: crash budget spent, ending the pod",
			  d->c->name, d->h->cfg->crash_budget + 1, d->h->cfg->crash_window_ms);
		*out = DO_BUDGET_SPENT;
		return DS_DONE;
	}
	delay = backoff_delay(d, now);
	if (delay == 0) {
		log_warn("%s exited (%s), restarting", d->c->name, st.p);
		return start(d, out);
	}
	log_warn("%s exited (%s), restarting in %ld ms", d->c->name, st.p, delay);
	if (timer_arm(d->timer.fd, delay) < 0) {
		log_error("timerfd_settime: %m");
		return start(d, out);
	}
	return DS_BACKOFF;
}

static enum dstate ended(struct daemon *d, enum doutcome *out)
{
	char store[64];
	struct buf st = BUF_INIT(store);

	(void)out;
	status_text(&st, d->status);
	log_info("%s exited (%s)", d->c->name, buf_cstr(&st));
	return DS_DONE;
}

static enum dstate retry(struct daemon *d, enum doutcome *out)
{
	return start(d, out);
}

static enum dstate cancel(struct daemon *d, enum doutcome *out)
{
	(void)out;
	timer_arm(d->timer.fd, 0);
	return DS_DONE;
}

static enum dstate last(struct daemon *d, enum doutcome *out)
{
	(void)d;
	(void)out;
	return DS_LAST;
}

static enum dstate term(struct daemon *d, enum doutcome *out)
{
	(void)out;
	log_info("stopping %s (pid %d)", d->c->name, d->pid);
	if (kill(d->pid, SIGTERM) < 0 && errno != ESRCH)
		log_warn("kill %s: %m", d->c->name);
	grace_start(&d->grace, d->h->cfg->grace_ms);
	return DS_STOP;
}

/* --- the table --- */

typedef enum dstate action(struct daemon *, enum doutcome *);

/* An empty cell: the event changes nothing in that state.  Checked
 * against supervisor/README.md ("Start order", "Restarts", "Stop", and
 * the table in "The daemons' states"). */
static action *const table[DS_COUNT][DE_COUNT] = {
	/*              CHECK  PROBED  EXIT     TIMER  FREEZE  STOP */
	[DS_OFF]     = { 0,     0,      0,       0,     0,      0 },
	[DS_WAIT]    = { start, probed, 0,       0,     cancel, cancel },
	[DS_RUN]     = { 0,     0,      restart, 0,     last,   term },
	[DS_BACKOFF] = { 0,     0,      0,       retry, cancel, cancel },
	[DS_LAST]    = { 0,     0,      ended,   0,     0,      term },
	[DS_STOP]    = { 0,     0,      ended,   0,     0,      0 },
	[DS_DONE]    = { 0,     0,      0,       0,     0,      0 },
};

enum doutcome daemon_event(struct daemon *d, enum devent ev)
{
	enum doutcome out = DO_NOTHING;
	action *fn = table[d->state][ev];

	if (fn)
		d->state = fn(d, &out);
	/* Past RUN its config no longer matters. */
	if (d->state >= DS_LAST)
		pathwatch_stop(&d->conf_w);
	return out;
}

/* --- the facts --- */

void daemon_conf(struct daemon *d, int present)
{
	d->conf_ok = present;
	if (present)
		log_debug("%s: %s exists", d->c->name, d->c->conf);
	else if (d->state == DS_WAIT)
		log_info("%s waits for its config %s", d->c->name, d->c->conf);
}

int daemon_socket(struct daemon *d, int present)
{
	if (!present) {
		d->ready = 0;
		return 0;
	}
	if (d->state != DS_RUN || d->ready)
		return 0;
	d->ready = 1;
	log_info("%s is ready: %s appeared", d->c->name, d->c->socket);
	return 1;
}

int daemon_reaped(struct daemon *d, pid_t pid, int wstatus)
{
	if (pid <= 0 || (pid != d->probe && pid != d->pid))
		return -1;
	d->status = wstatus;
	if (pid == d->probe) {
		d->probe = 0;
		d->probed = 1;
		return DE_PROBED;
	}
	d->pid = 0;
	d->ready = 0;
	grace_cancel(&d->grace);
	return DE_EXIT;
}

int daemon_up(const struct daemon *d)
{
	return d->state == DS_RUN || d->state == DS_LAST || d->state == DS_STOP;
}

void daemon_outcome_details(const struct daemon *d, enum doutcome o,
			    char *out, size_t cap)
{
	struct buf b = { out, 0, cap, 0 };
	const char *name = d->idx == D_QEMUD ? "virtqemud" : "virtlogd";

	if (o == DO_FORK_FAILED)
		buf_str(&b, "{\"reason\":\"fork-failed\"}");
	else if (o == DO_BUDGET_SPENT)
		buf_printf(&b, "{\"reason\":\"crash-budget\",\"daemon\":\"%s\",\"crashes\":%ld,\"window_ms\":%ld}",
			   name, d->h->cfg->crash_budget + 1, d->h->cfg->crash_window_ms);
	else if (o == DO_FLAGS_REFUSED)
		buf_printf(&b, "{\"reason\":\"restricted-flags-unsupported\",\"daemon\":\"%s\"}", name);
	buf_cstr(&b);
}

/* --- set-up --- */

static void probe_start(struct daemon *d)
{
	char *argv[4 + 1] = { (char *)d->c->bin };
	int n = 1, null = open("/dev/null", O_WRONLY | O_CLOEXEC);

	for (int i = 0; i < d->c->nflags; i++)
		argv[n++] = (char *)d->c->flags[i];
	argv[n++] = "--help";
	argv[n] = 0;
	struct spawn_req req = {
		.argv = argv, .mask = d->h->orig, .pdeathsig = SIGKILL,
		.out_fd = null, .ignore_chld = d->h->ignore_chld,
	};
	d->probe = spawn(&req);
	if (null >= 0)
		close(null);
	if (d->probe < 0) {
		log_warn("fork to check %s's flags: %m; running it without them", d->c->name);
		d->probe = 0;
		d->probed = 1;
	}
}

int daemon_init(struct daemon *d, const struct daemon_host *h, int idx,
		const struct daemon *after)
{
	d->h = h;
	d->idx = idx;
	d->c = &h->cfg->d[idx];
	d->after = after;
	d->lines = (struct lines){ lines[idx], 0, LINE_BUF, emit_line, d };
	d->out = (struct watch){ -1, on_output, d };
	d->timer.fd = d->conf_w.d.w.fd = d->sock_w.d.w.fd = -1;
	if (!d->c->enabled) {
		d->state = DS_OFF;
		log_info("%s is disabled", d->c->name);
		return 0;
	}
	d->state = DS_WAIT;
	if (grace_init(&d->grace, h->loop, grace_send_pid, &d->pid) < 0)
		return -1;
	d->probed = !h->cfg->restricted || d->c->nflags == 0;
	if (!h->cfg->restricted)
		log_info("%s runs without the restricted flags (--no-restricted-flags)", d->c->name);
	else if (!d->probed)
		probe_start(d);
	d->conf_ok = !d->c->conf[0];
	return 0;
}
