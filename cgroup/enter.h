/* tether-enter: shared state of its steps (see README.md). */
#ifndef TETHER_ENTER_H
#define TETHER_ENTER_H

#include "cli.h"
#include "vfsreg.h"

#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

/* Exit codes, one per step that can fail. */
enum {
	ENTER_OK = 0,		/* started, already running, or --dry-run */
	ENTER_USAGE = CLI_EXIT_USAGE,	/* bad command line */
	ENTER_TARGET = 3,		/* target not found or gone: not ready yet */
	ENTER_CGROUP = 4,		/* joining the target's cgroups */
	ENTER_NS = 5,		/* joining its namespaces */
	/* 6 was the host lock, gone: the placeholder keeps single-instance */
	ENTER_STDIO = 7,		/* the container's stdout/stderr */
	ENTER_EXEC = 8,		/* preparing or exec'ing the program */
	ENTER_SYS = 9,		/* fork, pipes: the launcher itself */
	ENTER_REFUSED = 10,	/* not a container init we may enter */
	ENTER_REGISTER = 11,	/* the placeholder did not answer OK */
};

enum stdio_mode { STDIO_CONTAINER, STDIO_INHERIT, STDIO_NULL };
enum flavor { FLAVOR_AUTO, FLAVOR_RUST, FLAVOR_C };

#define MAX_ENV 32
#define MAX_ARGV 64		/* PROGRAM and its arguments */
#define PRESET_WORDS 16		/* the most the virtiofsd preset adds */
#define MAX_CG 16
#define NNS 6
/* The longest AppArmor label taken from a target (its profile's name). */
#define LABEL_MAX 256
/* How long the placeholder may take to accept us, and to answer a
 * registration: it answers at once unless stopped or wedged. */
#define PEER_TIMEOUT_S 2
/* How long `virtiofsd --version` may run. */
#define PROBE_TIMEOUT_MS 5000
/* How long one run of the launch chain (the probe's, the program's) may
 * take before it is killed: a container can freeze its own cgroup. */
#define CHAIN_TIMEOUT_MS 10000
/* Everything between the reservation and the registration: two chains,
 * the registration's answer, and slack; it must fit in the reservation. */
#define ENTER_STEPS_MS (2 * CHAIN_TIMEOUT_MS + PEER_TIMEOUT_S * 1000 + 2000)
_Static_assert(ENTER_STEPS_MS < VFSREG_RESERVE_MS, "the reservation outlasts the launch");

struct opts {
	pid_t pid;
	const char *target_socket;
	char *env[MAX_ENV + 1];
	int nenv;
	uint64_t caps;
	int caps_set;
	enum stdio_mode stdio;
	int dry_run;
	struct cli cli;			/* the shared options; err */
	int preset;			/* --virtiofsd, or the dispatcher's call */
	int new_privs;			/* --allow-new-privs */
	int no_register;
	int dispatcher;			/* called as virtiofs-dispatcher */
	const char *bin, *shared_dir, *socket_path;
	long uid;
	enum flavor flavor;
	int strict;
	char **rest;			/* PROGRAM ARGS, or extra virtiofsd args */
};

struct cgline {
	char *line;			/* "4:memory:/a" within target.cg */
	int v2;
	int dirfd;			/* the target's cgroup directory here */
	char dir[512];
};

struct target {
	pid_t pid;
	int pidfd;
	int procfd;			/* this host's /proc */
	int piddir;			/* /proc/PID: dead once the process is */
	int rootfd;			/* its root (O_PATH), for the chroot */
	int conn;			/* connection to the placeholder, or -1 */
	char cg[4096];			/* its /proc/PID/cgroup */
	struct cgline cgs[MAX_CG];
	int ncg;
	int v2;				/* index of the v2 line, or -1 */
	int nsfd[NNS];			/* -1 where it shares ours */
	uint64_t nsino[NNS];		/* what was checked, for after the join */
	uint64_t nsdev;
	uint64_t userns;		/* ours (and the target's) */
	int oom;
	char label[LABEL_MAX];		/* AppArmor label the program gets on
					 * exec; "" when there is none to set */
	int out, err;			/* the program's stdout/stderr; -1: the
					 * container's /dev/null (stdin always) */
	/* What is exec'd: the options' PROGRAM, or the preset's argv for
	 * the flavour found (preset.c); the options stay as parsed. */
	char *argv[MAX_ARGV + 1];
};

extern const char *const ns_names[NNS];
extern const int ns_flags[NNS];
enum { NS_CGROUP, NS_IPC, NS_MNT, NS_NET, NS_PID, NS_UTS };

int opts_parse(struct opts *o, int argc, char **argv);
int target_find(const struct opts *o, struct target *t);
int target_stdio(const struct opts *o, struct target *t);
int cg_resolve(struct target *t);
int cg_move(const struct target *t, int skip_v2, char *msg, size_t len);
int cg_verify(const struct target *t, char *msg, size_t len);
int preset_argv(const struct opts *o, struct target *t, enum flavor f, long ver);
int preset_flavor(const struct opts *o, const char *text, enum flavor *f, long *ver);
int program_argv(const struct opts *o, struct target *t);
int launch(const struct opts *o, const struct target *t);
int probe(const struct opts *o, const struct target *t, char *text, size_t len);
int reg_find(const struct opts *o, struct target *t);
/* 0 reserved (or no placeholder: nothing to reserve); RESERVE_HELD
 * virtiofsd is registered already (nothing to do: exit 0); or an exit code. */
enum { RESERVE_HELD = 100 };
int reg_reserve(const struct target *t);
int reg_register(const struct target *t, int pidfd, pid_t pid);

#endif
