/* Waiting for a path to appear or disappear, through inotify: no polling.
 *
 * The watch sits on the deepest directory of the path that exists now, so
 * a path whose parent directories are created later is still followed:
 * every event re-checks the path with lstat and moves the watch down (or
 * up, when a directory is removed).  fn is called whenever the answer to
 * "does the path exist?" changes, and once from pathwatch_start with the
 * state at that moment. */
#ifndef TETHER_PATHWATCH_H
#define TETHER_PATHWATCH_H

#include "dirwatch.h"

struct pathwatch;
typedef void pathwatch_fn(struct pathwatch *pw, int present);

struct pathwatch {
	struct dirwatch d;	/* on `dir`; d.w.fd is -1 once stopped */
	struct loop *loop;
	const char *path;	/* absolute; must outlive the watch */
	pathwatch_fn *fn;
	void *ctx;
	int present;		/* last state reported, -1 before the first */
	char dir[4096];
};

/* Opens the inotify fd, adds it to the loop and reports the present
 * state through fn.  -1 with errno on failure (path not absolute: EINVAL). */
int pathwatch_start(struct pathwatch *pw, struct loop *l, const char *path,
		    pathwatch_fn *fn, void *ctx);
/* Removes the watch from the loop and closes its fd; safe to call twice. */
void pathwatch_stop(struct pathwatch *pw);

#endif
