#include "loop.h"
#include "sig.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

int loop_init(struct loop *l)
{
	l->done = 0;
	l->exit_code = 0;
	l->nwatch = 0;
	l->direct = 0;
	l->blocking = 0;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? -1 : 0;
}

int loop_init_signals(struct loop *l, struct watch *w, const sigset_t *mask,
		      watch_fn *fn, void *ctx)
{
	sigset_t all;

	if (!mask) {
		sig_fill(&all);
		mask = &all;
	}
	w->fn = fn;
	w->ctx = ctx;
	if (loop_init(l) < 0 || (w->fd = sigfd_open(mask)) < 0)
		return -1;
	return loop_add(l, w, EPOLLIN);
}

int loop_add(struct loop *l, struct watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, w->fd, &ev) < 0)
		return -1;
	l->nwatch++;
	return 0;
}

int loop_del(struct loop *l, struct watch *w)
{
	if (epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, 0) < 0)
		return -1;
	l->nwatch--;
	return 0;
}

void loop_set_direct(struct loop *l, struct watch *w)
{
	l->direct = w;
}

/* Alone, the direct watch leaves the epoll set too: otherwise every
 * event would still run epoll's wake-up callback for nobody. */
static int set_direct(struct loop *l, int on)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = l->direct };
	int fd = l->direct->fd, fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	if (on && (epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, 0) < 0 ||
		   fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0))
		return -1;
	if (!on && (fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
		    epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0))
		return -1;
	l->blocking = on;
	return 0;
}

void loop_exit(struct loop *l, int code)
{
	l->done = 1;
	l->exit_code = code;
}

int loop_run(struct loop *l)
{
	struct epoll_event evs[8];

	while (!l->done) {
		int alone = l->direct && l->nwatch == 1;

		if (l->direct && alone != l->blocking && set_direct(l, alone) < 0)
			return -1;
		if (alone) {
			l->direct->fn(l->direct, LOOP_DIRECT);
			continue;
		}
		int n = epoll_wait(l->epfd, evs, 8, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		for (int i = 0; i < n && !l->done; i++) {
			struct watch *w = evs[i].data.ptr;
			w->fn(w, evs[i].events);
		}
	}
	return l->exit_code;
}

int sigfd_open(const sigset_t *mask)
{
	return signalfd(-1, mask, SFD_NONBLOCK | SFD_CLOEXEC);
}

int sigfd_read_batch(int fd, struct signalfd_siginfo *si, int max)
{
	ssize_t n;

	do
		n = read(fd, si, max * sizeof(*si));
	while (n < 0 && errno == EINTR);
	if (n > 0 && n % sizeof(*si) == 0)
		return n / sizeof(*si);
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n >= 0)
		errno = EIO;
	return -1;
}

int sigfd_read(int fd, struct signalfd_siginfo *si)
{
	return sigfd_read_batch(fd, si, 1);
}

int timer_open(void)
{
	return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
}

int timer_arm(int fd, long ms)
{
	struct itimerspec it = { 0 };

	if (ms > 0) {
		it.it_value.tv_sec = ms / 1000;
		it.it_value.tv_nsec = (ms % 1000) * 1000000L;
	}
	return timerfd_settime(fd, 0, &it, 0);
}

void timer_ack(int fd)
{
	uint64_t n;

	while (read(fd, &n, sizeof(n)) < 0 && errno == EINTR)
		;
}

long clock_ms(void)
{
	struct timespec ts = { 0, 0 };

	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
