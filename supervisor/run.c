/* The event loop of PID 1: MAIN, the daemons, signals, the ordered stop. */
#include "run.h"
#include "buf.h"
#include "cleanup.h"
#include "daemon.h"
#include "env.h"
#include "fd.h"
#include "istio.h"
#include "log.h"
#include "loop.h"
#include "monitor.h"
#include "pidfd.h"
#include "prepare.h"
#include "proc.h"
#include "qemu.h"
#include "role.h"
#include "sig.h"
#include "termlog.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

enum phase {
	PH_RUN, PH_MAIN, PH_QEMU, PH_QEMUD, PH_LOGD, PH_REST,
	PH_ISTIO,		/* the monitor: the sidecar is asked to quit */
	PH_KEEP,		/* the monitor: --keep-after-failure */
	PH_DONE,
};

struct sup {
	const struct config *cfg;
	const sigset_t *orig;
	struct loop loop;
	struct watch sigw;
	pid_t self, main_pid;
	pid_t parent;		/* --for-parent */
	struct watch parentw;	/* its pidfd */
	int out_fd;		/* --output-fd, as our fd 3; -1 none */
	int exec_err;		/* the monitor: virt-launcher's exec failed */
	int main_done, main_status;
	int none_left;
	enum phase phase;
	int fatal;		/* our own exit code when we ended the pod */
	int ignore_chld;	/* SIGCHLD was inherited ignored */
	struct child_env env;
	struct grace main_grace, qemu_grace, rest_grace;
	struct qemu_set qemu;
	int termlog_on;
	struct termlog tl;
	struct istio istio;
	struct daemon_host host;	/* what the daemons share */
	struct daemon d[D_COUNT];
};

static void begin_stop(struct sup *s, const char *why, int term_main);

/* Our own reason to end the pod: its exit code, its termination-log
 * event, then the ordered stop (MAIN gets TERM). */
static void end_pod(struct sup *s, int code, const char *why, const char *details)
{
	if (s->fatal)
		return;
	s->fatal = code;
	if (s->termlog_on)
		termlog_own(&s->tl, details);
	begin_stop(s, why, 1);
}

/* --- the daemons: each event goes to the table (daemon.c); the loop
 * acts on what it returns --- */

static void deliver(struct daemon *d, enum devent ev)
{
	static const struct { int code; const char *why; } ends[] = {
		[DO_FORK_FAILED] = { EXIT_SETUP, "fork failed" },
		[DO_BUDGET_SPENT] = { EXIT_BUDGET, "crash budget spent" },
		[DO_FLAGS_REFUSED] = { EXIT_STRICT, "restricted flags unsupported" },
	};
	char details[160];
	enum doutcome o = daemon_event(d, ev);

	if (o == DO_NOTHING)
		return;
	daemon_outcome_details(d, o, details, sizeof(details));
	end_pod(d->h->ctx, ends[o].code, ends[o].why, details);
}

static void deliver_all(struct sup *s, enum devent ev)
{
	for (int i = 0; i < D_COUNT; i++)
		deliver(&s->d[i], ev);
}

static void on_conf(struct pathwatch *pw, int present)
{
	struct daemon *d = pw->ctx;

	daemon_conf(d, present);
	if (present)
		deliver(d, DE_CHECK);
}

/* One daemon's readiness may let another start (virtqemud after
 * virtlogd): the table's guard decides. */
static void on_socket(struct pathwatch *pw, int present)
{
	struct daemon *d = pw->ctx;

	if (daemon_socket(d, present))
		deliver_all(d->h->ctx, DE_CHECK);
}

static void on_backoff(struct watch *w, uint32_t events)
{
	(void)events;
	timer_ack(w->fd);
	deliver(w->ctx, DE_TIMER);
}

static int daemon_watch(struct sup *s, struct daemon *d)
{
	const struct daemon_cfg *c = d->c;

	d->timer = (struct watch){ timer_open(), on_backoff, d };
	if (d->timer.fd < 0 || loop_add(&s->loop, &d->timer, EPOLLIN) < 0)
		return -1;
	if (c->socket[0] && pathwatch_start(&d->sock_w, &s->loop, c->socket, on_socket, d) < 0)
		return -1;
	if (c->conf[0] && pathwatch_start(&d->conf_w, &s->loop, c->conf, on_conf, d) < 0)
		return -1;
	return 0;
}

static int daemons_setup(struct sup *s)
{
	s->host = (struct daemon_host){
		.cfg = s->cfg, .loop = &s->loop, .orig = s->orig,
		.ignore_chld = s->ignore_chld, .out_fd = s->out_fd,
		.env = &s->env, .ctx = s,
	};
	for (int i = 0; i < D_COUNT; i++) {
		struct daemon *d = &s->d[i];

		if (daemon_init(d, &s->host, i, i == D_QEMUD ? &s->d[D_LOGD] : 0) < 0 || (d->c->enabled && daemon_watch(s, d) < 0)) {
			log_error("setting up %s: %m", d->c->name);
			return -1;
		}
		deliver(d, DE_CHECK);
	}
	return 0;
}

/* MAIN has exited (or, --for-parent, the stop began): nothing needs a
 * daemon any more, so none is started or restarted. */
static void main_gone(struct sup *s)
{
	s->main_done = 1;
	deliver_all(s, DE_FREEZE);
}

/* --- the ordered stop: MAIN → QEMU → virtqemud → virtlogd → the rest --- */

static void enter_qemu(struct sup *s)
{
	s->phase = PH_QEMU;
	grace_cancel(&s->main_grace);
	if (s->cfg->mode == MODE_MONITOR)
		monitor_dump_logs();
	/* Not a subreaper: QEMU, daemonised by virtqemud, went to the pod's
	 * PID 1 (the monitor), whose job it stays. */
	if (s->cfg->mode == MODE_PARENT || !qemu_find(&s->qemu))
		return;
	log_info("stopping %d leftover QEMU process(es), %ld ms before SIGKILL",
		 s->qemu.n, s->cfg->qemu_timeout_ms);
	qemu_send(SIGTERM, &s->qemu);
	grace_start(&s->qemu_grace, s->cfg->qemu_timeout_ms);
}

static void enter_daemon(struct sup *s, enum phase ph, int idx)
{
	if (ph == PH_QEMUD)
		grace_cancel(&s->qemu_grace);
	s->phase = ph;
	deliver(&s->d[idx], DE_STOP);
}

static int term_child(const char *name, void *ctx)
{
	long pid;

	(void)ctx;
	if (parse_long(name, 2, 1 << 22, &pid))
		return 0;
	if (kill(pid, SIGTERM) < 0 || kill(pid, SIGCONT) < 0) {
		if (errno != ESRCH)
			log_warn("kill %ld: %m", pid);
	}
	return 0;
}

/* Our children first, each stopping its own tree in its own order (a
 * tether-supervise --for-parent orphaned by virt-launcher's death stops
 * its daemons in order); what they leave comes to us and gets its TERM
 * the next round; the grace period's end kills the whole tree. */
static void term_children(void)
{
	if (proc_children_each(term_child, 0) < 0)
		role_term_rest();
}

static void enter_rest(struct sup *s)
{
	s->phase = PH_REST;
	reap_all(0, 0, &s->none_left);
	if (!s->none_left)
		role_stop_rest(&s->rest_grace, s->cfg->grace_ms, term_children);
}

/* The exit code: MAIN's, or ours.  The monitor's own rules: 1 when
 * virt-launcher could not be started or QEMU outlived its time, 255 for a
 * virt-launcher killed by a signal (Go's ExitStatus() is -1 then). */
static int final_code(struct sup *s)
{
	const struct config *c = s->cfg;
	int code = exit_code_of(s->main_status);

	if (s->fatal)
		return s->fatal;
	if (s->qemu_grace.killed)
		log_warn("QEMU outlived --qemu-timeout and was killed");
	if (c->mode == MODE_MONITOR) {
		if (s->exec_err || s->qemu_grace.killed)
			return EXIT_QEMU_KILLED;
		return WIFSIGNALED(s->main_status) ? 255 : code;
	}
	return code == 0 && s->qemu_grace.killed ? EXIT_QEMU_KILLED : code;
}

static void conclude(struct sup *s)
{
	int code = final_code(s);

	if (s->cfg->cleanup_glob)
		remove_sockets(s->cfg->cleanup_glob);
	if (s->termlog_on)
		termlog_close(&s->tl);
	if (s->cfg->mode == MODE_MONITOR && s->cfg->keep_after_failure && code) {
		s->phase = PH_KEEP;
		log_info("keeping the container alive since --keep-after-failure is set "
			 "(exit code %d; only SIGKILL ends it now)", code);
		return;
	}
	s->phase = PH_DONE;
	log_info("exiting with code %d", code);
	loop_exit(&s->loop, code);
}

static void istio_done(void *ctx)
{
	conclude(ctx);
}

/* Everything has been stopped: the monitor's last steps (the sidecar,
 * then the sockets), then the exit. */
static void finish(struct sup *s)
{
	grace_cancel(&s->rest_grace);
	if (s->cfg->mode == MODE_MONITOR && s->cfg->istio) {
		s->phase = PH_ISTIO;
		istio_quit(&s->istio, &s->loop, istio_done, s);
		return;
	}
	conclude(s);
}

static void step(struct sup *s)
{
	if (s->phase == PH_MAIN && s->main_done)
		enter_qemu(s);
	if (s->phase == PH_QEMU && s->qemu.n == 0)
		enter_daemon(s, PH_QEMUD, D_QEMUD);
	if (s->phase == PH_QEMUD && !daemon_up(&s->d[D_QEMUD]))
		enter_daemon(s, PH_LOGD, D_LOGD);
	if (s->phase == PH_LOGD && !daemon_up(&s->d[D_LOGD]))
		enter_rest(s);
	if (s->phase == PH_REST && s->none_left)
		finish(s);
}

static void begin_stop(struct sup *s, const char *why, int term_main)
{
	if (s->phase != PH_RUN)
		return;
	s->phase = PH_MAIN;
	log_info("stopping: %s", why);
	if (s->cfg->mode == MODE_PARENT)
		main_gone(s);	/* no MAIN: the daemons go at once */
	if (!s->main_done && term_main && kill(s->main_pid, SIGTERM) < 0 &&
	    errno != ESRCH)
		log_warn("kill MAIN: %m");
	if (!s->main_done && s->cfg->main_grace_ms > 0)
		grace_start(&s->main_grace, s->cfg->main_grace_ms);
	step(s);
}

/* --- the reaper and signals --- */

static void main_exited(struct sup *s, int wstatus)
{
	char name[16], details[128];
	struct buf d = BUF_INIT(details);

	s->main_status = wstatus;
	main_gone(s);
	s->tl.owner = 0;	/* its pid may be someone else's now */
	if (WIFSIGNALED(wstatus)) {
		log_warn("MAIN (pid %d) was killed by %s", s->main_pid,
			 sig_name(WTERMSIG(wstatus), name));
		buf_printf(&d, "{\"reason\":\"main-killed\",\"signal\":\"%s\"}", name);
		if (s->termlog_on && !s->fatal)
			termlog_own(&s->tl, buf_cstr(&d));
	} else {
		log_info("MAIN (pid %d) exited with code %d", s->main_pid,
			 WEXITSTATUS(wstatus));
	}
	begin_stop(s, "MAIN has exited", 0);
}

static void on_reaped(pid_t pid, int wstatus, void *ctx)
{
	struct sup *s = ctx;

	if (pid == s->main_pid && !s->main_done) {
		main_exited(s, wstatus);
		return;
	}
	for (int i = 0; i < D_COUNT; i++) {
		int ev = s->d[i].c && s->d[i].c->enabled ? daemon_reaped(&s->d[i], pid, wstatus) : -1;

		if (ev >= 0) {
			deliver(&s->d[i], ev);
			return;
		}
	}
	if (!qemu_reaped(&s->qemu, pid))
		log_debug("reaped pid %d (exit code %d)", pid, exit_code_of(wstatus));
}

/* A wait that finds no child at all (ECHILD) is the kernel's last word:
 * whatever we still wait for is gone, and its status is lost (111 in its
 * place).  It cannot happen while a child is unreaped; if it ever did,
 * waiting on would be waiting forever. */
static void children_gone(struct sup *s)
{
	const int lost = EXIT_SETUP << 8;	/* a wait status: exit code 111 */
	int ev;

	s->qemu.n = 0;
	for (int i = 0; i < D_COUNT; i++) {
		struct daemon *d = &s->d[i];
		/* Both noted first: an event may start a new child. */
		pid_t pids[2] = { d->probe, d->pid };

		for (int k = 0; k < 2 && d->c && d->c->enabled; k++) {
			if (pids[k] <= 0 || (ev = daemon_reaped(d, pids[k], lost)) < 0)
				continue;
			errno = ECHILD;
			log_error("wait4: %m while %s (pid %d) was not reaped: taken as gone, its status unknown",
				  d->c->name, pids[k]);
			deliver(d, ev);
		}
	}
	if (s->cfg->mode == MODE_PARENT || s->main_done || s->main_pid <= 0)
		return;
	errno = ECHILD;
	log_error("wait4: %m while MAIN (pid %d) was not reaped: taken as gone, its status unknown (111)",
		  s->main_pid);
	s->main_status = lost;
	main_gone(s);
	s->tl.owner = 0;
	begin_stop(s, "MAIN is gone", 0);
}

static void reap(struct sup *s)
{
	if (reap_all(on_reaped, s, &s->none_left) && s->phase == PH_REST && !s->none_left)
		term_children();
	if (s->none_left)
		children_gone(s);
	step(s);
}

/* why: the signal that made us send sig, or 0 when sig is forwarded. */
static void send_main(struct sup *s, int sig, const char *why)
{
	char name[16];

	if (s->main_done || s->main_pid <= 0)
		return;
	if (why)
		log_info("%s: sending %s to MAIN", why, sig_name(sig, name));
	else
		log_info("forwarding %s to MAIN", sig_name(sig, name));
	if (kill(s->main_pid, sig) < 0 && errno != ESRCH)
		log_warn("kill MAIN: %m");
}

static int stop_signal(int sig)
{
	sigset_t stops;

	role_stop_signals(STOP_SUPERVISE, &stops);
	return sigismember(&stops, sig) == 1;
}

/* PID 1 with MAIN: every signal forwarded as it came; TERM, INT, QUIT
 * also start the stop. */
static void signal_main(struct sup *s, int sig, const char *name)
{
	send_main(s, sig, 0);
	if (stop_signal(sig))
		begin_stop(s, name, 0);
}

/* The monitor: INT, TERM and QUIT become one SIGTERM to virt-launcher;
 * HUP is passed on (virt-launcher stops on it too); the rest, which the
 * monitor catches and ignores, are ignored. */
static void signal_monitor(struct sup *s, int sig, const char *name)
{
	if (s->phase == PH_KEEP) {
		log_info("%s ignored: kept alive by --keep-after-failure", name);
		return;
	}
	if (stop_signal(sig)) {
		send_main(s, SIGTERM, name);
		begin_stop(s, name, 0);
	} else if (sig == SIGHUP) {
		send_main(s, sig, 0);
	} else {
		log_debug("%s ignored", name);
	}
}

/* --for-parent: the parent stops us with TERM (INT, QUIT alike). */
static void signal_parent(struct sup *s, int sig, const char *name)
{
	if (stop_signal(sig))
		begin_stop(s, name, 0);
	else
		log_debug("%s ignored", name);
}

static void on_signals(struct watch *w, uint32_t events)
{
	struct sup *s = w->ctx;
	struct signalfd_siginfo si;
	char name[16];
	int got, sig;

	(void)events;
	while ((got = sigfd_read(w->fd, &si)) > 0) {
		sig = si.ssi_signo;
		if ((pid_t)si.ssi_pid == s->self && si.ssi_code != SI_QUEUE)
			continue;
		if (sig == SIGCHLD)
			continue;
		sig_name(sig, name);
		if (s->cfg->mode == MODE_MONITOR)
			signal_monitor(s, sig, name);
		else if (s->cfg->mode == MODE_PARENT)
			signal_parent(s, sig, name);
		else
			signal_main(s, sig, name);
	}
	if (got < 0)
		log_error("reading signalfd: %m");
	reap(s);
}

/* --for-parent: the parent's death is its pidfd becoming readable, at
 * once.  PR_SET_PDEATHSIG is not used: it fires when the thread that
 * forked us exits, and a Go program's threads come and go. */
static void on_parent(struct watch *w, uint32_t events)
{
	struct sup *s = w->ctx;

	(void)events;
	if (w->fd < 0)
		return;
	loop_close(&s->loop, w);
	s->tl.owner = 0;	/* its pid may be someone else's now */
	log_warn("the parent (pid %d) has exited", s->parent);
	begin_stop(s, "the parent has exited", 0);
}

static int open_parent(struct sup *s)
{
	s->parent = getppid();
	s->parentw = (struct watch){ pidfd_open_pid(s->parent), on_parent, s };
	if (s->parentw.fd < 0) {
		log_error("pidfd_open of the parent (pid %d): %m", s->parent);
		return -1;
	}
	/* A parent that died before the pidfd existed re-parented us. */
	if (getppid() != s->parent) {
		log_error("the parent (pid %d) exited before tether-supervise started", s->parent);
		return -1;
	}
	log_info("started for the parent (pid %d)", s->parent);
	return 0;
}

/* --- set-up --- */

/* --output-fd: the parent's fd becomes our fd 3, close-on-exec (each
 * daemon gets it as its stdout and stderr), so that every other fd we
 * were given can still be closed. */
static int keep_output_fd(struct sup *s)
{
	int fd = s->cfg->output_fd;

	if (fd < 0)
		return 0;
	if (fd != 3 ? dup3(fd, 3, O_CLOEXEC) < 0 : fcntl(3, F_SETFD, FD_CLOEXEC) < 0) {
		log_error("keeping --output-fd %d: %m", fd);
		return -1;
	}
	s->out_fd = 3;
	return 0;
}

static int start_main(struct sup *s)
{
	struct spawn_req req = {
		.argv = s->cfg->argv, .mask = s->orig,
		.ignore_chld = s->ignore_chld,
		.exec_errno = s->cfg->mode == MODE_MONITOR ? &s->exec_err : 0,
	};

	child_env_ambient(&s->env, 1);
	s->main_pid = spawn(&req);
	if (s->main_pid < 0) {
		log_error("fork: %m");
		return -1;
	}
	if (s->exec_err) {
		errno = s->exec_err;
		log_error("failed to run %s: %m", s->cfg->argv[0]);
	}
	/* MAIN inherits our fds; afterwards we hold none we were given. */
	drop_inherited();
	log_info("started MAIN %s as pid %d", s->cfg->argv[0], s->main_pid);
	return 0;
}

static int setup_loop(struct sup *s)
{
	if (loop_init_signals(&s->loop, &s->sigw, 0, on_signals, s) < 0 ||
	    grace_init(&s->main_grace, &s->loop, grace_send_pid, &s->main_pid) < 0 ||
	    grace_init(&s->qemu_grace, &s->loop, qemu_send, &s->qemu) < 0 ||
	    grace_init(&s->rest_grace, &s->loop, grace_send_tree, 0) < 0) {
		log_error("setting up the event loop: %m");
		return -1;
	}
	return 0;
}

static int setup_rest(struct sup *s)
{
	const struct config *c = s->cfg;

	long auth = c->auth_pid == AUTH_MAIN ? s->main_pid :
		    c->auth_pid == AUTH_PARENT ? s->parent : c->auth_pid;

	if (c->mode == MODE_PARENT && (loop_add(&s->loop, &s->parentw, EPOLLIN) < 0)) {
		log_error("watching the parent: %m");
		return -1;
	}
	if (c->termlog) {
		if (termlog_open(&s->tl, &s->loop, c->termlog, c->event_socket,
				 c->termlog_max) < 0)
			return -1;
		s->termlog_on = 1;
		s->tl.owner = c->mode == MODE_PARENT ? s->parent : s->main_pid;
		s->tl.owner_name = c->mode == MODE_PARENT ? "the parent" : "MAIN";
	}
	if (child_env_qemud(&s->env, c, auth) < 0)
		return -1;
	return daemons_setup(s);
}

/* A set-up failure ends the pod as the ordered stop does: the
 * container-disk holders exit with it instead of running on. */
static int setup_failed(const struct config *cfg, int code)
{
	if (cfg->cleanup_glob)
		remove_sockets(cfg->cleanup_glob);
	return code;
}

int supervise(const struct config *cfg, const struct role_start *rs)
{
	static struct sup s;

	s.cfg = cfg;
	s.orig = &rs->mask;
	s.ignore_chld = rs->chld_ignored;
	s.self = s.qemu.self = getpid();
	s.out_fd = -1;
	/* --for-parent is no subreaper: QEMU must go to the pod's PID 1, as
	 * virt-handler looks for it among the children of virt-launcher's
	 * parent. */
	if (cfg->mode != MODE_PARENT && become_reaper() < 0)
		return setup_failed(cfg, EXIT_SETUP);
	if (prepare(cfg) < 0)
		return setup_failed(cfg, EXIT_PREPARE);
	child_env_caps(&s.env, cfg->mode);
	if (cfg->mode == MODE_PARENT) {
		if (keep_output_fd(&s) < 0)
			return EXIT_SETUP;
		drop_inherited_from(s.out_fd >= 0 ? s.out_fd + 1 : 3);
		if (open_parent(&s) < 0)
			return setup_failed(cfg, EXIT_SETUP);
	} else if (start_main(&s) < 0) {
		return setup_failed(cfg, EXIT_SETUP);
	}
	if (setup_loop(&s) < 0 || setup_rest(&s) < 0) {
		if (s.main_pid > 0)
			kill(s.main_pid, SIGKILL);
		tree_signal(SIGKILL);
		return setup_failed(cfg, EXIT_SETUP);
	}
	reap(&s);
	return role_run_loop(&s.loop, EXIT_SETUP);
}
