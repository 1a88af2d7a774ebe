#include "prepare.h"
#include "buf.h"
#include "fd.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int make_dirs(const char *path)
{
	char tmp[4096];
	size_t n = strlen(path);

	if (n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -1;
		if (!c)
			return 0;
		*p = c;
	}
}

static int writable_dir(const char *dir)
{
	if (make_dirs(dir) < 0) {
		log_error("cannot create %s: %m (it must be inside a writable emptyDir)", dir);
		return -1;
	}
	if (access(dir, W_OK) < 0) {
		log_error("%s is not writable: %m (mount an emptyDir there)", dir);
		return -1;
	}
	return 0;
}

struct copy {
	const char *from, *to;
	int failed;		/* dir_each does not stop on an error */
};

static int join(char *out, size_t cap, const char *a, const char *b)
{
	struct buf p = { out, 0, cap, 0 };

	buf_printf(&p, "%s/%s", a, b);
	buf_cstr(&p);
	if (p.truncated) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int copy_file(const char *src, const char *dst, const struct stat *st)
{
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;

	if (in < 0)
		return -1;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st->st_mode & 07777);
	if (out < 0)
		goto done;
	if (fd_copy(in, out) < 0 || fchmod(out, st->st_mode & 07777) < 0)
		goto done;
	if (geteuid() == 0 && fchown(out, st->st_uid, st->st_gid) < 0)
		goto done;
	rc = 0;
done:
	{
		int err = errno;
		close(in);
		if (out >= 0 && close(out) < 0 && rc == 0)
			return -1;
		errno = err;
	}
	return rc;
}

static int copy_tree(const char *from, const char *to);

static int copy_one(const char *name, void *ctx)
{
	struct copy *c = ctx;
	char src[4096], dst[4096], link[4096];
	struct stat st;
	ssize_t n;

	if (join(src, sizeof(src), c->from, name) < 0 ||
	    join(dst, sizeof(dst), c->to, name) < 0 || lstat(src, &st) < 0)
		goto fail;
	if (S_ISDIR(st.st_mode)) {
		if ((mkdir(dst, st.st_mode & 07777) < 0 && errno != EEXIST) ||
		    copy_tree(src, dst) < 0)
			goto fail;
	} else if (S_ISLNK(st.st_mode)) {
		if ((n = readlink(src, link, sizeof(link) - 1)) < 0)
			goto fail;
		link[n] = '\0';
		if ((unlink(dst) < 0 && errno != ENOENT) || symlink(link, dst) < 0)
			goto fail;
	} else if (S_ISREG(st.st_mode)) {
		if (copy_file(src, dst, &st) < 0)
			goto fail;
	}
	return 0;
fail:
	if (!c->failed)
		log_error("seeding %s from %s: %m", dst, src);
	c->failed = 1;
	return -1;
}

static int copy_tree(const char *from, const char *to)
{
	struct copy c = { from, to, 0 };

	if (dir_each(from, copy_one, &c) < 0) {
		log_error("reading %s: %m", from);
		return -1;
	}
	return c.failed ? -1 : 0;
}

static int seed(const char *from, const char *to)
{
	struct stat st;

	if (stat(from, &st) < 0) {
		if (errno == ENOENT)
			return 0;	/* nothing to seed: the image has none */
		log_error("%s: %m", from);
		return -1;
	}
	if (writable_dir(to) < 0 || copy_tree(from, to) < 0)
		return -1;
	log_info("seeded %s from %s", to, from);
	return 0;
}

int prepare(const struct config *c)
{
	for (int i = 0; i < c->ndirs; i++)
		if (writable_dir(c->dirs[i]) < 0)
			return -1;
	return c->seed_from ? seed(c->seed_from, c->seed_to) : 0;
}
