#include "pathwatch.h"
#include "log.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIR_EVENTS (DIRWATCH_NEW | DIRWATCH_GONE)

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
 * path's state if it changed.  Re-checking after moving the watch closes
 * the window between lstat and inotify_add_watch. */
static void recheck(struct pathwatch *pw)
{
	struct stat st;
	int present;

	deepest_dir(pw);
	if (dirwatch_move(&pw->d, pw->dir, DIR_EVENTS) < 0)
		log_warn("inotify_add_watch %s: %m", pw->dir);
	present = lstat(pw->path, &st) == 0;
	if (present != pw->present) {
		pw->present = present;
		pw->fn(pw, present);
	}
}

/* Any event only says "look again": the lstat in recheck decides. */
static void on_event(struct dirwatch *d, uint32_t mask, const char *name)
{
	(void)mask;
	(void)name;
	recheck(d->ctx);
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
	pw->present = -1;
	deepest_dir(pw);
	if (dirwatch_open(&pw->d, l, pw->dir, DIR_EVENTS, on_event, pw) < 0)
		return -1;
	recheck(pw);
	return 0;
}

void pathwatch_stop(struct pathwatch *pw)
{
	loop_close(pw->loop, &pw->d.w);
}
