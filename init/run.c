/* Run mode (one program) and pause mode (none): the event loop of PID 1. */
#include "run.h"
#include "log.h"
#include "proc.h"
#include "sig.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <unistd.h>

struct run {
	const struct config *cfg;
	struct loop loop;
	struct grace grace;
	pid_t self;
	pid_t child;
	int child_done;		/* the program has been reaped */
	int draining;		/* the rest of the tree has had its TERM */
	int code;
};

static void on_reaped(pid_t pid, int wstatus, void *ctx)
{
	struct run *r = ctx;

	if (pid == r->child) {
		r->child_done = 1;
		r->code = exit_code_of(wstatus);
		log_info("program (pid %d) exited with code %d", pid, r->code);
	} else if (r->cfg->warn_reap) {
		log_warn("reaped zombie process pid=%d", pid);
	}
}

static int count_one(const char *name, void *ctx)
{
	(void)name;
	++*(int *)ctx;
	return 0;
}

/* After the program has gone, everything else gets TERM once; the grace
 * deadline (perhaps already armed by a stop signal) then KILLs the rest. */
static void drain(struct run *r, int none_left)
{
	int left = 0;

	if (none_left) {
		/* The wait found no child (ECHILD).  Should the kernel's list
		 * (one read) name one all the same, that wait was wrong: the
		 * tree is killed, never left running behind us. */
		if (proc_children_each(count_one, &left) == 0 && left > 0) {
			log_warn("wait4 found no child, yet %d are listed: killing the remaining processes", left);
			tree_signal(SIGKILL);
		}
		grace_cancel(&r->grace);
		loop_exit(&r->loop, config_exit_code(r->cfg, r->code));
		return;
	}
	if (!r->draining) {
		r->draining = 1;
		role_stop_rest(&r->grace, r->cfg->grace_ms, 0);
	}
}

static void reap(struct run *r)
{
	int none_left;

	reap_all(on_reaped, r, &none_left);
	if (none_left && !r->child_done) {
		/* No child at all (ECHILD) while the program was not reaped:
		 * it cannot happen, and waiting on would be waiting forever. */
		errno = ECHILD;
		log_error("wait4: %m while the program (pid %d) was not reaped: taken as gone, its status unknown (%d)",
			  r->child, EXIT_SETUP);
		r->child_done = 1;
		r->code = EXIT_SETUP;
	}
	if (r->child_done)
		drain(r, none_left);
}

static void forward(struct run *r, int sig)
{
	pid_t to = r->cfg->group ? -r->child : r->child;
	char name[16];

	if (r->child_done)
		return;
	if (log_level_max() >= LOG_DEBUG)
		log_debug("forwarding %s to %d", sig_name(sig, name), to);
	if (kill(to, sig) < 0 && errno != ESRCH)
		log_warn("forwarding %s to %d: %m", sig_name(sig, name), to);
	if (sigismember(&r->cfg->stop_signals, sig))
		grace_start(&r->grace, r->cfg->grace_ms);
}

/* Reaps only when a SIGCHLD was read, and that is enough: the kernel makes
 * a zombie visible and raises SIGCHLD at us in one step (coalesced with
 * any SIGCHLD still pending), and the signalfd stays readable while it is
 * pending.  So a zombie is reaped in the very round that reads its
 * SIGCHLD, and a wait4 after any other signal would only return 0. */
static void on_signals(void *ctx, const struct signalfd_siginfo *si, int n)
{
	struct run *r = ctx;
	int chld = 0;

	for (int i = 0; i < n; i++) {
		/* A signal the kernel raised at tether itself (SIGPIPE on a
		 * closed stderr) is not the user's: never forward. */
		if ((pid_t)si[i].ssi_pid == r->self && si[i].ssi_code != SI_QUEUE)
			continue;
		if (si[i].ssi_signo == SIGCHLD)
			chld = 1;
		else
			forward(r, si[i].ssi_signo);
	}
	if (chld)
		reap(r);
}

static int setup_loop(struct run *r, signals_fn *on_sig)
{
	r->self = getpid();
	if (loop_init_signal_batches(&r->loop, 0, on_sig, r) < 0 ||
	    grace_init(&r->grace, &r->loop, grace_send_tree, 0) < 0) {
		log_error("setting up the event loop: %m");
		return -1;
	}
	return 0;
}

int run_program(const struct config *cfg, const struct role_start *rs)
{
	struct run r = { .cfg = cfg };
	struct spawn_req req = {
		.argv = cfg->argv, .mask = &rs->mask, .new_pgrp = 1,
		.ignore_chld = rs->chld_ignored,
	};

	if (become_reaper() < 0)
		return EXIT_SETUP;
	/* -p is about tether's own parent (tini's meaning); the signal then
	 * arrives like any other and is forwarded. */
	if (cfg->pdeathsig && prctl(PR_SET_PDEATHSIG, cfg->pdeathsig) < 0) {
		log_error("prctl PR_SET_PDEATHSIG: %m");
		return EXIT_SETUP;
	}
	r.child = spawn(&req);
	if (r.child < 0) {
		log_error("fork: %m");
		return EXIT_SETUP;
	}
	/* The child has inherited exactly our fds; now tether lets them go. */
	drop_inherited();
	if (setup_loop(&r, on_signals) < 0) {
		/* The program may already have started processes of its own:
		 * its whole group goes (its own, set in the child before its
		 * exec), then the child itself, in case that was not done yet. */
		kill(-r.child, SIGKILL);
		kill(r.child, SIGKILL);
		return EXIT_SETUP;
	}
	log_info("started %s as pid %d", cfg->argv[0], r.child);
	reap(&r);
	return role_run_loop(&r.loop, EXIT_SETUP);
}

static void on_pause_signals(void *ctx, const struct signalfd_siginfo *si, int n)
{
	struct run *r = ctx;
	int none_left;

	for (int i = 0; i < n; i++)
		if (sigismember(&r->cfg->stop_signals, si[i].ssi_signo))
			loop_exit(&r->loop, 0);
	reap_all(0, 0, &none_left);
}

int run_pause(const struct config *cfg)
{
	struct run r = { .cfg = cfg };

	if (become_reaper() < 0)
		return EXIT_SETUP;
	drop_inherited();
	if (setup_loop(&r, on_pause_signals) < 0)
		return EXIT_SETUP;
	log_info("pausing");
	return role_run_loop(&r.loop, EXIT_SETUP);
}
