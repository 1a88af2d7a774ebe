/* The sockets removed at exit (--cleanup-glob), so the container-disk
 * holders end. */
#ifndef SUPERVISE_CLEANUP_H
#define SUPERVISE_CLEANUP_H

/* '*' and '?' only; a leading dot must be matched by a dot.  1 on a
 * match. */
int wild_match(const char *pattern, const char *name);
/* Removes the sockets (only sockets) matching glob, "DIR/PATTERN" with
 * wildcards in the last component only (config.c checks); each removal
 * or failure is a log line. */
void remove_sockets(const char *glob);

#endif
