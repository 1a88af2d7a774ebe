/* Unit tests of lib/loop's direct mode: a watch that is the loop's only
 * one is read without epoll, and goes back to epoll when another joins. */
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
	uint32_t events[4];
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

/* 1st call (alone): brings in a timer; 2nd (with the timer): waits for
 * it to leave; 3rd (alone again): ends the loop. */
static void on_signal(struct watch *w, uint32_t events)
{
	struct trace *t = w->ctx;
	struct signalfd_siginfo si;

	if (t->calls < 4) {
		t->events[t->calls] = events;
		t->nonblock[t->calls] = !!(fcntl(w->fd, F_GETFL) & O_NONBLOCK);
	}
	CHECK_INT(sigfd_read(w->fd, &si), 1);
	CHECK_INT(si.ssi_signo, SIGUSR1);
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

static void direct_while_alone(void)
{
	struct trace t = { .calls = 0 };
	sigset_t usr1;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	CHECK_INT(sigprocmask(SIG_BLOCK, &usr1, 0), 0);
	CHECK_INT(loop_init_signals(&t.loop, &t.sig, &usr1, on_signal, &t), 0);
	t.timer.fd = timer_open();
	t.timer.fn = on_timer;
	t.timer.ctx = &t;
	loop_set_direct(&t.loop, &t.sig);
	raise(SIGUSR1);
	CHECK_INT(loop_run(&t.loop), 7);
	CHECK_INT(t.calls, 3);
	CHECK_INT(t.events[0], LOOP_DIRECT);
	CHECK_INT(t.nonblock[0], 0);
	CHECK_INT(t.events[1], EPOLLIN);
	CHECK_INT(t.nonblock[1], 1);
	CHECK_INT(t.events[2], LOOP_DIRECT);
	CHECK_INT(t.nonblock[2], 0);
	close(t.timer.fd);
	close(t.sig.fd);
	close(t.loop.epfd);
}

static void no_direct_without_asking(void)
{
	struct trace t = { .calls = 2 };
	sigset_t usr1;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	CHECK_INT(loop_init_signals(&t.loop, &t.sig, &usr1, on_signal, &t), 0);
	raise(SIGUSR1);
	CHECK_INT(loop_run(&t.loop), 7);
	CHECK_INT(t.events[2], EPOLLIN);
	CHECK_INT(t.nonblock[2], 1);
	close(t.sig.fd);
	close(t.loop.epfd);
}

int main(void)
{
	RUN(direct_while_alone);
	RUN(no_direct_without_asking);
	UNIT_DONE();
}
