/* File-descriptor and path helpers. */
#ifndef TETHER_FD_H
#define TETHER_FD_H

#include <sys/types.h>

/* Closes every fd >= lowfd (close_range, or /proc/self/fd without it). */
int fd_close_from(int lowfd);
/* Calls fn for each entry of a directory whose name does not start with
 * a dot. */
int dir_each(const char *path, int (*fn)(const char *name, void *ctx),
	     void *ctx);
/* The same over an open directory fd (read from its current offset). */
int dir_each_at(int dfd, int (*fn)(const char *name, void *ctx), void *ctx);
/* Reads a small file (a /proc entry) relative to dirfd (or AT_FDCWD) into
 * buf, up to len - 1 bytes, NUL-terminated; returns the length or -1. */
ssize_t read_small(int dirfd, const char *path, char *buf, size_t len);
/* The first number of the line "KEY:\tN..." of a small /proc file
 * (status, fdinfo; 2 KiB at most), within [min, max]: 0 with *out, or -1
 * (EINVAL when the line is missing or the number bad). */
int read_proc_field(const char *path, const char *key, long min, long max, long *out);
/* The last component of path: what follows its last '/', or all of it. */
const char *path_base(const char *path);
/* Whether argv0 (may be 0) names a program called name, whatever its
 * directory: how a binary installed under several names tells them. */
int called_as(const char *argv0, const char *name);
/* The directory part of path into dir ("." without a '/', "/" for "/x");
 * -1 with ENAMETOOLONG if it does not fit in cap bytes. */
int path_dir(const char *path, char *dir, size_t cap);
/* Copies what is left of in to out (short and interrupted writes
 * retried): 0 at in's end, or -1 with the read's or the write's errno. */
int fd_copy(int in, int out);
/* Parses a whole decimal string in [min, max]; -1 and nothing stored if
 * it is not one. */
int parse_long(const char *s, long min, long max, long *out);
/* Seconds with up to three decimals ("5", "0.25") → milliseconds; -1 if
 * malformed or above max_s seconds (fraction included). */
int parse_seconds_ms(const char *s, long max_s, long *ms);

#endif
