#include "fd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct dirent64 {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

/* getdents64 rather than opendir: no allocation, which keeps malloc out of
 * the binaries that do not otherwise need it. */
int dir_each_at(int dfd, int (*fn)(const char *name, void *ctx), void *ctx)
{
	char dents[4096];
	long n;

	while ((n = syscall(SYS_getdents64, dfd, dents, sizeof(dents))) > 0) {
		for (long off = 0; off < n;) {
			struct dirent64 *d = (void *)(dents + off);

			off += d->reclen;
			if (d->name[0] != '.')
				fn(d->name, ctx);
		}
	}
	return n < 0 ? -1 : 0;
}

int dir_each(const char *path, int (*fn)(const char *name, void *ctx),
	     void *ctx)
{
	int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc, err;

	if (dfd < 0)
		return -1;
	rc = dir_each_at(dfd, fn, ctx);
	err = errno;
	close(dfd);
	errno = err;
	return rc;
}

static int close_one(const char *name, void *ctx)
{
	long fd;

	if (!parse_long(name, *(int *)ctx, 1 << 30, &fd))
		close(fd);
	return 0;
}

ssize_t read_small(int dirfd, const char *path, char *buf, size_t len)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC), err;
	ssize_t n, got = 0;

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf + got, len - 1 - got)) > 0 ||
	       (n < 0 && errno == EINTR))
		got += n > 0 ? n : 0;
	err = errno;
	close(fd);
	if (n < 0)
		return errno = err, -1;
	buf[got] = '\0';
	return got;
}

int read_proc_field(const char *path, const char *key, long min, long max, long *out)
{
	char text[2048], *p, *e;
	size_t klen = strlen(key);

	if (read_small(AT_FDCWD, path, text, sizeof(text)) < 0)
		return -1;
	/* No strstr: it would double the size of the placeholder's libc. */
	for (p = text; *p; p++)
		if ((p == text || p[-1] == '\n') && !memcmp(p, key, klen) &&
		    p[klen] == ':' && p[klen + 1] == '\t')
			break;
	if (!*p)
		return errno = EINVAL, -1;
	p += klen + 2;
	for (e = p; *e && *e != '\t' && *e != '\n'; e++)
		;
	*e = '\0';
	if (parse_long(p, min, max, out))
		return errno = EINVAL, -1;
	return 0;
}

int fd_close_from(int lowfd)
{
	if (syscall(SYS_close_range, lowfd, ~0U, 0) == 0)
		return 0;
	/* The listing's own fd is closed under it; getdents then ends. */
	return dir_each("/proc/self/fd", close_one, &lowfd);
}

int parse_long(const char *s, long min, long max, long *out)
{
	long v = 0;
	int neg = *s == '-';

	s += neg;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (max < 0 ? -max : max))
			return -1;
		v = v * 10 + (*s - '0');
	}
	v = neg ? -v : v;
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int parse_seconds_ms(const char *s, long max_s, long *ms)
{
	long whole = 0, frac = 0, scale = 100;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		whole = whole * 10 + (*p - '0');
		if (whole > max_s)
			return -1;
	}
	if (*p == '.') {
		if (!p[1])
			return -1;
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			if (!scale)
				return -1;
			else
				frac += (*p - '0') * scale;
	}
	/* The bound is on the whole value: 86400.5 is past 86400. */
	if (*p || whole * 1000 + frac > max_s * 1000)
		return -1;
	*ms = whole * 1000 + frac;
	return 0;
}

const char *path_base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

int called_as(const char *argv0, const char *name)
{
	return argv0 && !strcmp(path_base(argv0), name);
}

int path_dir(const char *path, char *dir, size_t cap)
{
	const char *slash = strrchr(path, '/');
	size_t n = !slash ? 1 : slash == path ? 1 : (size_t)(slash - path);

	if (n >= cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, !slash ? "." : slash == path ? "/" : path, n);
	dir[n] = '\0';
	return 0;
}

int fd_copy(int in, int out)
{
	char data[16384];
	ssize_t n, w;

	for (;;) {
		n = read(in, data, sizeof(data));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -1 : 0;
		for (ssize_t off = 0; off < n; off += w) {
			w = write(out, data + off, n - off);
			if (w < 0 && errno == EINTR)
				w = 0;
			else if (w < 0)
				return -1;
		}
	}
}
