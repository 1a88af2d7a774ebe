/* Processes: spawning with an exact signal state, reaping, exit statuses,
 * and stopping a whole tree TERM → grace → KILL. */
#ifndef TETHER_PROC_H
#define TETHER_PROC_H

#include "loop.h"

#include <signal.h>
#include <sys/types.h>

struct spawn_req {
	char *const *argv;	/* argv[0] is looked up in PATH */
	char *const *envp;	/* NULL: this process's environment */
	const sigset_t *mask;	/* the child's mask: what we inherited */
	int new_pgrp;		/* own process group, foreground on a tty */
	int pdeathsig;		/* 0: none */
	int ignore_chld;	/* SIGCHLD back to SIG_IGN (sig_chld_default) */
	int out_fd;		/* > 0: becomes the child's stdout and stderr */
	int *exec_errno;	/* set: spawn returns once the exec is done, and
				 * stores 0, or the errno of a failed exec */
};

/* Forks and execs.  The child writes one error line and exits 127 when
 * the program is not found, 126 when it cannot be executed. */
pid_t spawn(const struct spawn_req *r);
/* Exit code of a wait status: the code, or 128 + the signal. */
int exit_code_of(int wstatus);
/* Exit code a failed exec maps to (127 for missing, 126 otherwise). */
int exec_failure_code(int err);

/* Not PID 1 (a pod sharing its PID namespace, or a plain child): become a
 * child subreaper so orphans of the tree still come here to be reaped.
 * 0, or -1 after logging why. */
int become_reaper(void);
/* Closes every fd >= 3 this process was given and moves to "/", so a PID 1
 * pins no mount and holds nothing stray.  Call it once the first child has
 * inherited those fds. */
void drop_inherited(void);
/* The same, keeping the fds below lowfd (>= 3) that the caller has placed
 * there on purpose. */
void drop_inherited_from(int lowfd);

typedef void reap_fn(pid_t pid, int wstatus, void *ctx);
/* Reaps every zombie child now, calling fn for each.  Returns how many
 * were reaped; 0 with *none_left set when no child remains at all. */
int reap_all(reap_fn *fn, void *ctx, int *none_left);

/* Parent of pid from /proc/PID/stat, or -1. */
pid_t proc_parent(pid_t pid);
/* fn(pid as text, ctx) for each of our direct children, from
 * /proc/self/task/TID/children: a few reads, where a /proc scan of a busy
 * host reads every process.  -1 when the kernel lacks the file
 * (CONFIG_PROC_CHILDREN) or the list does not fit: scan /proc then. */
int proc_children_each(int (*fn)(const char *name, void *ctx), void *ctx);

/* Like reap_all, through waitid: fn sees the whole siginfo (si_uid is the
 * child's real uid, si_code CLD_EXITED/KILLED/DUMPED).  Stop and continue
 * events are never asked for. */
typedef void reap_si_fn(const siginfo_t *si, void *ctx);
int reap_all_si(reap_si_fn *fn, void *ctx, int *none_left);
/* Exit code (the code, or 128 + the signal) of a waitid result. */
int exit_code_of_si(const siginfo_t *si);

/* Sends sig to every process of our tree: as PID 1 the whole PID
 * namespace (kill -1), otherwise every descendant found in /proc.
 * Returns how many were signalled, or -1. */
int tree_signal(int sig);

/* The KILL end of TERM → grace → KILL: the owner sends TERM (to whom it
 * chooses) and starts the deadline; when it passes, send(SIGKILL, ctx),
 * repeated every second until the owner cancels (a process forked while
 * the tree was being scanned must not survive).  The owner decides when
 * everything is gone, usually when the reaper finds no child left. */
struct grace {
	struct watch w;
	struct loop *loop;
	int (*send)(int sig, void *ctx);
	void *ctx;
	int armed;
	int killed;
};

int grace_init(struct grace *g, struct loop *l, int (*send)(int, void *),
	       void *ctx);
/* Arms the deadline; a second call keeps the first deadline.  ms <= 0
 * kills at once. */
void grace_start(struct grace *g, long ms);
void grace_cancel(struct grace *g);
/* send() for tree_signal. */
int grace_send_tree(int sig, void *ctx);
/* send() for one process; ctx points at its pid_t. */
int grace_send_pid(int sig, void *ctx);

#endif
