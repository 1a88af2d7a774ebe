/* --manage: the hotplug pod's main holder owns the sockets of the sidecar
 * holders, those of its own directory or of --manage-dir. */
#ifndef TETHER_SOCKETS_MANAGE_H
#define TETHER_SOCKETS_MANAGE_H

#include "dirwatch.h"
#include "loop.h"

#include <stdint.h>

struct manage {
	struct loop *loop;
	const char *dir;	/* the directory whose sockets we own */
	int is_own_dir;		/* ... is our own socket's: the holder's watch serves */
	const char *own;	/* our own socket's name */
	struct dirwatch dw;	/* --manage-dir elsewhere: its own watch */
};

/* With manage_dir (0: own_dir) that must exist; a directory other than
 * own_dir gets a watch of its own.  0, or -1 after an error line. */
int manage_open(struct manage *m, struct loop *l, const char *manage_dir,
		const char *own_dir, const char *own_name);
/* Removes the stale sockets found at start (live ones are logged). */
void manage_scan(struct manage *m);
/* A socket of the directory appeared or went (mask: DIRWATCH_*). */
void manage_event(struct manage *m, uint32_t mask, const char *name);
/* On shutdown: every sidecar sees its socket go and exits at once. */
void manage_remove_all(struct manage *m);

#endif
