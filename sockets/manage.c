/* --manage: the hotplug pod's main holder owns the sockets of the
 * sidecar holders that share its directory (/path). */
#include "buf.h"
#include "fd.h"
#include "holder.h"
#include "log.h"
#include "sock.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int is_sock_name(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && !strcmp(name + n - 5, ".sock");
}

static int entry_path(const struct holder *h, const char *name, char *out,
		      size_t cap)
{
	struct buf b = { out, 0, cap, 0 };

	buf_printf(&b, "%s/%s", h->dir, name);
	buf_cstr(&b);
	return b.truncated || b.len == cap ? -1 : 0;
}

/* A socket nobody listens on is left over from an earlier run of the pod;
 * a live one belongs to a sidecar that started before us. */
static int scan_one(const char *name, void *ctx)
{
	struct holder *h = ctx;
	char path[PATH_MAX];
	struct stat before, after;

	if (!is_sock_name(name) || !strcmp(name, h->name) ||
	    entry_path(h, name, path, sizeof(path)) < 0 ||
	    lstat(path, &before) < 0 || !S_ISSOCK(before.st_mode))
		return 0;
	if (unix_alive(path)) {
		log_info("volume socket present: %s", path);
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

void manage_scan(struct holder *h)
{
	if (dir_each(h->dir, scan_one, h) < 0)
		log_warn("reading %s: %m", h->dir);
}

void manage_event(struct holder *h, uint32_t mask, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if (!is_sock_name(name) || entry_path(h, name, path, sizeof(path)) < 0)
		return;
	if (mask & DIRWATCH_GONE)
		log_info("volume socket disappeared: %s", path);
	else if ((mask & DIRWATCH_NEW) && lstat(path, &st) == 0 &&
		 S_ISSOCK(st.st_mode))
		log_info("volume socket appeared: %s", path);
}

static int remove_one(const char *name, void *ctx)
{
	struct holder *h = ctx;
	char path[PATH_MAX];
	struct stat st;

	if (!is_sock_name(name) || !strcmp(name, h->name) ||
	    entry_path(h, name, path, sizeof(path)) < 0 ||
	    lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return 0;
	if (unlink(path) < 0 && errno != ENOENT)
		log_warn("unlink %s: %m", path);
	else
		log_info("removed volume socket %s", path);
	return 0;
}

/* On shutdown: every sidecar sees its socket go and exits at once. */
void manage_remove_all(struct holder *h)
{
	if (dir_each(h->dir, remove_one, h) < 0)
		log_warn("reading %s: %m", h->dir);
}
