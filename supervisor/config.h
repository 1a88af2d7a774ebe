/* tether-supervise's command line → one validated, immutable config. */
#ifndef SUPERVISE_CONFIG_H
#define SUPERVISE_CONFIG_H

#include "cli.h"

/* Exit codes of tether-supervise itself (besides MAIN's own code). */
enum {
	EXIT_QEMU_KILLED = 1,	/* MAIN exited 0 but QEMU had to be killed */
	EXIT_USAGE = CLI_EXIT_USAGE,
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

enum action { ACT_RUN, ACT_SEND };

/* Where tether-supervise sits (supervisor/README.md, "Placements"). */
enum mode {
	MODE_MAIN,	/* PID 1 of the compute container, MAIN its child */
	MODE_PARENT,	/* --for-parent: started by virt-launcher, no MAIN */
	MODE_MONITOR,	/* virt-launcher-monitor (and the tini before it) */
};

/* LIBVIRT_UNIX_SOCKET_AUTH_PID: a pid, or one of these. */
enum { AUTH_NONE = 0, AUTH_MAIN = -1, AUTH_PARENT = -2 };

/* virtqemud's environment: ours plus the variable, or that one only. */
enum qemud_env { ENV_INHERIT, ENV_AUTH_PID_ONLY };

/* Options given explicitly, so a mode's defaults do not override them. */
enum {
	GIVEN_PREPARE = 1, GIVEN_SEED = 2, GIVEN_CLEANUP = 4, GIVEN_TERMLOG = 8,
	GIVEN_LOGD = 16, GIVEN_QEMUD = 32, GIVEN_AUTH = 64, GIVEN_ENV = 128,
	GIVEN_QEMU_TIMEOUT = 256, GIVEN_BUDGET = 512, GIVEN_BACKOFF_MAX = 1024,
};

struct config {
	enum action action;
	enum mode mode;
	int given;		/* GIVEN_* */
	struct daemon_cfg d[D_COUNT];
	char **argv;		/* MAIN */
	int restricted;		/* 0: never pass the restricted flags */
	int strict;
	long auth_pid;		/* a pid or AUTH_* */
	enum qemud_env qemud_env;
	/* MODE_MONITOR: virt-launcher and what the monitor reads itself */
	const char *launcher;
	int keep_after_failure;
	char cleanup_store[4096 + 8];	/* --container-disk-dir plus the pattern */
	int istio;		/* ask the istio sidecar to quit at the end */
	int output_fd;		/* --for-parent: the daemons' output, raw; -1 none */
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
	struct cli cli;		/* the shared options; default level info */
	const char *send_path, *send_json;
};

/* lib/cli.h's contract: CLI_OK, CLI_DONE (--help, --version) or
 * CLI_ERROR (c->cli.err). */
int config_parse(struct config *c, int argc, char **argv);

#endif
