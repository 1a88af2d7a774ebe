/* Watching a directory's entries through inotify, as one fd of the loop:
 * "tell me when NAME appears in / disappears from DIR" without polling.
 *
 * An event is only a hint: a caller that must be sure (is my socket still
 * the one at that path?) re-checks with lstat when woken.  Overflow
 * (IN_Q_OVERFLOW) and the directory itself going away (IN_DELETE_SELF,
 * IN_MOVE_SELF, IN_UNMOUNT, IN_IGNORED) are passed on with name "". */
#ifndef TETHER_DIRWATCH_H
#define TETHER_DIRWATCH_H

#include "loop.h"

#include <stdint.h>
#include <sys/inotify.h>

struct dirwatch;
/* name is the entry's name inside the directory, or "" for the
 * directory itself and for queue overflow. */
typedef void dirwatch_fn(struct dirwatch *d, uint32_t mask, const char *name);

struct dirwatch {
	struct watch w;
	int wd;
	dirwatch_fn *fn;
	void *ctx;
};

/* Starts watching dir for the IN_* events in mask (IN_ONLYDIR and the
 * self events are always added) and registers the fd with the loop. */
int dirwatch_open(struct dirwatch *d, struct loop *l, const char *dir,
		  uint32_t mask, dirwatch_fn *fn, void *ctx);
/* Moves the watch to another directory (same fd, same callback); the old
 * directory's watch is dropped once the new one is in place. */
int dirwatch_move(struct dirwatch *d, const char *dir, uint32_t mask);
/* Stops watching and closes the inotify fd without making the caller
 * wait for the kernel's teardown of its marks: that waits for an SRCU
 * grace period, which an exiting holder would otherwise spend between
 * deciding to exit and being gone.  The fd is parked, with the socket
 * that carries it, in an unreachable unix-socket cycle that the kernel's
 * unix garbage collector frees from a worker (synchronous on kernels
 * whose collector is; never worse than close).
 *
 * What it buys, measured (container-disk, socket removed → process gone,
 * parked and plain close interleaved, this 6.x kernel, 2 cores shared
 * with other work): medians 0.70 against 17.2 ms (20 runs each), 1.1
 * against 9.5 ms (20) and 1.7 against 6.5 ms (40); the slowest tenth is
 * 15-17 ms either way when the machine is busy.  It costs this function,
 * lib/fdpass.c's send and socketpair + sendmsg in sockets/seccomp.list;
 * nothing else knows it.  Kept: it is the difference between the holder's
 * removal → exit figure (bench_sockets) being about a millisecond or
 * about ten. */
void dirwatch_release(struct dirwatch *d, struct loop *l);

/* Events that mean "an entry left": deleted or renamed away. */
#define DIRWATCH_GONE (IN_DELETE | IN_MOVED_FROM)
/* Events that mean "an entry arrived": created or renamed in. */
#define DIRWATCH_NEW (IN_CREATE | IN_MOVED_TO)
/* Events about the directory itself (or lost events). */
#define DIRWATCH_SELF (IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT | \
		       IN_IGNORED | IN_Q_OVERFLOW)

#endif
