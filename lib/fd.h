/* File-descriptor and path helpers. */
#ifndef TETHER_FD_H
#define TETHER_FD_H

/* Closes every fd >= lowfd (close_range, or /proc/self/fd without it). */
int fd_close_from(int lowfd);
/* Calls fn for each entry of a directory whose name does not start with
 * a dot. */
int dir_each(const char *path, int (*fn)(const char *name, void *ctx),
	     void *ctx);
/* Parses a whole decimal string in [min, max]; -1 and nothing stored if
 * it is not one. */
int parse_long(const char *s, long min, long max, long *out);
/* Seconds with up to three decimals ("5", "0.25") → milliseconds. */
int parse_seconds_ms(const char *s, long max_s, long *ms);

#endif
