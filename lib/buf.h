/* Bounded text buffers and a small printf-style formatter.
 *
 * The formatter exists so that no binary links stdio: it keeps the static
 * binaries small and every write is one write(2).  Output past the end of
 * the buffer is dropped and remembered in `truncated`. */
#ifndef TETHER_BUF_H
#define TETHER_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *p;
	size_t len;
	size_t cap;
	int truncated;
};

#define BUF_INIT(storage) { (storage), 0, sizeof(storage), 0 }

void buf_put(struct buf *b, const char *s, size_t n);
void buf_str(struct buf *b, const char *s);
void buf_char(struct buf *b, char c);
void buf_long(struct buf *b, long long v);
void buf_ulong(struct buf *b, unsigned long long v, unsigned base);
/* JSON string body: escapes quotes, backslashes and control bytes. */
void buf_json(struct buf *b, const char *s, size_t n);
/* %s %d %i %u %x %c %% %m with h/l/ll/z sizes and %.*s or %.Ns; %m is
 * "strerror (ENAME)" of the errno saved when the call began. */
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* sec.usec since the epoch (sec >= 0) as 2026-11-22T01:02:03.456789Z. */
void buf_utc(struct buf *b, long long sec, long usec);
/* NUL-terminates within cap (the last byte is given up if needed). */
const char *buf_cstr(struct buf *b);

#endif
