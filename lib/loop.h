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

typedef void signals_fn(void *ctx, const struct signalfd_siginfo *si, int n);

struct loop {
	int epfd;
	int done;
	int exit_code;
	int err;		/* why loop_run fails: a signal read failed */
	int nwatch;		/* watches in the epoll set */
	struct watch sigs;	/* loop_init_signal_batches' signalfd */
	signals_fn *on_sigs;
	void *sigs_ctx;
	int blocking;		/* sigs is read directly (see below) */
};

int loop_init(struct loop *l);
/* loop_init plus w: a signalfd over mask (NULL: every signal) calling
 * fn(w) with w->ctx = ctx, already in the loop. */
int loop_init_signals(struct loop *l, struct watch *w, const sigset_t *mask,
		      watch_fn *fn, void *ctx);
/* loop_init plus a signalfd over mask (NULL: every signal) whose signals
 * the loop reads itself and hands over: fn(ctx, si, n) per read, n >= 1.
 * How it waits for them is the loop's own business: while the signalfd is
 * its only watch, loop_run reads it directly (blocking), because over one
 * fd epoll_wait has nothing to choose and would add a system call to
 * every signal (PID 1's signal forwarding is measured against catatonit);
 * once another watch is added, it waits in epoll_wait again.  A failed
 * read ends loop_run with -1. */
int loop_init_signal_batches(struct loop *l, const sigset_t *mask,
			     signals_fn *fn, void *ctx);
int loop_add(struct loop *l, struct watch *w, uint32_t events);
/* A watch removed while a round of events is being dispatched may still
 * be called in that round: keep its memory valid, set w->fd to -1 when
 * closing it, and have its fn return at once on a negative fd. */
int loop_del(struct loop *l, struct watch *w);
/* Removes w and closes its fd, which becomes -1; nothing when it is
 * already -1. */
void loop_close(struct loop *l, struct watch *w);
/* Runs until loop_exit() is called; returns the code given there, or -1
 * (errno set) if waiting or reading the signals fails. */
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

/* A listener taken out of the loop for a while, put back by a timer of
 * its own: out of fds, its pending connections cannot be taken, and a
 * level-triggered fd that cannot be drained would spin.  back(ctx, rc)
 * is called when the time is up: rc 0, the listener is back; -1 (errno),
 * it could not be put back. */
struct rest {
	struct watch timer;
	struct loop *loop;
	struct watch *lsn;
	int on;			/* lsn is out of the loop */
	void (*back)(void *ctx, int rc);
	void *ctx;
};

/* Opens the timer and adds it to the loop: 0, or -1 with errno. */
int rest_init(struct rest *r, struct loop *l, struct watch *lsn,
	      void (*back)(void *ctx, int rc), void *ctx);
/* Takes lsn out of the loop for ms (nothing if it rests already): 0, or
 * -1 with errno. */
int rest_start(struct rest *r, long ms);

#endif
