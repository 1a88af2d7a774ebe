#include "proc.h"
#include "log.h"

#include <sys/epoll.h>
#include <unistd.h>

#define KILL_REPEAT_MS 1000

static void expired(struct watch *w, uint32_t events)
{
	struct grace *g = w->ctx;

	(void)events;
	timer_ack(w->fd);
	if (!g->armed)
		return;
	if (!g->killed)
		log_info("grace period over, sending SIGKILL");
	g->killed = 1;
	if (g->send(SIGKILL, g->ctx) < 0)
		log_warn("sending SIGKILL: %m");
	if (timer_arm(w->fd, KILL_REPEAT_MS) < 0)
		log_warn("timerfd_settime: %m");
}

int grace_init(struct grace *g, struct loop *l, int (*send)(int, void *),
	       void *ctx)
{
	g->send = send;
	g->ctx = ctx;
	g->armed = g->killed = 0;
	g->w.ctx = g;
	g->w.fn = expired;
	g->loop = l;
	g->w.fd = timer_open();
	return g->w.fd < 0 ? -1 : 0;
}

/* The timer is in the loop only while armed: an idle grace costs the loop
 * nothing (loop.h: a loop with nothing but its signals waits cheapest). */
void grace_start(struct grace *g, long ms)
{
	if (g->armed)
		return;
	g->armed = 1;
	if (loop_add(g->loop, &g->w, EPOLLIN) < 0) {
		log_warn("watching the grace timer: %m; no grace period");
		ms = 0;
	}
	if (ms <= 0 || timer_arm(g->w.fd, ms) < 0)
		expired(&g->w, 0);
}

void grace_cancel(struct grace *g)
{
	if (!g->armed)
		return;
	g->armed = 0;
	timer_arm(g->w.fd, 0);
	loop_del(g->loop, &g->w);
}

int grace_send_tree(int sig, void *ctx)
{
	(void)ctx;
	return tree_signal(sig);
}

int grace_send_pid(int sig, void *ctx)
{
	return kill(*(pid_t *)ctx, sig);
}
