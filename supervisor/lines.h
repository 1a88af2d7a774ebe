/* Output read in chunks, handed on as whole lines: a daemon's pipe, a
 * log file dumped at the end. */
#ifndef SUPERVISE_LINES_H
#define SUPERVISE_LINES_H

#include "log.h"

#include <stddef.h>
#include <sys/types.h>

/* The longest whole line (supervisor/README.md, "Output"); a buffer of
 * LINE_BUF holds it and its '\n'. */
#define LINE_MAX_BYTES (512 * 1024)
#define LINE_BUF (LINE_MAX_BYTES + 1)

struct lines {
	char *buf;
	size_t len, cap;	/* cap: the longest whole line, plus its '\n' */
	void (*emit)(void *ctx, const char *p, size_t n);	/* no '\n' */
	void *ctx;
};

/* One read(2) from fd into the buffer, then every whole line emitted;
 * returns what read returned. */
ssize_t lines_read(struct lines *l, int fd);
/* Emits every whole line; with all, the unfinished rest too.  A line
 * longer than the buffer is emitted in buffer-sized pieces. */
void lines_flush(struct lines *l, int all);
/* One line of at most LINE_BUF bytes as one log line under component's
 * name, escaped in tether-supervise's one scratch buffer (the daemons'
 * output and the monitor's dumps are written by the one thread). */
void lines_log(const char *component, enum log_level lvl, const char *p, size_t n);

#endif
