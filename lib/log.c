#include "log.h"
#include "buf.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const char *log_component = "tether";
static enum log_level log_max = LOG_WARN;
static enum log_format log_fmt = LOG_JSON;

static const char *const level_names[] = { "error", "warning", "info", "info", "debug" };

void log_setup(const char *component, enum log_level max, enum log_format fmt)
{
	log_component = component;
	log_max = max;
	log_fmt = fmt;
}

enum log_level log_level_max(void)
{
	return log_max;
}

int log_format_parse(const char *s, enum log_format *out)
{
	if (!strcmp(s, "json"))
		*out = LOG_JSON;
	else if (!strcmp(s, "text"))
		*out = LOG_TEXT;
	else
		return -1;
	return 0;
}

/* The system call rather than the vDSO: musl's vDSO lookup and gmtime
 * would cost 1.5 KB of every binary, for a clock read per log line. */
static void put_timestamp(struct buf *b)
{
	struct timespec ts = { 0, 0 };

	syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts);
	buf_utc(b, ts.tv_sec, ts.tv_nsec / 1000);
}

/* Retries a short write so a line is never cut; gives up on error. */
static void write_all(const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(STDERR_FILENO, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= w;
	}
}

static void emit(struct buf *b, const char *component, enum log_level lvl,
		 const char *pos, const char *msg, size_t len)
{
	if (log_fmt == LOG_TEXT) {
		buf_printf(b, "%s: %s: ", component, level_names[lvl]);
		buf_put(b, msg, len);
	} else {
		buf_str(b, "{\"component\":\"");
		buf_json(b, component, strlen(component));
		buf_printf(b, "\",\"level\":\"%s\",\"msg\":\"", level_names[lvl]);
		buf_json(b, msg, len);
		if (pos) {
			buf_str(b, "\",\"pos\":\"");
			buf_str(b, pos);
		}
		buf_str(b, "\",\"timestamp\":\"");
		put_timestamp(b);
		buf_str(b, "\"}");
	}
	/* A cut line still ends the line, so the next one stays parseable. */
	if (b->len == b->cap)
		b->len--;
	b->p[b->len++] = '\n';
	write_all(b->p, b->len);
}

void log_write(enum log_level lvl, const char *pos, const char *fmt, ...)
{
	char msg_store[1024], line_store[2048];
	struct buf msg = BUF_INIT(msg_store), line = BUF_INIT(line_store);
	int err = errno;
	va_list ap;

	if (lvl > log_max)
		return;
	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	emit(&line, log_component, lvl, pos, msg.p, msg.len);
	errno = err;
}

void log_line(const char *component, enum log_level lvl, const char *msg,
	      size_t len, char *scratch, size_t scratch_len)
{
	struct buf line = { scratch, 0, scratch_len, 0 };

	if (lvl <= log_max)
		emit(&line, component, lvl, 0, msg, len);
}
