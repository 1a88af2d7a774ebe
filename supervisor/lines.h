/* Output read in chunks, handed on as whole lines: a daemon's pipe, a
 * log file dumped at the end. */
#ifndef SUPERVISE_LINES_H
#define SUPERVISE_LINES_H

#include <stddef.h>
#include <sys/types.h>

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

#endif
