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
	l->err = 0;
	l->nwatch = 0;
	l->on_sigs = 0;
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

void loop_close(struct loop *l, struct watch *w)
{
	if (w->fd < 0)
		return;
	loop_del(l, w);
	close(w->fd);
	w->fd = -1;
}

/* Signals read per read(2): fewer back means the queue is empty. */
#define SIG_BATCH 8

/* Non-blocking, reads until the queue is empty; blocking (direct), reads
 * once: that read was the wait, and a second one would be the next. */
static int read_signals(struct loop *l)
{
	struct signalfd_siginfo si[SIG_BATCH];
	int n;

	do {
		n = sigfd_read_batch(l->sigs.fd, si, SIG_BATCH);
		if (n > 0)
			l->on_sigs(l->sigs_ctx, si, n);
	} while (n == SIG_BATCH && !l->blocking && !l->done);
	return n < 0 ? -1 : 0;
}

static void on_sigfd(struct watch *w, uint32_t events)
{
	struct loop *l = w->ctx;

	(void)events;
	if (read_signals(l) < 0) {
		l->err = errno;
		l->done = 1;
	}
}

int loop_init_signal_batches(struct loop *l, const sigset_t *mask,
			     signals_fn *fn, void *ctx)
{
	if (loop_init_signals(l, &l->sigs, mask, on_sigfd, l) < 0)
		return -1;
	l->on_sigs = fn;
	l->sigs_ctx = ctx;
	return 0;
}

/* Alone, the signalfd leaves the epoll set too: otherwise every signal
 * would still run epoll's wake-up callback for nobody. */
static int set_direct(struct loop *l, int on)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &l->sigs };
	int fd = l->sigs.fd, fl = fcntl(fd, F_GETFL);

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

static int wait_epoll(struct loop *l)
{
	struct epoll_event evs[8];
	int n = epoll_wait(l->epfd, evs, 8, -1);

	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (int i = 0; i < n && !l->done; i++) {
		struct watch *w = evs[i].data.ptr;
		w->fn(w, evs[i].events);
	}
	return 0;
}

int loop_run(struct loop *l)
{
	while (!l->done) {
		int alone = l->on_sigs && l->nwatch == 1, rc;

		if (l->on_sigs && alone != l->blocking && set_direct(l, alone) < 0)
			return -1;
		rc = alone ? read_signals(l) : wait_epoll(l);
		if (rc < 0)
			return -1;
	}
	if (l->err) {
		errno = l->err;
		return -1;
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

static void rest_over(struct watch *w, uint32_t events)
{
	struct rest *r = w->ctx;
	int rc;

	(void)events;
	timer_ack(w->fd);
	if (!r->on)
		return;
	rc = loop_add(r->loop, r->lsn, EPOLLIN);
	r->on = rc < 0;
	r->back(r->ctx, rc);
}

int rest_init(struct rest *r, struct loop *l, struct watch *lsn,
	      void (*back)(void *ctx, int rc), void *ctx)
{
	*r = (struct rest){ { timer_open(), rest_over, r }, l, lsn, 0, back, ctx };
	return r->timer.fd < 0 || loop_add(l, &r->timer, EPOLLIN) < 0 ? -1 : 0;
}

int rest_start(struct rest *r, long ms)
{
	if (r->on)
		return 0;
	if (loop_del(r->loop, r->lsn) < 0)
		return -1;
	r->on = 1;
	return timer_arm(r->timer.fd, ms);
}
