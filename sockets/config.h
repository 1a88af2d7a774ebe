/* container-disk's command line, parsed once into an immutable config. */
#ifndef TETHER_SOCKETS_CONFIG_H
#define TETHER_SOCKETS_CONFIG_H

#include "cli.h"

/* KubeVirt's holder exits 1 on every failure; virt-handler and kubelet
 * only tell 0 from non-zero, so every error here is 1 as well. */
enum { EXIT_OK = 0, EXIT_FAIL = 1 };

enum cd_action {
	CD_HOLD,	/* listen on P.sock (the default) */
	CD_HEALTH,	/* --health-check */
};

struct cd_config {
	enum cd_action action;
	const char *copy_path;	/* P; the socket is P.sock */
	int manage;		/* --manage: own every *.sock in dirname(P) */
	const char *manage_dir;	/* --manage-dir: own those of this directory instead */
	int seccomp;		/* 0 with --no-seccomp */
	struct cli cli;		/* the shared options; default level info */
};

/* lib/cli.h's contract: CLI_OK, CLI_DONE (--no-op, --help, --version,
 * each ending the parse at once as KubeVirt's getopt loop does) or
 * CLI_ERROR (c->cli.err). */
int cd_config_parse(struct cd_config *c, int argc, char **argv);

#endif
