/* The termination log file.  kubelet bind-mounts it into the container,
 * so it can never be replaced by rename: every change is made in place,
 * in an order that keeps what it holds.
 *
 * - An append is one write.  A short one (ENOSPC, EDQUOT, EFBIG) is
 *   completed, or else rolled back with ftruncate to the old length, and
 *   the errno of the write that failed is reported.
 * - A trim (the new line would not fit) writes the new content C (the kept
 *   lines and the new one) at the end first, then at offset 0, and only
 *   then cuts the file to C's length.  At every step the file ends with C
 *   whole (kubelet reads only its last 4096 bytes), or, when the end has
 *   no room for C, with the old content; a failed write at offset 0 is
 *   undone from the mirror.
 * - A log that is not a regular file (a FIFO, /dev/stderr on a pipe) is
 *   written without ever blocking: a line it cannot take now is dropped
 *   with a warning. */
#include "tlfile.h"
#include "event.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CAP (1 << 20)		/* the largest --termination-log-max */

/* The file's last mirror_len bytes, as whole lines: a trim rewrites the
 * kept lines from here, so the file need not be readable. */
static char mirror[CAP];
static size_t mirror_len;
static char next[CAP];		/* what a trim writes */

static const char shutdown_prefix[] = "{\"event\":\"SHUTDOWN\",";
static const char own_prefix[] = "{\"event\":\"" OWN_EVENT "\",";

static void mirror_load(struct tlfile *t, off_t size)
{
	off_t from = size > t->max ? size - t->max : 0;
	ssize_t n = pread(t->fd, mirror, size - from, from);

	if (n < 0) {
		log_warn("%s is not readable (%m): its %lld bytes count toward the bound, "
			 "and are given up at the first trim", t->path, (long long)size);
		return;
	}
	mirror_len = n;
	if (from > 0 && mirror_len) {
		/* Make the first kept byte the start of a line. */
		char *nl = memchr(mirror, '\n', mirror_len);
		size_t skip = nl ? (size_t)(nl + 1 - mirror) : mirror_len;
		memmove(mirror, mirror + skip, mirror_len - skip);
		mirror_len -= skip;
	}
}

static int open_log(struct tlfile *t)
{
	/* O_NONBLOCK: opening a FIFO, and writing to one, never waits. */
	int flags = O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
	struct stat st;

	if (t->fd >= 0)
		return 0;
	t->fd = open(t->path, O_RDWR | flags, 0644);
	if (t->fd < 0 && errno == EACCES)
		t->fd = open(t->path, O_WRONLY | flags, 0644);
	if (t->fd < 0 || fstat(t->fd, &st) < 0) {
		log_error("open %s: %m", t->path);
		if (t->fd >= 0)
			close(t->fd);
		t->fd = -1;
		return -1;
	}
	t->regular = S_ISREG(st.st_mode);
	mirror_len = 0;
	if (t->regular && st.st_size > 0)
		mirror_load(t, st.st_size);
	if (!t->regular)
		log_warn("%s is not a regular file: lines it cannot take at once are dropped", t->path);
	return 0;
}

/* Writes all of p at the end; on failure the file is cut back to size. */
static int append_all(struct tlfile *t, const char *p, size_t n, off_t size)
{
	size_t done = 0;
	ssize_t w;
	int err;

	while (done < n) {
		w = write(t->fd, p + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto undo;
		done += w;
	}
	return 0;
undo:
	err = w == 0 ? EIO : errno;
	if (done && ftruncate(t->fd, size) < 0)
		log_error("cutting %s back to %lld bytes after a short write: %m",
			  t->path, (long long)size);
	errno = err;
	return -1;
}

/* pwrite of all of p at 0; *done is how much was written. */
static int pwrite_all(int fd, const char *p, size_t n, size_t *done)
{
	ssize_t w;

	for (*done = 0; *done < n; *done += w) {
		w = pwrite(fd, p + *done, n - *done, *done);
		if (w < 0 && errno == EINTR) {
			w = 0;
			continue;
		}
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
	}
	return 0;
}

/* pwrite ignores its offset on an O_APPEND descriptor. */
static int set_append(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFL, on ? fl | O_APPEND : fl & ~O_APPEND);
}

static int starts(const char *p, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && !memcmp(p, prefix, k);
}

/* The start of the newest mirror line beginning with prefix, or NULL. */
static const char *newest(const char *prefix)
{
	const char *end = mirror + mirror_len, *p;

	while (end > mirror) {
		p = end - 1;
		while (p > mirror && p[-1] != '\n')
			p--;
		if (starts(p, end - p, prefix))
			return p;
		end = p;
	}
	return 0;
}

static size_t line_len(const char *p)
{
	const char *nl = memchr(p, '\n', mirror + mirror_len - p);

	return nl ? (size_t)(nl + 1 - p) : (size_t)(mirror + mirror_len - p);
}

/* Only a line we could have written (a quarter of the log at most) is
 * kept ahead of the others; the two of them and the new line then fit. */
static const char *pinned(const struct tlfile *t, const char *line,
			  size_t len, const char *prefix)
{
	const char *p = starts(line, len, prefix) ? 0 : newest(prefix);

	return p && (long)line_len(p) <= t->max / 4 ? p : 0;
}

/* Drops the mirror's oldest lines until n more bytes fit under max (only
 * needed when the file was cut behind our back). */
static void mirror_room(const struct tlfile *t, size_t n)
{
	while (mirror_len && mirror_len + n > (size_t)t->max) {
		size_t k = line_len(mirror);

		memmove(mirror, mirror + k, mirror_len - k);
		mirror_len -= k;
	}
}

/* next = the kept lines + the new one, at most max bytes.  The newest
 * lines are kept, the oldest dropped first, except that the newest
 * SHUTDOWN line and the newest own event are kept before any other:
 * a flood of other events can never push the reason out.  A new line of
 * the same event replaces them as the newest. */
static size_t build_next(const struct tlfile *t, const char *line, size_t len)
{
	const char *pin[2] = {
		pinned(t, line, len, shutdown_prefix),
		pinned(t, line, len, own_prefix),
	};
	size_t room = t->max - len, n = 0;
	const char *cut = mirror + mirror_len, *p;

	for (int i = 0; i < 2; i++)
		if (pin[i])
			room -= line_len(pin[i]);
	/* cut: the oldest line of the unpinned tail that fits */
	while (cut > mirror) {
		p = cut - 1;
		while (p > mirror && p[-1] != '\n')
			p--;
		if (p != pin[0] && p != pin[1]) {
			if (line_len(p) > room)
				break;
			room -= line_len(p);
		}
		cut = p;
	}
	for (p = mirror; p < mirror + mirror_len; p += line_len(p))
		if (p >= cut || p == pin[0] || p == pin[1]) {
			memcpy(next + n, p, line_len(p));
			n += line_len(p);
		}
	memcpy(next + n, line, len);
	return n + len;
}

/* Puts back what a failed pwrite at 0 overwrote, and the old length.
 * Only the mirror is known: a prefix we could not read is lost. */
static void undo_trim(struct tlfile *t, size_t written, off_t size)
{
	off_t base = size - (off_t)mirror_len;
	size_t n = written < mirror_len ? written : mirror_len, dummy;

	if (base > 0 && written > 0)
		log_error("%s: its first %lld bytes, which could not be read, are lost",
			  t->path, (long long)base);
	else if (n && pwrite_all(t->fd, mirror, n, &dummy) < 0)
		log_error("restoring %s: %m", t->path);
	if (ftruncate(t->fd, size) < 0)
		log_error("cutting %s back to %lld bytes: %m", t->path, (long long)size);
}

static int trim(struct tlfile *t, const char *line, size_t len, off_t size)
{
	size_t n = build_next(t, line, len), written = 0;
	int err;

	/* The end first: the file then ends with the new content whole.
	 * No room there (ENOSPC) is no failure yet: the in-place write
	 * below needs no more room than the file has. */
	if (append_all(t, next, n, size) < 0)
		log_debug("%s: no room to write the new content at the end first (%m)", t->path);
	if (set_append(t->fd, 0) < 0) {
		err = errno;
		undo_trim(t, 0, size);
		errno = err;
		return -1;
	}
	if (pwrite_all(t->fd, next, n, &written) < 0) {
		err = errno;
		undo_trim(t, written, size);
		set_append(t->fd, 1);
		errno = err;
		return -1;
	}
	err = ftruncate(t->fd, n) < 0 ? errno : 0;
	if (set_append(t->fd, 1) < 0 && !err)
		err = errno;
	memcpy(mirror, next, n);
	mirror_len = n;
	if (err) {
		errno = err;
		log_error("truncate %s: %m (the new content is whole at its start and its end)", t->path);
	}
	return 0;
}

/* A FIFO or a device: one non-blocking write, whole or dropped. */
static int write_other(struct tlfile *t, const char *line, size_t len)
{
	ssize_t w;

	if (len > PIPE_BUF) {
		errno = EMSGSIZE;
		return -1;
	}
	do
		w = write(t->fd, line, len);
	while (w < 0 && errno == EINTR);
	if (w == (ssize_t)len)
		return 0;
	if (w >= 0) {
		log_warn("%s took %zd of %zu bytes", t->path, w, len);
		errno = EIO;
	} else if (errno == EAGAIN) {
		log_warn("%s cannot take a line now (nobody reads it?): dropped", t->path);
	}
	return -1;
}

static int append_line(struct tlfile *t, const char *line, size_t len)
{
	struct stat st;

	if (!t->regular)
		return write_other(t, line, len);
	/* The size on disk, not the mirror's: a log we cannot read still
	 * counts every byte it holds. */
	if (fstat(t->fd, &st) < 0)
		return -1;
	if (st.st_size + (off_t)len > t->max)
		return trim(t, line, len, st.st_size);
	if (append_all(t, line, len, st.st_size) < 0)
		return -1;
	mirror_room(t, len);
	memcpy(mirror + mirror_len, line, len);
	mirror_len += len;
	return 0;
}

int tlfile_append(struct tlfile *t, const char *line, size_t len)
{
	if ((long)len > t->max / 4) {
		errno = EMSGSIZE;
		return -1;
	}
	if (open_log(t) < 0)
		return -1;
	if (append_line(t, line, len) == 0)
		return 0;
	if (errno != EAGAIN)
		log_error("write %s: %m", t->path);
	return -1;
}

void tlfile_close(struct tlfile *t)
{
	if (t->fd < 0)
		return;
	if (fsync(t->fd) < 0 && errno != EINVAL)
		log_warn("fsync %s: %m", t->path);
	close(t->fd);
	t->fd = -1;
}
