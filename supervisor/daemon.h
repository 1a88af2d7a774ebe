/* One libvirt daemon's life, as one state × event table (daemon.c, the
 * only place its state changes; supervisor/README.md, "The daemons'
 * states").  The loop (run.c) delivers the events and acts on what each
 * returns; nothing here stops the pod. */
#ifndef SUPERVISE_DAEMON_H
#define SUPERVISE_DAEMON_H

#include "config.h"
#include "env.h"
#include "lines.h"
#include "loop.h"
#include "pathwatch.h"
#include "proc.h"

enum dstate {
	DS_OFF,		/* disabled (--no-virtlogd, ...) */
	DS_WAIT,	/* for its config, its probe, virtlogd's readiness */
	DS_RUN,		/* running; restarted when it exits */
	DS_BACKOFF,	/* exited; the restart timer runs */
	DS_LAST,	/* running, MAIN has gone: no more restarts */
	DS_STOP,	/* TERM sent, KILL at the grace's end */
	DS_DONE,	/* will not run again */
	DS_COUNT,
};

enum devent {
	DE_CHECK,	/* a start condition may have changed */
	DE_PROBED,	/* the flags probe has exited */
	DE_EXIT,	/* the daemon has exited (reaped) */
	DE_TIMER,	/* the back-off has passed */
	DE_FREEZE,	/* MAIN has gone: no more starts */
	DE_STOP,	/* the ordered stop reached this daemon */
	DE_COUNT,
};

/* What an event asks of the loop: each of the last three ends the pod. */
enum doutcome {
	DO_NOTHING,
	DO_FORK_FAILED,		/* EXIT_SETUP */
	DO_BUDGET_SPENT,	/* EXIT_BUDGET */
	DO_FLAGS_REFUSED,	/* EXIT_STRICT */
};

/* What both daemons share with the loop, set once before daemon_init. */
struct daemon_host {
	const struct config *cfg;
	struct loop *loop;
	const sigset_t *orig;	/* the signal state every child gets */
	int ignore_chld;	/* SIGCHLD was inherited ignored */
	int out_fd;		/* --output-fd (our fd 3), or -1: a pipe each */
	struct child_env *env;
	void *ctx;		/* the loop's own state (run.c) */
};

struct daemon {
	const struct daemon_host *h;
	const struct daemon_cfg *c;
	const struct daemon *after;	/* started once that one is ready */
	int idx;
	enum dstate state;
	pid_t pid;		/* 0 when not running */
	pid_t probe;		/* the `--help` run that tests the flags */
	/* The facts the table's guards read, set by the watches. */
	int probed, flags_ok;
	int conf_ok, ready;
	int said_wait;		/* "waits for ... to create" logged */
	int status;		/* wait status of the last exit (DE_EXIT) */
	struct pathwatch conf_w, sock_w;
	struct watch out;	/* its stdout+stderr pipe; fd -1 when none */
	struct lines lines;
	struct watch timer;	/* restart back-off */
	struct grace grace;
	int streak;		/* quick crashes in a row */
	long crashes[101];	/* times (ms) of recent crashes, a ring */
	int ncrash;
	long started_ms;
	char *argv[4 + 2 + MAX_EXTRA + 1];
};

/* Its config, output pipe, grace and (when enabled) probe; the watches
 * (config, socket, timer) are the loop's to add.  after: the daemon this
 * one starts once ready (virtqemud's virtlogd), or 0.  -1 with errno. */
int daemon_init(struct daemon *d, const struct daemon_host *h, int idx,
		const struct daemon *after);
/* The table: the one place d->state changes. */
enum doutcome daemon_event(struct daemon *d, enum devent ev);
/* The facts: the config appeared (present) or went. */
void daemon_conf(struct daemon *d, int present);
/* The socket appeared or went; 1 when the daemon has just become ready. */
int daemon_socket(struct daemon *d, int present);
/* DE_EXIT or DE_PROBED when pid was the daemon or its probe (its status
 * kept), else -1. */
int daemon_reaped(struct daemon *d, pid_t pid, int wstatus);
/* A process is still to be waited for (running, or stopping). */
int daemon_up(const struct daemon *d);
/* The termination-log details of an outcome (fixed words only). */
void daemon_outcome_details(const struct daemon *d, enum doutcome o,
			    char *out, size_t cap);

#endif
