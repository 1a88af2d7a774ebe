/* What a child gets besides its argv: virtqemud's environment, and
 * CAP_NET_BIND_SERVICE as ambient for MAIN and virtqemud (README, start
 * order 6 and 7). */
#ifndef SUPERVISE_ENV_H
#define SUPERVISE_ENV_H

#include "config.h"

struct child_env {
	int nbs;		/* CAP_NET_BIND_SERVICE is permitted */
	int ambient_on;
	char **qemud;		/* virtqemud's environment */
};

/* Reads the permitted set: a warning when the capability is missing. */
void child_env_caps(struct child_env *e, enum mode m);
/* Builds virtqemud's environment with auth_pid (0: none), so once MAIN's
 * pid is known.  0, or -1 after an error line. */
int child_env_qemud(struct child_env *e, const struct config *c, long auth_pid);
/* Raises (on) or lowers CAP_NET_BIND_SERVICE as ambient, for the next
 * spawn; nothing when it is not permitted.  We are single-threaded, so
 * raising it around a spawn is exact. */
void child_env_ambient(struct child_env *e, int on);

#endif
