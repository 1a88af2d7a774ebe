/* The virtiofs placeholder (PLACEHOLDER.md): listens on a socket so the
 * host can find it, learns which process is virtiofsd (a pidfd registered
 * through that socket, or the first root child), and exits with
 * virtiofsd's status as soon as virtiofsd exits. */
#include "placeholder.h"
#include "buf.h"
#include "caps.h"
#include "fd.h"
#include "fdpass.h"
#include "log.h"
#include "pidfd.h"
#include "proc.h"
#include "sig.h"
#include "sock.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* Connections held open at once; more are accepted and closed at once
 * (the peer has its SO_PEERCRED answer from connect already). */
#define MAX_CONNS 64

struct ph {
	const struct config *cfg;
	struct loop loop;
	struct watch sigw, lsn, vfsw;	/* vfsw.fd: registered pidfd or -1 */
	struct watch conns[MAX_CONNS];	/* fd -1: free slot */
	struct grace grace;
	pid_t self;
	pid_t vfs;		/* virtiofsd's pid, 0 while unknown */
	int spare;		/* given up to accept-and-close on EMFILE */
	int stopping;
};

static void finish(struct ph *p, pid_t pid, int code)
{
	log_info("virtiofsd (pid %d) exited with code %d", pid, code);
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
}

/* grace's send(): the placeholder runs without CAP_KILL, so a root
 * virtiofsd refuses our signals; then exiting is the only stop left (as
 * PID 1, the kernel kills the rest of the namespace). */
static int send_vfs(int sig, void *ctx)
{
	struct ph *p = ctx;
	char name[16];
	int rc = p->vfsw.fd >= 0 ? pidfd_signal(p->vfsw.fd, sig) : kill(p->vfs, sig);

	if (rc < 0 && errno == EPERM) {
		log_error("sending %s to virtiofsd (pid %d): %m; exiting instead",
			  sig_name(sig, name), p->vfs);
		loop_exit(&p->loop, 128 + sig);
	} else if (rc < 0 && errno != ESRCH) {
		log_warn("sending %s to virtiofsd (pid %d): %m", sig_name(sig, name), p->vfs);
	}
	return rc;
}

struct scan {
	pid_t self;
	pid_t found;
};

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
	if (!p->vfs && dir_each("/proc", root_child, &s) == 0)
		p->vfs = s.found;
	if (!p->vfs) {
		log_info("stopping: no virtiofsd yet, exiting");
		return loop_exit(&p->loop, 0);
	}
	log_info("stopping: forwarding the signal to virtiofsd (pid %d)", p->vfs);
	if (send_vfs(sig, p) == 0 || errno == ESRCH)
		grace_start(&p->grace, p->cfg->grace_ms);
}

static void on_signals(struct watch *w, uint32_t events)
{
	struct ph *p = w->ctx;
	struct signalfd_siginfo si;

	(void)events;
	while (sigfd_read(w->fd, &si) > 0) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			stop(p, si.ssi_signo);
	}
	reap(p);
}

/* The registered virtiofsd is gone and was not our child (not PID 1, a
 * shared PID namespace): its real parent reaped it, and the kernel keeps
 * the status for pidfd holders (6.15+). */
static void on_vfs_gone(struct watch *w, uint32_t events)
{
	struct ph *p = w->ctx;
	int st;

	(void)events;
	if (pidfd_wait_status(w->fd, &st) == 0)
		return finish(p, p->vfs, exit_code_of(st));
	log_warn("virtiofsd (pid %d) is gone; its status is unknown: %m", p->vfs);
	finish(p, p->vfs, 1);
}

static void reply(int fd, const char *word, pid_t pid)
{
	char text[32];
	struct buf b = BUF_INIT(text);

	buf_printf(&b, "%s %d\n", word, (int)pid);
	if (send(fd, b.p, b.len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_warn("answering a registration: %m");
}

static void register_vfs(struct ph *p, int conn, int pfd)
{
	pid_t pid = pidfd_pid(pfd);

	if (pid <= 0 || p->vfsw.fd >= 0) {
		if (pid <= 0)
			log_warn("registration refused: %s",
				 pid == 0 ? "not in this PID namespace" : "not a live process");
		reply(conn, pid <= 0 ? "ERR" : "BUSY", pid <= 0 ? 0 : p->vfs);
		close(pfd);
		return;
	}
	p->vfs = pid;
	p->vfsw.fd = pfd;
	if (loop_add(&p->loop, &p->vfsw, 0) < 0)
		log_warn("watching virtiofsd's pidfd: %m");
	log_info("virtiofsd registered: pid %d", pid);
	reply(conn, "OK", pid);
	if (p->stopping && send_vfs(p->stopping, p) == 0)
		grace_start(&p->grace, p->cfg->grace_ms);
}

static void on_conn(struct watch *w, uint32_t events)
{
	struct ph *p = w->ctx;
	char data[64];
	int pfd;
	ssize_t n = fd_recv(w->fd, data, sizeof(data), &pfd);

	if (n > 0 && pfd >= 0)
		return register_vfs(p, w->fd, pfd);
	if (n > 0 || (n < 0 && errno == EAGAIN && !(events & (EPOLLHUP | EPOLLERR))))
		return;
	loop_del(&p->loop, w);
	close(w->fd);
	w->fd = -1;
}

static void hold(struct ph *p, int fd)
{
	for (int i = 0; i < MAX_CONNS; i++) {
		struct watch *w = &p->conns[i];

		if (w->fd >= 0)
			continue;
		w->fd = fd;
		if (loop_add(&p->loop, w, EPOLLIN | EPOLLRDHUP) == 0)
			return;
		w->fd = -1;
		break;
	}
	close(fd);
}

static void on_accept(struct watch *w, uint32_t events)
{
	struct ph *p = w->ctx;
	int fd;

	(void)events;
	for (;;) {
		fd = accept4(w->fd, 0, 0, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			hold(p, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
			continue;
		if (errno == EAGAIN)
			return;
		log_warn("accept: %m");
		/* Out of fds: free one to take the connection off the queue,
		 * else the level-triggered listener would spin. */
		if ((errno == EMFILE || errno == ENFILE) && p->spare >= 0) {
			close(p->spare);
			fd = accept4(w->fd, 0, 0, SOCK_CLOEXEC);
			if (fd >= 0)
				close(fd);
			p->spare = open("/", O_PATH | O_CLOEXEC);
			continue;
		}
		return;
	}
}

static int drop_privileges(void)
{
	if (no_new_privs() < 0) {
		log_error("prctl PR_SET_NO_NEW_PRIVS: %m");
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
	p->lsn.fd = unix_listen(path, SOCK_STREAM, 128);
	if (p->lsn.fd >= 0)
		return 0;
	if (errno == EEXIST)
		log_error("listen %s: not a socket, refusing to replace it", path);
	else if (errno == EADDRINUSE)
		log_error("listen %s: another process listens there", path);
	else
		log_error("listen %s: %m", path);
	return -1;
}

static int setup(struct ph *p)
{
	p->self = getpid();
	p->vfsw.fd = -1;
	p->lsn.fn = on_accept;
	p->vfsw.fn = on_vfs_gone;
	p->lsn.ctx = p->vfsw.ctx = p;
	for (int i = 0; i < MAX_CONNS; i++)
		p->conns[i] = (struct watch){ -1, on_conn, p };
	if (fd_close_from(3) < 0)
		log_warn("closing inherited fds: %m");
	if (drop_privileges() < 0 || listen_on(p, p->cfg->socket) < 0)
		return -1;
	if (chdir("/") < 0)
		log_warn("chdir /: %m");
	p->spare = open("/", O_PATH | O_CLOEXEC);
	if (loop_init_signals(&p->loop, &p->sigw, 0, on_signals, p) < 0 ||
	    loop_add(&p->loop, &p->lsn, EPOLLIN) < 0 ||
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
	if (setup(&p) < 0)
		return EXIT_SETUP;
	log_info("placeholder listening on %s as uid %d (pid %d)", cfg->socket,
		 (int)getuid(), p.self);
	reap(&p);
	code = loop_run(&p.loop);
	if (code >= 0)
		return code;
	log_error("event loop: %m");
	return EXIT_SETUP;
}
