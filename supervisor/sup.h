/* tether-supervise's state: MAIN, the two daemons, the stop sequence. */
#ifndef SUPERVISE_SUP_H
#define SUPERVISE_SUP_H

#include "config.h"
#include "daemon.h"
#include "env.h"
#include "loop.h"
#include "monitor.h"
#include "proc.h"
#include "qemu.h"
#include "termlog.h"

#include <signal.h>


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
	struct daemon d[D_COUNT];
};

struct role_start;
/* run.c: the loop, to the exit code. */
int supervise(const struct config *cfg, const struct role_start *rs);

#endif
