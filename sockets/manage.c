/* --manage: the hotplug pod's main holder owns the sockets of the
 * sidecar holders: those of its own directory (/path, KubeVirt's layout)
 * or, with --manage-dir, of the sidecars' own emptyDir (Deckhouse's). */
#include "manage.h"
#include "buf.h"
#include "fd.h"
#include "log.h"
#include "sock.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A holder's socket is "*.sock". */
static int is_sock_name(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && !strcmp(name + n - 5, ".sock");
}

/* Our own socket, when we manage the directory it is in. */
static int is_own(const struct manage *m, const char *name)
{
	return m->is_own_dir && !strcmp(name, m->own);
}

static int entry_path(const struct manage *m, const char *name, char *out,
		      size_t cap)
{
	struct buf b = { out, 0, cap, 0 };

	buf_printf(&b, "%s/%s", m->dir, name);
	buf_cstr(&b);
	return b.truncated || b.len == cap ? -1 : 0;
}

/* A socket nobody listens on is left over from an earlier run of the pod;
 * a live one belongs to a sidecar that started before us. */
static int scan_one(const char *name, void *ctx)
{
	struct manage *m = ctx;
	char path[PATH_MAX];
	struct stat before, after;

	if (!is_sock_name(name) || is_own(m, name) ||
	    entry_path(m, name, path, sizeof(path)) < 0 ||
	    lstat(path, &before) < 0 || !S_ISSOCK(before.st_mode))
		return 0;
	switch (unix_alive(path)) {
	case UNIX_LIVE:
		log_info("volume socket present: %s", path);
		return 0;
	case UNIX_FULL:	/* a stopped or busy sidecar still owns it */
		log_info("volume socket present: %s (its queue is full)", path);
		return 0;
	}
	if (errno != ECONNREFUSED) {
		log_warn("volume socket %s: %m; leaving it", path);
		return 0;
	}
	/* Only the very inode found dead: a sidecar may have replaced it
	 * since. */
	if (lstat(path, &after) < 0 || after.st_ino != before.st_ino ||
	    after.st_dev != before.st_dev)
		return 0;
	if (unlink(path) < 0 && errno != ENOENT)
		log_warn("unlink stale %s: %m", path);
	else
		log_info("removed stale socket %s", path);
	return 0;
}

static void on_mdir(struct dirwatch *d, uint32_t mask, const char *name)
{
	struct manage *m = d->ctx;

	if (m->loop->done)
		return;
	if (!*name) {
		if (mask & IN_Q_OVERFLOW)
			log_warn("%s: inotify queue overflow; some volume sockets went unlogged",
				 m->dir);
		else if (mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT))
			log_warn("%s went away; no volume sockets left to manage", m->dir);
		return;
	}
	manage_event(m, mask, name);
}

static int same_dir(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* With --manage-dir, the managed directory must exist (it is the
 * sidecars' emptyDir) and gets its own watch; otherwise the watch on our
 * own directory serves both. */
int manage_open(struct manage *m, struct loop *l, const char *manage_dir,
		const char *own_dir, const char *own_name)
{
	m->loop = l;
	m->own = own_name;
	m->dir = manage_dir ? manage_dir : own_dir;
	m->is_own_dir = !manage_dir || same_dir(m->dir, own_dir);
	if (m->is_own_dir)
		return 0;
	if (dirwatch_open(&m->dw, l, m->dir, DIRWATCH_GONE | DIRWATCH_NEW,
			  on_mdir, m) < 0)
		return log_error("--manage-dir %s: %m", m->dir), -1;
	return 0;
}

void manage_scan(struct manage *m)
{
	if (dir_each(m->dir, scan_one, m) < 0)
		log_warn("reading %s: %m", m->dir);
}

void manage_event(struct manage *m, uint32_t mask, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if (!is_sock_name(name) || entry_path(m, name, path, sizeof(path)) < 0)
		return;
	if (mask & DIRWATCH_GONE)
		log_info("volume socket disappeared: %s", path);
	else if ((mask & DIRWATCH_NEW) && lstat(path, &st) == 0 &&
		 S_ISSOCK(st.st_mode))
		log_info("volume socket appeared: %s", path);
}

static int remove_one(const char *name, void *ctx)
{
	struct manage *m = ctx;
	char path[PATH_MAX];

	if (!is_sock_name(name) || is_own(m, name) ||
	    entry_path(m, name, path, sizeof(path)) < 0)
		return 0;
	unlink_socket(path, "volume socket");
	return 0;
}

void manage_remove_all(struct manage *m)
{
	if (dir_each(m->dir, remove_one, m) < 0)
		log_warn("reading %s: %m", m->dir);
	dirwatch_release(&m->dw, m->loop);
}
