/* The one event loop: every wait of every role is an fd here (signalfd,
 * timerfd, inotify, pidfd, sockets).  No timeouts: epoll_wait blocks until
 * an fd is ready, so an idle process never wakes. */
#ifndef TETHER_LOOP_H
#define TETHER_LOOP_H

#include <signal.h>
#include <stdint.h>
#include <sys/signalfd.h>

struct watch;
typedef void watch_fn(struct watch *w, uint32_t events);

struct watch {
	int fd;
	watch_fn *fn;
	void *ctx;
};

struct loop {
	int epfd;
	int done;
	int exit_code;
	int nwatch;		/* watches in the epoll set */
	struct watch *direct;	/* see loop_set_direct */
	int blocking;		/* direct is out of epoll, its fd blocking */
};

/* The events a direct watch's fn is given when it is the loop's only
 * watch: its fd is blocking, and its first read is the loop's wait. */
#define LOOP_DIRECT 0x80000000u

int loop_init(struct loop *l);
/* loop_init plus w: a signalfd over mask (NULL: every signal) calling
 * fn(w) with w->ctx = ctx, already in the loop. */
int loop_init_signals(struct loop *l, struct watch *w, const sigset_t *mask,
		      watch_fn *fn, void *ctx);
int loop_add(struct loop *l, struct watch *w, uint32_t events);
/* While w (added with EPOLLIN, and never deleted) is the loop's only
 * watch, loop_run calls w->fn(w, LOOP_DIRECT) with w->fd switched to
 * blocking instead of going through epoll_wait: over one fd epoll_wait
 * has nothing to choose and only adds a system call to every event.  The
 * fn then reads once (that read is the wait) and returns; as soon as a
 * second watch is added the loop waits in epoll_wait again, with w->fd
 * non-blocking. */
void loop_set_direct(struct loop *l, struct watch *w);
/* A watch removed while a round of events is being dispatched may still
 * be called in that round: keep its memory valid, set w->fd to -1 when
 * closing it, and have its fn return at once on a negative fd. */
int loop_del(struct loop *l, struct watch *w);
/* Runs until loop_exit() is called; returns the code given there, or -1
 * (errno set) if epoll_wait (or switching a direct watch's fd) fails. */
int loop_run(struct loop *l);
void loop_exit(struct loop *l, int code);

/* signalfd over `mask`, non-blocking and close-on-exec. */
int sigfd_open(const sigset_t *mask);
/* 1: one signal read into *si; 0: none left; -1: error. */
int sigfd_read(int fd, struct signalfd_siginfo *si);
/* Up to max signals in one read: how many (0: none left), or -1.  Fewer
 * than max means the queue is empty, which saves a read per wakeup. */
int sigfd_read_batch(int fd, struct signalfd_siginfo *si, int max);

/* timerfd on CLOCK_MONOTONIC, non-blocking and close-on-exec. */
int timer_open(void);
/* One shot after ms milliseconds (ms <= 0 disarms). */
int timer_arm(int fd, long ms);
/* Consumes an expiry so the fd stops being readable. */
void timer_ack(int fd);
/* CLOCK_MONOTONIC in milliseconds (the system call: no vDSO lookup code). */
long clock_ms(void);

#endif
