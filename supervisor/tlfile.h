/* The termination log file: appended to in place, kept under its maximum
 * by dropping its oldest whole lines (tlfile.c says how). */
#ifndef SUPERVISE_TLFILE_H
#define SUPERVISE_TLFILE_H

#include <stddef.h>

struct tlfile {
	const char *path;
	long max;		/* the file never grows past this */
	int fd;			/* opened at the first line; -1 before */
	int regular;		/* a regular file: kept under max */
};

/* Appends one formed line (ending in '\n').  -1 with errno, the file as
 * it was, when the line could not be written. */
int tlfile_append(struct tlfile *t, const char *line, size_t len);
/* Syncs and closes the file, if it was opened. */
void tlfile_close(struct tlfile *t);

#endif
