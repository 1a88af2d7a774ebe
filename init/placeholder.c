/* The virtiofs placeholder (PLACEHOLDER.md): listens on a socket so the
 * host can find it, learns which process is virtiofsd (a pidfd that the
 * launch chain registers through that socket, or the first root child),
 * and exits with virtiofsd's status as soon as virtiofsd exits. */
#include "placeholder.h"
#include "buf.h"
#include "caps.h"
#include "fd.h"
#include "fdpass.h"
#include "log.h"
#include "pidfd.h"
#include "proc.h"
#include "role.h"
#include "sig.h"
#include "sock.h"
#include "vfsreg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Root connections held open at once; more are accepted and closed at once
 * (the peer has its SO_PEERCRED answer from connect already). */
#define MAX_CONNS 64
/* A connection that has said nothing for this long is closed, so that
 * silent clients cannot take every slot; tether-enter registers within
 * milliseconds of connecting. */
#define IDLE_MS 10000
/* After an accept failure that leaves the connection queued (no memory, no
 * fd to spare) the listener rests this long instead of spinning on it. */
#define REST_MS 1000
/* Connections accepted per wake-up: then the loop serves the rest (the
 * signalfd, held connections) before it accepts more, so a connect flood
 * by the container's users can delay neither a stop nor a registration. */
#define ACCEPT_BUDGET 64

struct conn {
	struct watch w;		/* first: the loop hands on_conn &w */
	long since;		/* accepted at, monotonic ms */
	pid_t peer;		/* SO_PEERCRED pid: 0 outside our PID namespace */
	int reserved;		/* holds the reservation (RESERVE answered OK 0) */
};

struct ph {
	const struct config *cfg;
	struct loop loop;
	struct watch sigw, lsn, vfsw, timer;	/* vfsw.fd: registered pidfd or -1 */
	struct rest rest;			/* the listener's (loop.h) */
	struct conn conns[MAX_CONNS];		/* fd -1: free slot */
	struct conn *reserver;			/* the launch under way, or 0 */
	struct grace grace;
	struct stat bound;	/* the socket file we made */
	pid_t self;
	pid_t vfs;		/* virtiofsd's pid, 0 while unknown */
	int stop_r, stop_w;	/* the stop channel (a pipe), -1 without */
	int spare;		/* accept_shed's, on EMFILE */
	int stopping;
};

static void finish(struct ph *p, pid_t pid, int code)
{
	log_notice("virtiofsd (pid %d) exited with code %d", pid, code);
	grace_cancel(&p->grace);
	loop_exit(&p->loop, code);
}

static void on_reaped(const siginfo_t *si, void *ctx)
{
	struct ph *p = ctx;
	int code = exit_code_of_si(si);

	/* Without a registration, the first root child is virtiofsd: the
	 * container's own processes run as 107 and tether-enter's helpers
	 * exit before virtiofsd is re-parented here. */
	if (si->si_pid == p->vfs || (!p->vfs && si->si_uid == 0))
		return finish(p, si->si_pid, code);
	log_info("reaped pid %d (uid %d, code %d): not virtiofsd",
		 si->si_pid, (int)si->si_uid, code);
}

static void reap(struct ph *p)
{
	int none_left;

	reap_all_si(on_reaped, p, &none_left);
	/* No child at all (ECHILD) while virtiofsd, ours to reap (registered
	 * while we are PID 1, which only takes a child, or found among our
	 * children at the stop), was not reaped: it cannot happen, and
	 * waiting on would be waiting forever. */
	if (none_left && p->vfs && !p->loop.done && (p->vfsw.fd < 0 || p->self == 1)) {
		errno = ECHILD;
		log_warn("waitid: %m while virtiofsd (pid %d) was not reaped: taken as gone, its status unknown",
			 p->vfs);
		finish(p, p->vfs, 1);
	}
}

/* With a stop channel the signal travels as the SIGIO of a pipe whose read
 * end tether-enter (root) made virtiofsd own: the kernel checks the right
 * to signal against the credentials recorded then, not ours.  A write
 * raises it only into an empty pipe, hence the drain. */
static int signal_by_channel(struct ph *p, int sig)
{
	char junk[64];

	while (read(p->stop_r, junk, sizeof(junk)) > 0)
		;
	if (fcntl(p->stop_r, F_SETSIG, sig) < 0 || write(p->stop_w, "", 1) != 1)
		return -1;
	return 0;
}

/* grace's send().  Without the channel, a root virtiofsd refuses the
 * signals of a placeholder without CAP_KILL; then exiting is the only stop
 * left (as PID 1, the kernel kills the rest of the namespace). */
static int send_vfs(int sig, void *ctx)
{
	struct ph *p = ctx;
	char name[16];
	int rc = p->stop_w >= 0 ? signal_by_channel(p, sig) :
		 p->vfsw.fd >= 0 ? pidfd_signal(p->vfsw.fd, sig) : kill(p->vfs, sig);

	if (rc < 0 && errno != ESRCH) {
		log_error("sending %s to virtiofsd (pid %d): %m; exiting instead",
			  sig_name(sig, name), p->vfs);
		loop_exit(&p->loop, 128 + (sig == SIGTERM && p->stopping ? p->stopping : sig));
	}
	return rc;
}

struct scan {
	pid_t self;
	pid_t found;
};

/* 1 if /proc is our PID namespace's: what it lists are our processes.  A
 * container may have the host's (or another's) mounted there. */
static int proc_is_ours(pid_t self)
{
	char link[24];
	ssize_t n = readlink("/proc/self", link, sizeof(link) - 1);
	long pid;

	if (n <= 0)
		return 0;
	link[n] = '\0';
	return !parse_long(link, 1, 1 << 30, &pid) && pid == self;
}

static int root_child(const char *name, void *ctx)
{
	struct scan *s = ctx;
	char path[32];
	struct buf b = BUF_INIT(path);
	struct stat st;
	long pid;

	if (s->found || parse_long(name, 2, 1 << 22, &pid) || proc_parent(pid) != s->self)
		return 0;
	buf_printf(&b, "/proc/%ld", pid);
	if (stat(buf_cstr(&b), &st) == 0 && st.st_uid == 0)
		s->found = pid;
	return 0;
}

static void stop(struct ph *p, int sig)
{
	struct scan s = { p->self, 0 };

	if (p->stopping)
		return;
	p->stopping = sig;
	if (!p->vfs && !proc_is_ours(p->self))
		log_warn("stopping: /proc is not this PID namespace's: no unregistered child is looked for there");
	else if (!p->vfs && dir_each("/proc", root_child, &s) == 0)
		p->vfs = s.found;
	if (!p->vfs) {
		log_info("stopping: no virtiofsd yet, exiting");
		return loop_exit(&p->loop, 0);
	}
	log_info("stopping: forwarding SIGTERM to virtiofsd (pid %d)", p->vfs);
	/* Whatever stop signal came (a container user may send SIGQUIT),
	 * virtiofsd, a root process, gets SIGTERM: never a core dump. */
	if (send_vfs(SIGTERM, p) == 0 || errno == ESRCH)
		grace_start(&p->grace, p->cfg->grace_ms);
}

static void on_signals(struct watch *w, uint32_t events)
{
	struct ph *p = w->ctx;
	struct signalfd_siginfo si;

	(void)events;
	while (sigfd_read(w->fd, &si) > 0) {
		if (sigismember(&p->cfg->stop_signals, si.ssi_signo))
			stop(p, si.ssi_signo);
	}
	reap(p);
}

/* The registered virtiofsd has exited (EPOLLIN) or been reaped (EPOLLHUP,
 * kernels 6.9+).  Our own child's status comes from reap().  One that is
 * not our child (not PID 1, a shared PID namespace) is reaped by its real
 * parent, and the kernel keeps its status for pidfd holders from 6.15;
 * before, the pidfd only turns readable and the status is lost. */
static void on_vfs_gone(struct watch *w, uint32_t events)
{
	struct ph *p = w->ctx;
	int st, err;

	if (pidfd_wait_status(w->fd, &st) == 0)
		return finish(p, p->vfs, exit_code_of(st));
	err = errno;
	if (!(events & EPOLLHUP) && (err == EAGAIN || pidfd_is_our_zombie(w->fd))) {
		/* Not reaped yet: from now on only its reaping (or reap()). */
		if (loop_del(&p->loop, w) < 0 || loop_add(&p->loop, w, 0) < 0)
			log_warn("watching virtiofsd's pidfd: %m");
		return;
	}
	errno = err;
	log_warn("virtiofsd (pid %d) is gone; its status is unknown: %m", p->vfs);
	finish(p, p->vfs, 1);
}

/* When a held connection is closed: IDLE_MS after it was accepted, or
 * VFSREG_RESERVE_MS after it reserved. */
static long deadline(const struct conn *c)
{
	return c->since + (c->reserved ? VFSREG_RESERVE_MS : IDLE_MS);
}

/* The connections' timer: the earliest deadline of a held one. */
static void rearm(struct ph *p)
{
	long next = 0, now = clock_ms();

	for (int i = 0; i < MAX_CONNS; i++)
		if (p->conns[i].w.fd >= 0 && (!next || deadline(&p->conns[i]) < next))
			next = deadline(&p->conns[i]);
	if (timer_arm(p->timer.fd, !next ? 0 : next > now ? next - now : 1) < 0)
		log_warn("timerfd_settime: %m");
}

static void drop(struct ph *p, struct conn *c)
{
	if (p->reserver == c) {
		p->reserver = 0;
		if (p->vfsw.fd < 0)
			log_info("the reservation ended with no registration");
	}
	c->reserved = 0;
	loop_close(&p->loop, &c->w);
}

static void on_timer(struct watch *w, uint32_t events)
{
	struct ph *p = w->ctx;
	long now = clock_ms();

	(void)events;
	timer_ack(w->fd);
	for (int i = 0; i < MAX_CONNS; i++)
		if (p->conns[i].w.fd >= 0 && now >= deadline(&p->conns[i])) {
			log_info("closing a connection %s for %d ms", p->conns[i].reserved ?
				 "reserved" : "idle", p->conns[i].reserved ? VFSREG_RESERVE_MS : IDLE_MS);
			drop(p, &p->conns[i]);
		}
	rearm(p);
}

/* The rest is over: the listener is back in the loop. */
static void on_rested(void *ctx, int rc)
{
	struct ph *p = ctx;

	if (p->spare < 0)
		p->spare = spare_fd();
	if (rc < 0)
		log_error("listening again: %m");
}

/* 0 once the answer is sent, -1 (said) when it could not be. */
static int reply(int fd, enum vfsreg_kind kind, long pid, const char *why)
{
	char text[VFSREG_MAX];
	size_t n = vfsreg_format(text, kind, pid, why);

	if (send(fd, text, n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		log_warn("answering a registration: %m");
		return -1;
	}
	return 0;
}

/* 1 if the pidfd's process is our child, alive or not yet reaped: the
 * kernel's answer (waitid on the pidfd), not /proc's, which need not be
 * this PID namespace's. */
static int our_child(int pfd)
{
	siginfo_t si = { 0 };

	return waitid(P_PIDFD, pfd, &si, WEXITED | WNOHANG | WNOWAIT) == 0;
}

/* Why pid may not be registered by peer, or NULL.  Only the launch chain
 * registers: root from outside our PID namespace (tether-enter on the
 * host, pid 0 here) or the process itself. */
static const char *refusal(struct ph *p, pid_t peer, int pfd, pid_t pid)
{
	if (peer != 0 && peer != pid)
		return "only the launcher or the process itself registers";
	if (pid <= 0)
		return pid == 0 ? "not in this PID namespace" : "not a live process";
	if (pid == 1 || pid == p->self)
		return "pid 1 and the placeholder are not virtiofsd";
	/* The pidfd still names pid after /proc was read: it was that process. */
	if (p->self == 1 && !our_child(pfd))
		return "not a child of the placeholder";
	return 0;
}

/* The stop channel [stop_r, stop_w]: one pipe whose read end signals pid
 * (O_ASYNC, F_SETOWN), as tether-enter sets it up.  Both ends are made
 * non-blocking: PID 1 never blocks on a pipe.  -1 with the reason in why:
 * the call and its errno when the kernel refused one. */
static int bad_channel(int r, int w, pid_t pid, struct buf *why)
{
	struct stat a, b;
	int fr, fw;

	if (fstat(r, &a) < 0 || fstat(w, &b) < 0) {
		buf_printf(why, "fstat: %m");
		return -1;
	}
	if ((fr = fcntl(r, F_GETFL)) < 0 || (fw = fcntl(w, F_GETFL)) < 0) {
		buf_printf(why, "fcntl F_GETFL: %m");
		return -1;
	}
	if (!S_ISFIFO(a.st_mode) || a.st_ino != b.st_ino || a.st_dev != b.st_dev ||
	    (fr & O_ACCMODE) != O_RDONLY || (fw & O_ACCMODE) != O_WRONLY) {
		buf_printf(why, "not the two ends of one pipe");
		return -1;
	}
	errno = 0;
	if (!(fr & O_ASYNC) || fcntl(r, F_GETOWN) != pid) {
		buf_printf(why, errno ? "fcntl F_GETOWN: %m" : "its read end does not signal virtiofsd");
		return -1;
	}
	if (fcntl(r, F_SETFL, fr | O_NONBLOCK) < 0 || fcntl(w, F_SETFL, fw | O_NONBLOCK) < 0) {
		buf_printf(why, "fcntl F_SETFL: %m");
		return -1;
	}
	return 0;
}

static void adopt(struct ph *p, struct conn *c, int *fds, int n, pid_t pid)
{
	char text[96];
	struct buf why = BUF_INIT(text);

	if (n == 3 && bad_channel(fds[1], fds[2], pid, &why) < 0) {
		/* Dropped, it must signal nobody when its last copy is closed. */
		log_warn("the stop channel for pid %d is ignored: %s", pid, buf_cstr(&why));
		fcntl(fds[1], F_SETFL, O_NONBLOCK);
		close(fds[1]);
		close(fds[2]);
		n = 1;
	}
	/* Answered first: a launcher that hears no OK kills its program, which
	 * must then not be ours to end the container with. */
	if (reply(c->w.fd, VFSREG_OK, pid, 0) < 0) {
		log_warn("registration of pid %d dropped: its OK could not be sent", pid);
		while (n > 0)
			close(fds[--n]);
		return;
	}
	p->vfs = pid;
	p->vfsw.fd = fds[0];
	p->stop_r = n == 3 ? fds[1] : -1;
	p->stop_w = n == 3 ? fds[2] : -1;
	/* EPOLLIN too: before 6.9 a pidfd never reports EPOLLHUP. */
	if (loop_add(&p->loop, &p->vfsw, EPOLLIN) < 0)
		log_warn("watching virtiofsd's pidfd: %m");
	log_info("virtiofsd registered: pid %d, %s stop channel", pid, n == 3 ? "with a" : "no");
	if (p->stopping && send_vfs(SIGTERM, p) == 0)
		grace_start(&p->grace, p->cfg->grace_ms);
}

/* RESERVE: the launch that holds it is the only one that may register
 * (vfsreg.h).  1 if the connection is to stay open for its REGISTER. */
static int on_reserve(struct ph *p, struct conn *c)
{
	const char *why = c->peer != 0 ? "only the launcher reserves" :
			  p->stopping ? "stopping" : 0;

	if (why) {
		reply(c->w.fd, VFSREG_ERR, 0, why);
		log_warn("reservation by pid %d refused: %s", c->peer, why);
		return 0;
	}
	if (p->vfsw.fd >= 0 || p->reserver) {
		reply(c->w.fd, VFSREG_BUSY, p->vfsw.fd >= 0 ? p->vfs : 0, 0);
		log_info("reservation refused: %s", p->vfsw.fd >= 0 ? "virtiofsd is registered" :
			 "another launch holds it");
		return 0;
	}
	p->reserver = c;
	c->reserved = 1;
	c->since = clock_ms();
	rearm(p);
	reply(c->w.fd, VFSREG_OK, 0, 0);
	log_info("reserved for a launch");
	return 1;
}

/* REGISTER with [pidfd] or [pidfd, stop_r, stop_w]. */
static void on_register(struct ph *p, struct conn *c, int *fds, int n)
{
	pid_t pid = pidfd_pid(fds[VFSREG_PIDFD]);
	const char *why;

	/* ESRCH: the process has ended; any other errno is ours to say. */
	if (pid < 0 && errno != ESRCH)
		log_warn("reading the pid of a registration's pidfd: %m");
	why = refusal(p, c->peer, fds[VFSREG_PIDFD], pid);

	if (!why && p->vfsw.fd < 0 && (!p->reserver || p->reserver == c))
		return adopt(p, c, fds, n, pid);
	if (!why) {
		reply(c->w.fd, VFSREG_BUSY, p->vfsw.fd >= 0 ? p->vfs : 0, 0);
		why = p->vfsw.fd >= 0 ? "virtiofsd is registered already" : "another launch holds the reservation";
	} else {
		reply(c->w.fd, VFSREG_ERR, 0, why);
	}
	log_warn("registration of pid %d by pid %d refused: %s", pid, c->peer, why);
	while (n > 0)
		close(fds[--n]);
}

/* One request per connection, but for RESERVE, which keeps it open for
 * the REGISTER that follows.  1 if the connection is to stay open. */
static int on_message(struct ph *p, struct conn *c, const char *data, ssize_t len,
		      int *fds, int n)
{
	enum vfsreg_req req = vfsreg_request(data, len, n);

	if (c->reserved && req == VFSREG_REQ_RESERVE)
		req = VFSREG_BAD;	/* one reservation per connection */
	switch (req) {
	case VFSREG_REQ_RESERVE:
		return on_reserve(p, c);
	case VFSREG_REQ_REGISTER:
		on_register(p, c, fds, n);
		return 0;
	default:
		reply(c->w.fd, VFSREG_ERR, 0, "bad message");
		log_warn("a message from pid %d refused: bad message", c->peer);
		while (n > 0)
			close(fds[--n]);
		return 0;
	}
}

static void on_conn(struct watch *w, uint32_t events)
{
	struct ph *p = w->ctx;
	char data[VFSREG_MAX];
	int fds[FDPASS_MAX], n;
	ssize_t len;

	if (w->fd < 0)
		return;
	len = fd_recv_fds(w->fd, data, sizeof(data), fds, FDPASS_MAX, &n);
	if (len < 0 && errno == EAGAIN && !(events & (EPOLLHUP | EPOLLERR)))
		return;
	if (len > 0 && on_message(p, (struct conn *)w, data, len, fds, n))
		return;
	drop(p, (struct conn *)w);
}

/* Only root may register, so only root peers are held; any other has its
 * answer (our pid, from connect) already. */
static void hold(struct ph *p, int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 && cr.uid == 0)
		for (int i = 0; i < MAX_CONNS; i++) {
			struct conn *c = &p->conns[i];

			if (c->w.fd >= 0)
				continue;
			c->w.fd = fd;
			c->peer = cr.pid;
			c->since = clock_ms();
			if (loop_add(&p->loop, &c->w, EPOLLIN | EPOLLRDHUP) == 0)
				return rearm(p);
			c->w.fd = -1;
			break;
		}
	close(fd);
}

/* The connection stays queued and the level-triggered listener readable:
 * it leaves the loop until the timer brings it back. */
static void rest(struct ph *p)
{
	log_warn("accept: %m; resting for %d ms", REST_MS);
	if (rest_start(&p->rest, REST_MS) < 0)
		log_error("resting the listener: %m");
}

static void on_accept(struct watch *w, uint32_t events)
{
	struct ph *p = w->ctx;
	int fd;

	(void)events;
	for (int budget = ACCEPT_BUDGET; budget > 0; budget--) {
		fd = accept4(w->fd, 0, 0, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			hold(p, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
			continue;
		if (errno == EAGAIN)
			return;
		if ((errno != EMFILE && errno != ENFILE) || p->spare < 0)
			return rest(p);
		log_warn("accept: %m; closing the connection at once");
		if (accept_shed(w->fd, &p->spare) < 0)
			return rest(p);
	}
}

/* Not dumpable: a process of the container with our uid can then neither
 * ptrace us nor take our fds (pidfd_getfd), so the stop channel stays
 * ours; /proc/<pid>/ entries other than stat/status become root's. */
static int drop_privileges(void)
{
	if (prctl(PR_SET_DUMPABLE, 0) < 0 || no_new_privs() < 0) {
		log_error("prctl: %m");
		return -1;
	}
	if (caps_limit(0) < 0) {
		log_error("dropping capabilities: %m");
		return -1;
	}
	return become_reaper();
}

static int listen_on(struct ph *p, const char *path)
{
	p->lsn.fd = unix_listen_logged(path, SOCK_STREAM, 128);
	if (p->lsn.fd < 0)
		return -1;
	/* The file's identity, for unlisten: without it the socket could
	 * never be removed, so it is a set-up failure (the file we bound a
	 * moment ago is removed, as unix_listen does when listen fails). */
	if (lstat(path, &p->bound) < 0) {
		log_error("lstat %s: %m", path);
		p->bound.st_ino = 0;
		if (unlink(path) < 0)
			log_warn("unlink %s: %m", path);
		return -1;
	}
	return 0;
}

/* Removes the socket, unless the path names another file by now. */
static void unlisten(struct ph *p, const char *path)
{
	struct stat st;

	if (!p->bound.st_ino)
		return;
	if (lstat(path, &st) < 0) {
		if (errno != ENOENT)
			log_warn("lstat %s: %m; the socket is left there", path);
		return;
	}
	if (st.st_ino == p->bound.st_ino && st.st_dev == p->bound.st_dev && unlink(path) < 0)
		log_warn("unlink %s: %m", path);
}

static int setup(struct ph *p)
{
	p->self = getpid();
	p->vfsw.fd = p->stop_r = p->stop_w = -1;
	p->lsn.fn = on_accept;
	p->vfsw.fn = on_vfs_gone;
	p->timer.fn = on_timer;
	p->lsn.ctx = p->vfsw.ctx = p->timer.ctx = p;
	for (int i = 0; i < MAX_CONNS; i++)
		p->conns[i].w = (struct watch){ -1, on_conn, p };
	/* It starts no child that would inherit them; --socket is absolute. */
	drop_inherited();
	if (drop_privileges() < 0 || listen_on(p, p->cfg->socket) < 0)
		return -1;
	p->spare = spare_fd();
	if (loop_init_signals(&p->loop, &p->sigw, 0, on_signals, p) < 0 ||
	    loop_add(&p->loop, &p->lsn, EPOLLIN) < 0 ||
	    (p->timer.fd = timer_open()) < 0 || loop_add(&p->loop, &p->timer, EPOLLIN) < 0 ||
	    rest_init(&p->rest, &p->loop, &p->lsn, on_rested, p) < 0 ||
	    grace_init(&p->grace, &p->loop, send_vfs, p) < 0) {
		log_error("setting up the event loop: %m");
		return -1;
	}
	return 0;
}

int run_placeholder(const struct config *cfg)
{
	static struct ph p;
	int code;

	p.cfg = cfg;
	if (setup(&p) < 0) {
		unlisten(&p, cfg->socket);
		return EXIT_SETUP;
	}
	log_notice("placeholder listening on %s as uid %d (pid %d)", cfg->socket,
		   (int)getuid(), p.self);
	reap(&p);
	code = role_run_loop(&p.loop, EXIT_SETUP);
	unlisten(&p, cfg->socket);
	return code;
}
