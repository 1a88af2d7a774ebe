/* tether-supervise's command line → one validated, immutable config. */
#ifndef SUPERVISE_CONFIG_H
#define SUPERVISE_CONFIG_H

#include "log.h"

/* Exit codes of tether-supervise itself (besides MAIN's own code). */
enum {
	EXIT_QEMU_KILLED = 1,	/* MAIN exited 0 but QEMU had to be killed */
	EXIT_USAGE = 2,
	EXIT_BUDGET = 3,	/* a daemon spent its crash budget */
	EXIT_STRICT = 4,	/* --strict and a daemon lacks the restricted flags */
	EXIT_PREPARE = 5,	/* an emptyDir is not writable, or seeding failed */
	EXIT_SETUP = 111,	/* a system call failed during set-up */
};

enum { D_LOGD, D_QEMUD, D_COUNT };
#define MAX_EXTRA 16
#define MAX_DIRS 16

struct daemon_cfg {
	const char *name;
	const char *bin;
	const char *conf;	/* "" : no -f, nothing to wait for */
	const char *socket;	/* "" : ready as soon as it runs */
	const char *flags[2];	/* the restricted flags wanted */
	int nflags;
	const char *extra[MAX_EXTRA];
	int nextra;
	int enabled;
};

enum action { ACT_RUN, ACT_HELP, ACT_VERSION, ACT_SEND };

struct config {
	enum action action;
	struct daemon_cfg d[D_COUNT];
	char **argv;		/* MAIN */
	int restricted;		/* 0: never pass the restricted flags */
	int strict;
	long auth_pid;		/* -1: MAIN's pid; 0: do not set */
	long grace_ms, main_grace_ms, qemu_timeout_ms;
	long backoff_ms, backoff_max_ms;
	long crash_budget, crash_window_ms;
	const char *termlog;	/* NULL: no termination log */
	const char *event_socket;
	long termlog_max;
	const char *cleanup_glob;	/* NULL: none */
	const char *dirs[MAX_DIRS];
	int ndirs;
	int dirs_given;
	const char *seed_from, *seed_to;	/* NULL: no seeding */
	enum log_level log_level;
	enum log_format log_format;
	const char *send_path, *send_json;
	char err[256];
};

/* 0 when cfg is ready (or action is help/version), -1 with err filled. */
int config_parse(struct config *c, int argc, char **argv);

#endif
