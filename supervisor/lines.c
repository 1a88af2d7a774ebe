#include "lines.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* log_line's worst case: every byte escaped as \u00XX, and the JSON
 * around it. */
static char scratch[6 * LINE_BUF + 256];

void lines_log(const char *component, enum log_level lvl, const char *p, size_t n)
{
	log_line(component, lvl, p, n, scratch, sizeof(scratch));
}

void lines_flush(struct lines *l, int all)
{
	char *p = l->buf, *end = l->buf + l->len, *nl;

	while ((nl = memchr(p, '\n', end - p))) {
		l->emit(l->ctx, p, nl - p);
		p = nl + 1;
	}
	if ((all || (p == l->buf && l->len == l->cap)) && p < end) {
		l->emit(l->ctx, p, end - p);
		p = end;
	}
	l->len = end - p;
	memmove(l->buf, p, l->len);
}

ssize_t lines_read(struct lines *l, int fd)
{
	ssize_t n;

	do
		n = read(fd, l->buf + l->len, l->cap - l->len);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		l->len += n;
		lines_flush(l, 0);
	}
	return n;
}
