#include "pathwatch.h"
#include "log.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIR_EVENTS (IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | \
		    IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

/* The deepest existing directory on the way to pw->path ("/" at worst). */
static void deepest_dir(struct pathwatch *pw)
{
	struct stat st;
	size_t n = strlen(pw->path);

	if (n >= sizeof(pw->dir))
		n = sizeof(pw->dir) - 1;
	memcpy(pw->dir, pw->path, n);
	pw->dir[n] = '\0';
	for (;;) {
		char *slash = strrchr(pw->dir, '/');

		if (!slash || slash == pw->dir) {
			pw->dir[0] = '/';
			pw->dir[1] = '\0';
			return;
		}
		*slash = '\0';
		if (stat(pw->dir, &st) == 0 && S_ISDIR(st.st_mode))
			return;
	}
}

/* Moves the watch to the current deepest directory, then reports the
 * path's state if it changed.  Re-checking after (re)adding the watch
 * closes the window between lstat and inotify_add_watch. */
static void recheck(struct pathwatch *pw)
{
	struct stat st;
	int present, wd;

	deepest_dir(pw);
	wd = inotify_add_watch(pw->w.fd, pw->dir, DIR_EVENTS);
	if (wd < 0)
		log_warn("inotify_add_watch %s: %m", pw->dir);
	if (pw->wd >= 0 && pw->wd != wd)
		inotify_rm_watch(pw->w.fd, pw->wd);
	pw->wd = wd;
	present = lstat(pw->path, &st) == 0;
	if (present != pw->present) {
		pw->present = present;
		pw->fn(pw, present);
	}
}

static void on_inotify(struct watch *w, uint32_t events)
{
	struct pathwatch *pw = w->ctx;
	char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	(void)events;
	if (w->fd < 0)		/* stopped earlier in this loop round */
		return;
	/* The events only say "look again": the lstat in recheck decides. */
	while (read(w->fd, ev, sizeof(ev)) > 0)
		;
	recheck(pw);
}

int pathwatch_start(struct pathwatch *pw, struct loop *l, const char *path,
		    pathwatch_fn *fn, void *ctx)
{
	if (path[0] != '/') {
		errno = EINVAL;
		return -1;
	}
	pw->loop = l;
	pw->path = path;
	pw->fn = fn;
	pw->ctx = ctx;
	pw->wd = -1;
	pw->present = -1;
	pw->w.ctx = pw;
	pw->w.fn = on_inotify;
	pw->w.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (pw->w.fd < 0)
		return -1;
	if (loop_add(l, &pw->w, EPOLLIN) < 0) {
		int err = errno;

		close(pw->w.fd);
		pw->w.fd = -1;
		errno = err;
		return -1;
	}
	recheck(pw);
	return 0;
}

void pathwatch_stop(struct pathwatch *pw)
{
	if (pw->w.fd < 0)
		return;
	loop_del(pw->loop, &pw->w);
	close(pw->w.fd);
	pw->w.fd = -1;
}
