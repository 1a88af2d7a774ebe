/* Unit tests of lib/loop: signals handed over in batches, read directly
 * while the signalfd is the loop's only watch and through epoll when
 * another joins; the plain watch API never goes direct. */
#define UNIT_NAME "unit_loop"
#include "check.h"

#include "loop.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

struct trace {
	struct loop loop;
	struct watch sig, timer;
	int calls;
	int n[4];
	int nonblock[4];
};

static void on_timer(struct watch *w, uint32_t events)
{
	struct trace *t = w->ctx;

	(void)events;
	timer_ack(w->fd);
	CHECK_INT(loop_del(&t->loop, w), 0);
	raise(SIGUSR1);
}

/* 1st batch (alone): brings in a timer; 2nd (with the timer): waits for
 * it to leave; 3rd (alone again): ends the loop. */
static void on_batch(void *ctx, const struct signalfd_siginfo *si, int n)
{
	struct trace *t = ctx;

	if (t->calls < 4) {
		t->n[t->calls] = n;
		t->nonblock[t->calls] = !!(fcntl(t->loop.sigs.fd, F_GETFL) & O_NONBLOCK);
	}
	CHECK_INT(si[0].ssi_signo, SIGUSR1);
	switch (++t->calls) {
	case 1:
		CHECK_INT(loop_add(&t->loop, &t->timer, EPOLLIN), 0);
		CHECK_INT(timer_arm(t->timer.fd, 1), 0);
		raise(SIGUSR1);
		break;
	case 3:
		loop_exit(&t->loop, 7);
		break;
	}
}

/* The set of a (and b, unless 0), blocked. */
static sigset_t blocked(int a, int b)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, a);
	if (b)
		sigaddset(&set, b);
	CHECK_INT(sigprocmask(SIG_BLOCK, &set, 0), 0);
	return set;
}

static void direct_while_alone(void)
{
	static struct trace t;
	sigset_t usr1 = blocked(SIGUSR1, 0);

	CHECK_INT(loop_init_signal_batches(&t.loop, &usr1, on_batch, &t), 0);
	t.timer.fd = timer_open();
	t.timer.fn = on_timer;
	t.timer.ctx = &t;
	raise(SIGUSR1);
	CHECK_INT(loop_run(&t.loop), 7);
	CHECK_INT(t.calls, 3);
	CHECK_INT(t.nonblock[0], 0);
	CHECK_INT(t.nonblock[1], 1);
	CHECK_INT(t.nonblock[2], 0);
	close(t.timer.fd);
	close(t.loop.sigs.fd);
	close(t.loop.epfd);
}

static void stop_on_second(void *ctx, const struct signalfd_siginfo *si, int n)
{
	struct trace *t = ctx;

	t->n[t->calls++] = n;
	CHECK_INT(si[n - 1].ssi_signo, SIGUSR2);
	loop_exit(&t->loop, 3);
}

/* Two pending signals come in one batch. */
static void one_read_per_batch(void)
{
	static struct trace t;
	sigset_t two = blocked(SIGUSR1, SIGUSR2);

	CHECK_INT(loop_init_signal_batches(&t.loop, &two, stop_on_second, &t), 0);
	raise(SIGUSR1);
	raise(SIGUSR2);
	CHECK_INT(loop_run(&t.loop), 3);
	CHECK_INT(t.calls, 1);
	CHECK_INT(t.n[0], 2);
	close(t.loop.sigs.fd);
	close(t.loop.epfd);
}

static void on_signal(struct watch *w, uint32_t events)
{
	struct trace *t = w->ctx;
	struct signalfd_siginfo si;

	CHECK_INT(events, EPOLLIN);
	t->nonblock[0] = !!(fcntl(w->fd, F_GETFL) & O_NONBLOCK);
	CHECK_INT(sigfd_read(w->fd, &si), 1);
	loop_exit(&t->loop, 7);
}

static void plain_watches_never_go_direct(void)
{
	static struct trace t;
	sigset_t usr1 = blocked(SIGUSR1, 0);

	CHECK_INT(loop_init_signals(&t.loop, &t.sig, &usr1, on_signal, &t), 0);
	raise(SIGUSR1);
	CHECK_INT(loop_run(&t.loop), 7);
	CHECK_INT(t.nonblock[0], 1);
	close(t.sig.fd);
	close(t.loop.epfd);
}

int main(void)
{
	RUN(direct_while_alone);
	RUN(one_read_per_batch);
	RUN(plain_watches_never_go_direct);
	UNIT_DONE();
}
