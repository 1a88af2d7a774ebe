/* Unit tests of the daemons' state × event table (supervisor/daemon.c),
 * cell by cell as supervisor/README.md ("The daemons' states") gives it.
 * The daemons are real children (sleep), so TERM and the exits are real. */
#define UNIT_NAME "unit_sup_daemon"
#include "check.h"

#include "../../supervisor/daemon.c"
#include "../../supervisor/env.c"
#include "../../supervisor/lines.c"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

static struct config cfg;
static struct daemon_host s;
static struct daemon ds[D_COUNT];
static struct loop loop;
static struct child_env env;
static sigset_t mask;

/* A daemon in state st; no config, socket or probe to wait for. */
static struct daemon *fresh(int idx, enum dstate st)
{
	struct daemon *d = &ds[idx];

	memset(d, 0, sizeof(*d));
	cfg.d[idx] = (struct daemon_cfg){ .name = idx ? "virtqemud" : "virtlogd",
					  .bin = "/bin/sleep", .conf = "", .socket = "",
					  .extra = { "60" }, .nextra = 1, .enabled = 1 };
	CHECK_INT(daemon_init(d, &s, idx, idx == D_QEMUD ? &ds[D_LOGD] : 0), 0);
	d->timer.fd = timer_open();
	d->state = st;
	return d;
}

/* ev changes nothing but d's state, to st. */
#define STEP(d, ev, st) do { \
	CHECK_INT(daemon_event(d, ev), DO_NOTHING); \
	CHECK_INT((d)->state, st); \
	} while (0)

/* The daemon's process went: its status as the reaper gives it. */
static int reap_it(struct daemon *d)
{
	int st;
	pid_t pid = d->pid;

	CHECK(waitpid(pid, &st, 0) == pid);
	return daemon_reaped(d, pid, st);
}

static void setup(void)
{
	sigemptyset(&mask);
	cfg.grace_ms = 5000;
	cfg.backoff_ms = 100;
	cfg.backoff_max_ms = 1000;
	cfg.crash_budget = 10;
	cfg.crash_window_ms = 600000;
	s.cfg = &cfg;
	s.orig = &mask;
	s.out_fd = -1;	/* no --output-fd: a pipe per daemon */
	loop_init(&loop);
	s.loop = &loop;
	s.env = &env;
	log_setup("unit", LOG_ERROR, LOG_TEXT);
}

static void wait_starts_and_waits(void)
{
	struct daemon *d = fresh(D_LOGD, DS_WAIT);

	d->conf_ok = 0;
	STEP(d, DE_CHECK, DS_WAIT);
	d->conf_ok = 1;
	d->probed = 0;
	STEP(d, DE_CHECK, DS_WAIT);
	d->probed = 1;
	STEP(d, DE_CHECK, DS_RUN);
	CHECK(d->pid > 0);
	CHECK_INT(daemon_up(d), 1);
	/* RUN ignores CHECK, TIMER, PROBED */
	CHECK_INT(daemon_event(d, DE_CHECK), DO_NOTHING);
	CHECK_INT(daemon_event(d, DE_TIMER), DO_NOTHING);
	STEP(d, DE_PROBED, DS_RUN);
	kill(d->pid, SIGKILL);
	CHECK_INT(reap_it(d), DE_EXIT);
	/* the first crash: restarted at once */
	STEP(d, DE_EXIT, DS_RUN);
	kill(d->pid, SIGKILL);
	CHECK_INT(reap_it(d), DE_EXIT);
	/* the second: after the back-off */
	STEP(d, DE_EXIT, DS_BACKOFF);
	CHECK_INT(daemon_up(d), 0);
	STEP(d, DE_TIMER, DS_RUN);
	/* MAIN gone: running on, no restart */
	STEP(d, DE_FREEZE, DS_LAST);
	STEP(d, DE_STOP, DS_STOP);
	CHECK_INT(daemon_up(d), 1);
	CHECK_INT(reap_it(d), DE_EXIT);
	CHECK_INT(WTERMSIG(d->status), SIGTERM);
	STEP(d, DE_EXIT, DS_DONE);
	CHECK_INT(daemon_up(d), 0);
}

/* virtqemud starts only once virtlogd is ready. */
static void after_virtlogd(void)
{
	struct daemon *l = fresh(D_LOGD, DS_RUN), *q = fresh(D_QEMUD, DS_WAIT);

	l->ready = 0;
	STEP(q, DE_CHECK, DS_WAIT);
	l->ready = 1;
	STEP(q, DE_CHECK, DS_RUN);
	CHECK_INT(daemon_event(q, DE_STOP), DO_NOTHING);
	CHECK_INT(reap_it(q), DE_EXIT);
	STEP(q, DE_EXIT, DS_DONE);
}

static void freeze_and_stop_before_running(void)
{
	struct daemon *d = fresh(D_LOGD, DS_WAIT);

	STEP(d, DE_FREEZE, DS_DONE);
	d = fresh(D_LOGD, DS_BACKOFF);
	STEP(d, DE_STOP, DS_DONE);
	/* DONE and OFF take nothing */
	for (int ev = 0; ev < DE_COUNT; ev++)
		CHECK_INT(daemon_event(d, ev), DO_NOTHING);
	CHECK_INT(d->state, DS_DONE);
	d->state = DS_OFF;
	for (int ev = 0; ev < DE_COUNT; ev++)
		CHECK_INT(daemon_event(d, ev), DO_NOTHING);
	CHECK_INT(d->state, DS_OFF);
}

/* The outcomes that end the pod are returned, not acted on. */
static void outcomes(void)
{
	char details[160];
	struct daemon *d = fresh(D_QEMUD, DS_WAIT);

	cfg.strict = 1;
	d->conf_ok = d->probed = 1;
	d->status = 1 << 8;	/* the probe exited 1 */
	CHECK_INT(daemon_event(d, DE_PROBED), DO_FLAGS_REFUSED);
	CHECK_INT(d->state, DS_DONE);
	daemon_outcome_details(d, DO_FLAGS_REFUSED, details, sizeof(details));
	CHECK_STR(details, "{\"reason\":\"restricted-flags-unsupported\",\"daemon\":\"virtqemud\"}");
	cfg.strict = 0;
	d = fresh(D_LOGD, DS_WAIT);
	d->conf_ok = d->probed = 1;
	cfg.crash_budget = 1;
	CHECK_INT(daemon_event(d, DE_CHECK), DO_NOTHING);
	kill(d->pid, SIGKILL);
	reap_it(d);
	STEP(d, DE_EXIT, DS_RUN);
	kill(d->pid, SIGKILL);
	reap_it(d);
	CHECK_INT(daemon_event(d, DE_EXIT), DO_BUDGET_SPENT);
	CHECK_INT(d->state, DS_DONE);
	daemon_outcome_details(d, DO_BUDGET_SPENT, details, sizeof(details));
	CHECK_STR(details, "{\"reason\":\"crash-budget\",\"daemon\":\"virtlogd\",\"crashes\":2,\"window_ms\":600000}");
	cfg.crash_budget = 10;
}

int main(void)
{
	setup();
	RUN(wait_starts_and_waits);
	RUN(after_virtlogd);
	RUN(freeze_and_stop_before_running);
	RUN(outcomes);
	UNIT_DONE();
}
