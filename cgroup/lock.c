/* The single-instance lock, on the host: one file per container, named
 * after its PID namespace, in a directory only root can write.  Nothing a
 * container writes can shape it, and the launched program holds it (fd 3)
 * for its whole life, so a held lock means tether-enter started it. */
#include "enter.h"
#include "buf.h"
#include "fd.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOCK_FLAGS (O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
/* Lock files looked at per run when clearing those of dead containers. */
#define SWEEP_MAX 256

static int open_dir(const char *dir)
{
	struct stat st;
	int fd;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		log_error("lock directory %s: %m", dir);
		return -1;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if ((errno == ELOOP || errno == ENOTDIR) && lstat(dir, &st) == 0 && S_ISLNK(st.st_mode))
			log_error("lock directory %s is a symlink: refused", dir);
		else
			log_error("lock directory %s: %m", dir);
		return -1;
	}
	if (st.st_uid != 0 || (st.st_mode & 022)) {
		log_error("lock directory %s is uid %u's with mode %u%u%u: it must be root's and writable by no one else",
			  dir, (unsigned)st.st_uid, (unsigned)(st.st_mode >> 6 & 7),
			  (unsigned)(st.st_mode >> 3 & 7), (unsigned)(st.st_mode & 7));
		close(fd);
		return -1;
	}
	return fd;
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* 0 locked (*out), 1 held by someone else, -1 error.  A sweeper may
 * unlink the file between our open and our flock: we then hold a lock on
 * a name that no longer exists, so the path is checked again after. */
static int take(int dir, const char *name, int *out)
{
	for (int tries = 0; tries < 16; tries++) {
		struct stat st, now;
		int fd = openat(dir, name, LOCK_FLAGS | O_CREAT, 0600);

		if (fd < 0 || fstat(fd, &st) < 0)
			return -1;
		if (!S_ISREG(st.st_mode)) {
			close(fd);
			return errno = EINVAL, -1;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int err = errno;

			close(fd);
			errno = err;
			return err == EWOULDBLOCK ? 1 : -1;
		}
		if (fstatat(dir, name, &now, AT_SYMLINK_NOFOLLOW) == 0 && same_file(&st, &now)) {
			*out = fd;
			return 0;
		}
		close(fd);
	}
	return errno = EAGAIN, -1;
}

int lock_take(const struct opts *o, struct target *t)
{
	int rc;

	if ((t->lockdir = open_dir(o->lock_dir)) < 0)
		return ENTER_LOCK;
	rc = take(t->lockdir, t->lockname, &t->lockfd);
	if (rc == 0)
		return 0;
	if (rc == 1) {
		log_info("already running: the lock %s/%s is held (by the program tether-enter started for this container, or by a launch under way); nothing to do",
			 o->lock_dir, t->lockname);
		return LOCK_HELD;
	}
	log_error("lock file %s/%s: %m", o->lock_dir, t->lockname);
	return ENTER_LOCK;
}

struct sweep {
	int dir;
	const char *mine;
	int seen;
};

/* A lock file nobody holds belongs to a container whose program has
 * ended: it goes, unless the name meanwhile names another file. */
static int sweep_one(const char *name, void *ctx)
{
	struct sweep *s = ctx;
	struct stat st, now;
	size_t n = strlen(name);
	int fd;

	if (s->seen++ >= SWEEP_MAX || strncmp(name, "pidns-", 6) || n < 6 ||
	    strcmp(name + n - 5, ".lock") || !strcmp(name, s->mine))
		return 0;
	if ((fd = openat(s->dir, name, LOCK_FLAGS)) < 0)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && flock(fd, LOCK_EX | LOCK_NB) == 0 &&
	    fstatat(s->dir, name, &now, AT_SYMLINK_NOFOLLOW) == 0 && same_file(&st, &now)) {
		if (unlinkat(s->dir, name, 0) == 0)
			log_debug("removed the lock of an ended container: %s", name);
		else
			log_warn("removing the stale lock %s: %m", name);
	}
	close(fd);
	return 0;
}

void lock_sweep(const struct opts *o, const struct target *t)
{
	struct sweep s = { -1, t->lockname, 0 };

	if ((s.dir = openat(t->lockdir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    dir_each_at(s.dir, sweep_one, &s) < 0)
		log_warn("clearing old locks in %s: %m", o->lock_dir);
	if (s.dir >= 0)
		close(s.dir);
}
