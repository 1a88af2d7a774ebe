#include "dirwatch.h"
#include "fdpass.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <unistd.h>

static void on_ready(struct watch *w, uint32_t events)
{
	struct dirwatch *d = w->ctx;
	/* Room for several events with names up to NAME_MAX. */
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	(void)events;
	/* fn may release the watch (w->fd = -1): stop there. */
	while (w->fd >= 0) {
		n = read(w->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		for (char *p = buf; p < buf + n && w->fd >= 0;) {
			struct inotify_event *ev = (void *)p;

			p += sizeof(*ev) + ev->len;
			d->fn(d, ev->mask, ev->len ? ev->name : "");
		}
	}
}

static int add(int fd, const char *dir, uint32_t mask)
{
	return inotify_add_watch(fd, dir, mask | IN_ONLYDIR | IN_DELETE_SELF |
				 IN_MOVE_SELF);
}

int dirwatch_move(struct dirwatch *d, const char *dir, uint32_t mask)
{
	int wd = add(d->w.fd, dir, mask);

	if (wd < 0)
		return -1;
	if (d->wd >= 0 && d->wd != wd)
		inotify_rm_watch(d->w.fd, d->wd);
	d->wd = wd;
	return 0;
}

int dirwatch_open(struct dirwatch *d, struct loop *l, const char *dir,
		  uint32_t mask, dirwatch_fn *fn, void *ctx)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC), err;

	if (fd < 0)
		return -1;
	d->wd = add(fd, dir, mask);
	d->fn = fn;
	d->ctx = ctx;
	d->w = (struct watch){ fd, on_ready, d };
	if (d->wd < 0 || loop_add(l, &d->w, EPOLLIN) < 0) {
		err = errno;
		close(fd);
		d->w.fd = -1;
		errno = err;
		return -1;
	}
	return 0;
}

/* Sends fd, then the receiving end itself, over a fresh pair and drops our
 * references: what is left is reachable only from itself. */
static int park(int fd)
{
	int sp[2], rc;
	char byte = 0;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sp) < 0)
		return -1;
	rc = fd_send(sp[0], &byte, 1, fd) == 1 &&
	     fd_send(sp[0], &byte, 1, sp[1]) == 1 ? 0 : -1;
	close(sp[1]);
	close(sp[0]);
	return rc;
}

void dirwatch_release(struct dirwatch *d, struct loop *l)
{
	if (d->w.fd < 0)
		return;
	loop_del(l, &d->w);
	park(d->w.fd);
	close(d->w.fd);
	d->w.fd = -1;
}
