/* tether-supervise's state: MAIN, the two daemons, the stop sequence. */
#ifndef SUPERVISE_SUP_H
#define SUPERVISE_SUP_H

#include "config.h"
#include "lines.h"
#include "loop.h"
#include "monitor.h"
#include "pathwatch.h"
#include "proc.h"
#include "termlog.h"

#include <signal.h>

#define MAX_QEMU 64
#define LINE_MAX_BYTES (512 * 1024)

enum dstate { DS_OFF, DS_WAIT, DS_RUN, DS_BACKOFF, DS_DONE };

struct sup;

struct daemon {
	struct sup *s;
	const struct daemon_cfg *c;
	int idx;
	enum dstate state;
	pid_t pid;		/* 0 when not running */
	pid_t probe;		/* the `--help` run that tests the flags */
	int probed, flags_ok;
	int conf_ok, ready;
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
	int exec_err;		/* the monitor: virt-launcher's exec failed */
	int main_done, main_status;
	int none_left;
	enum phase phase;
	int fatal;		/* our own exit code when we ended the pod */
	int nbs;		/* CAP_NET_BIND_SERVICE is permitted */
	int ignore_chld;	/* SIGCHLD was inherited ignored */
	int ambient_on;
	char **qemud_env;
	struct grace main_grace, qemu_grace, rest_grace;
	pid_t qemu[MAX_QEMU];
	int nqemu;
	int termlog_on;
	struct termlog tl;
	struct istio istio;
	struct daemon d[D_COUNT];
};

long now_ms(void);

/* daemon.c */
int daemon_init(struct sup *s, int idx);
/* 1 if pid was this daemon's (or its probe's). */
int daemon_reaped(struct daemon *d, pid_t pid, int wstatus);
/* No more starts or restarts (MAIN has gone). */
void daemon_freeze(struct daemon *d);
/* TERM → grace → KILL; 1 if there is a process to wait for. */
int daemon_stop(struct daemon *d);
void daemon_maybe_start(struct daemon *d);

/* run.c */
void sup_fatal(struct sup *s, int code, const char *why, const char *details);
void sup_ambient(struct sup *s, int on);
struct role_start;
int supervise(const struct config *cfg, const struct role_start *rs);

#endif
