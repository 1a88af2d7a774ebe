/* The start every role shares (README: signals blocked first → argv
 * parsed into one config → set-up → one epoll loop → one exit code).
 *
 *   int main(int argc, char **argv)
 *   {
 *           struct role_start rs;
 *
 *           if (role_start(&rs) < 0)
 *                   return <the role's set-up exit code>;
 *           ... parse argv (cli.h), set up, loop ...
 *   }
 *
 * A PID-1 role (tether's modes, tether-supervise) then hands its first
 * child rs.mask and rs.chld_ignored (struct spawn_req: .mask,
 * .ignore_chld) and, once that child has inherited its fds, calls
 * drop_inherited() (proc.h): fds >= 3 closed, cwd "/".  Its end is
 * role_stop_rest and role_run_loop below. */
#ifndef TETHER_ROLE_H
#define TETHER_ROLE_H

#include "proc.h"

#include <signal.h>

struct role_start {
	sigset_t mask;		/* the mask inherited: a child gets it back */
	int chld_ignored;	/* SIGCHLD was inherited SIG_IGN: a child gets it back */
};

/* First thing in main, before any fd is opened: blocks every signal (one
 * that arrives before the loop exists then waits, pending); puts an
 * inherited SIG_IGN for SIGCHLD back to the default (with it the kernel
 * reaps children unseen and no exit status is ever read); opens /dev/null
 * on each of fds 0-2 that is closed (the first fd opened would otherwise
 * become stderr and take the log lines).  0, or -1 with errno set: the
 * log is not set up yet, so the caller only exits. */
int role_start(struct role_start *rs);

/* The stop signals: the one set of each mode, defined here and nowhere
 * else, and quoted by the README ("Stop signals"):
 *
 *   STOP_TETHER      tether run, --pause, --placeholder   TERM INT HUP QUIT
 *                    (--forward-only SIG takes SIG out of the set)
 *   STOP_HOLDER      container-disk                      TERM INT HUP QUIT
 *   STOP_SUPERVISE   tether-supervise: MAIN, --for-parent,
 *                    the monitor                         TERM INT QUIT
 *                    (HUP is no stop there: forwarded to MAIN or to
 *                    virt-launcher, which stops on it itself; ignored
 *                    with --for-parent)
 *
 * What a stop then does is each mode's own (its README). */
enum stop_mode { STOP_TETHER, STOP_HOLDER, STOP_SUPERVISE };
/* The set of mode m into *set (emptied first). */
void role_stop_signals(enum stop_mode m, sigset_t *set);

/* TERM (and CONT, so that a stopped process acts on it) to the rest of
 * the tree (tree_signal). */
void role_term_rest(void);
/* Once a PID-1 role's program has gone: term() (NULL: role_term_rest),
 * then g's deadline brings KILL; the role's reaper decides when none is
 * left (grace_cancel). */
void role_stop_rest(struct grace *g, long grace_ms, void (*term)(void));
/* How every event loop ends: loop_run to the role's exit code.  If the
 * loop itself fails, logs it, KILLs the rest of the tree (nothing outlives
 * its init unwatched) and returns fail_code.  What a role undoes after
 * (a socket removed) it does on both ends, after this returns. */
int role_run_loop(struct loop *l, int fail_code);
/* The same for a role that starts no process and so has no tree to end
 * (container-disk): its binary carries no tree walk. */
int role_run_loop_alone(struct loop *l, int fail_code);

#endif
