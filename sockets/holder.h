/* The socket holder: listens on P.sock, accepts and closes every
 * connection, and exits 0 when P.sock goes away or on a stop signal. */
#ifndef TETHER_SOCKETS_HOLDER_H
#define TETHER_SOCKETS_HOLDER_H

#include "config.h"
#include "dirwatch.h"
#include "loop.h"
#include "manage.h"

#include <limits.h>
#include <sys/types.h>

struct holder {
	const struct cd_config *cfg;
	struct loop loop;
	struct watch sig, lsn;
	struct rest rest;	/* the listener's back-off */
	struct dirwatch dw;
	struct manage m;	/* --manage */
	char sock[PATH_MAX];	/* P.sock */
	char dir[PATH_MAX];	/* dirname(P) */
	const char *name;	/* basename of P.sock */
	dev_t dev;		/* identity of the socket we bound, so we */
	ino_t ino;		/* never remove or mourn a successor's */
	int spare;		/* kept free to shed a connection at EMFILE */
	int shedding;		/* a resource error was logged */
	int finished;		/* finish() has run: the sockets are removed */
};

int holder_run(const struct cd_config *cfg);

/* Splits P into P.sock, its directory and the socket's name; -1 if the
 * result does not fit. */
int holder_paths(struct holder *h, const char *copy_path);
/* 1 if h->sock is still the socket this holder bound. */
int holder_owns(const struct holder *h);

#endif
