/* The placeholder (init/PLACEHOLDER.md), spoken to in its protocol
 * (lib/vfsreg.h): a reservation before any of the container's code runs,
 * then the program's pidfd and a stop channel, over one connection.
 *
 * With --target-socket the connection is the one the target was found
 * by, and the name its listener bound must be the name given (a hard link
 * of another placeholder's socket has that one's name).  With --pid, a
 * target that listens on exactly one Unix stream socket is taken for a
 * placeholder: that socket's path (getsockname on a copy taken with
 * pidfd_getfd) is opened inside the target's root and connected to only
 * if its listener is the target itself.  Either way the placeholder must
 * then answer RESERVE as one. */
#include "enter.h"
#include "buf.h"
#include "fd.h"
#include "fdpass.h"
#include "log.h"
#include "pidfd.h"
#include "sock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

/* Descriptors of the target looked at, at most. */
#define SCAN_MAX 1024

struct scan {
	const struct target *t;
	int fddir;
	int seen;
	int count;		/* listening Unix stream sockets */
	int found;		/* our copy of the first one */
	int err;		/* why a copy could not be had */
};

static int sockopt(int fd, int opt)
{
	int v = -1;
	socklen_t len = sizeof(v);

	return getsockopt(fd, SOL_SOCKET, opt, &v, &len) < 0 ? -1 : v;
}

static int one_fd(const char *name, void *ctx)
{
	struct scan *s = ctx;
	char link[32];
	ssize_t n;
	long num;
	int fd;

	if (s->seen++ >= SCAN_MAX || parse_long(name, 0, 1 << 30, &num))
		return 0;
	n = readlinkat(s->fddir, name, link, sizeof(link) - 1);
	if (n < 7 || memcmp(link, "socket:", 7))
		return 0;
	if ((fd = pidfd_dup(s->t->pidfd, num)) < 0) {
		s->err = errno;
		return 0;
	}
	if (sockopt(fd, SO_DOMAIN) == AF_UNIX && sockopt(fd, SO_TYPE) == SOCK_STREAM &&
	    sockopt(fd, SO_ACCEPTCONN) == 1 && s->count++ == 0) {
		s->found = fd;
		return 0;
	}
	close(fd);
	return 0;
}

/* The path the target bound its listener to, or -1 (logged). */
static int listener_path(struct target *t, char *path, size_t len)
{
	struct scan s = { t, -1, 0, 0, -1, 0 };
	struct sockaddr_un sa;
	socklen_t salen = sizeof(sa);
	size_t n;

	if ((s.fddir = openat(t->piddir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    dir_each_at(s.fddir, one_fd, &s) < 0)
		s.err = errno;
	if (s.fddir >= 0)
		close(s.fddir);
	if (s.count != 1) {
		if (s.found >= 0)
			close(s.found);
		errno = s.err;
		if (s.count == 0 && s.err)
			log_info("target pid %d: its sockets cannot be looked at (%m): no registration", t->pid);
		else
			log_info("target pid %d listens on %d Unix stream sockets, not one: no placeholder, no registration",
				 t->pid, s.count);
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	if (getsockname(s.found, (struct sockaddr *)&sa, &salen) < 0)
		salen = 0;
	close(s.found);
	n = salen > offsetof(struct sockaddr_un, sun_path) ? salen - offsetof(struct sockaddr_un, sun_path) : 0;
	if (n == 0 || sa.sun_path[0] != '/' || n >= len) {
		log_info("target pid %d: its listening socket has no absolute path: no registration", t->pid);
		return -1;
	}
	memcpy(path, sa.sun_path, n);
	path[n] = '\0';
	return 0;
}

/* 0 if fd is a socket; -1 if not (ENOTSOCK: another kind of file). */
static int is_socket(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	if (S_ISSOCK(st.st_mode))
		return 0;
	errno = ENOTSOCK;
	return -1;
}

/* How long a failed exchange waits for the target's exit to show.  A dying
 * process closes its sockets (our peer sees a reset) before the kernel
 * marks it exited, so without this wait its going looked like a refusal. */
#define GONE_WAIT_MS 200

/* 1 (logged) if the target has exited: what failed was its going, not a
 * refusal (exit 3: not ready, retry).  Its pidfd turns readable when it
 * has exited, a zombie included. */
static int gone(const struct target *t)
{
	struct pollfd p = { .fd = t->pidfd, .events = POLLIN };
	int r = poll(&p, 1, GONE_WAIT_MS);

	if (r < 0 || !(p.revents & POLLIN)) {
		if (r < 0)
			log_warn("poll target pid %d's pidfd: %m", t->pid);
		if (pidfd_signal(t->pidfd, 0) == 0 || errno != ESRCH)
			return 0;
	}
	log_error("target pid %d exited during the launch (is the placeholder ready?)", t->pid);
	return 1;
}

/* The placeholder's socket, opened inside its root: a symlink in the
 * container cannot lead out of it, and the listener must be the target. */
static int connect_listener(struct target *t, const char *path)
{
	struct open_how how = {
		.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	char via[32];
	struct buf b = BUF_INIT(via);
	int fd = syscall(SYS_openat2, t->rootfd, path, &how, sizeof(how)), peer, err;
	pid_t pid;

	if (fd < 0 || is_socket(fd) < 0) {
		log_error("target pid %d: its socket %s in the container: %m", t->pid, path);
		if (fd >= 0)
			close(fd);
		return ENTER_TARGET;
	}
	buf_printf(&b, "/proc/self/fd/%d", fd);
	t->conn = unix_connect_within(buf_cstr(&b), SOCK_STREAM, PEER_TIMEOUT_S);
	close(fd);
	if (t->conn < 0) {
		log_error("target pid %d: connecting to its socket %s: %m", t->pid, path);
		return ENTER_TARGET;
	}
	peer = pidfd_of_peer(t->conn);
	pid = peer < 0 ? -1 : pidfd_pid(peer);
	err = errno;
	if (peer >= 0)
		close(peer);
	if (pid < 0 && err != ESRCH) {
		/* Our own call failed (ESRCH: the listener has exited, judged
		 * below): no verdict on the listener, so no refusal. */
		errno = err;
		log_error("target pid %d: the listener of its socket %s: %m", t->pid, path);
		return gone(t) ? ENTER_TARGET : ENTER_SYS;
	}
	if (pid != t->pid && gone(t))
		return ENTER_TARGET;
	if (pid != t->pid) {
		log_error("target pid %d: %s in the container is another process's socket (pid %d): refused",
			  t->pid, path, pid);
		return ENTER_REFUSED;
	}
	log_debug("target pid %d listens on %s: the program will be registered there", t->pid, path);
	return 0;
}

/* The name (last component) the placeholder bound its socket to, as the
 * kernel tells it of our connection. */
static int bound_name(int conn, char *name, size_t len)
{
	struct sockaddr_un sa;
	socklen_t salen = sizeof(sa);
	size_t n;

	memset(&sa, 0, sizeof(sa));
	if (getpeername(conn, (struct sockaddr *)&sa, &salen) < 0)
		return -1;
	n = salen > offsetof(struct sockaddr_un, sun_path) ? salen - offsetof(struct sockaddr_un, sun_path) : 0;
	if (n == 0 || n >= sizeof(sa.sun_path) || n >= len)
		return errno = EADDRNOTAVAIL, -1;
	sa.sun_path[n] = '\0';
	memcpy(name, path_base(sa.sun_path), strlen(path_base(sa.sun_path)) + 1);
	return 0;
}

/* The placeholder's socket must carry the name the caller meant: the
 * --target-socket's, or, called as virtiofs-dispatcher with --pid alone,
 * KubeVirt's naming (placeholder and virtiofsd sockets are both
 * <volume>.sock).  A hard link of another container's socket in the
 * shared directory leads to a listener bound under another name. */
static int same_name(const struct opts *o, const struct target *t)
{
	const char *want = o->target_socket ? o->target_socket : o->dispatcher ? o->socket_path : 0;
	char name[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];

	if (!want || t->conn < 0)
		return 0;
	if (bound_name(t->conn, name, sizeof(name)) < 0) {
		log_error("target pid %d: the name of its socket: %m", t->pid);
		return gone(t) ? ENTER_TARGET : ENTER_REFUSED;
	}
	if (strcmp(name, path_base(want))) {
		log_error("target pid %d listens on a socket named %s, not %s (a link to another container's socket?): refused",
			  t->pid, name, path_base(want));
		return ENTER_REFUSED;
	}
	return 0;
}

int reg_find(const struct opts *o, struct target *t)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
	int rc;

	if (t->conn < 0 && !o->no_register && listener_path(t, path, sizeof(path)) == 0 &&
	    (rc = connect_listener(t, path)) != 0)
		return rc;
	if (t->conn < 0 && o->dispatcher) {
		log_error("target pid %d has no placeholder's socket: virtiofs-dispatcher launches only into a placeholder (not ready yet?)",
			  t->pid);
		return ENTER_TARGET;
	}
	return same_name(o, t);
}

/* One answer line from the placeholder, within PEER_TIMEOUT_S; -1 with
 * errno when there is none. */
static int ask(int conn, const char *msg, const int *fds, int n, struct vfsreg_answer *a)
{
	char answer[VFSREG_MAX];
	struct timeval tv = { PEER_TIMEOUT_S, 0 };
	ssize_t len;

	if (setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    fd_send_fds(conn, msg, strlen(msg), fds, n) != (ssize_t)strlen(msg))
		return -1;
	if ((len = recv(conn, answer, sizeof(answer), 0)) <= 0)
		return errno = len == 0 ? ECONNRESET : errno, -1;
	vfsreg_parse(answer, len, a);
	return 0;
}

int reg_reserve(const struct target *t)
{
	struct vfsreg_answer a;

	if (t->conn < 0) {
		log_info("target pid %d: no placeholder, so no single-instance check: the program is started",
			 t->pid);
		return 0;
	}
	if (ask(t->conn, VFSREG_RESERVE, 0, 0, &a) < 0) {
		int err = errno;

		if (gone(t))
			return ENTER_TARGET;
		errno = err;
		if (errno == EAGAIN) {
			log_error("target pid %d does not answer within %d s (a stopped placeholder, or none; reserving: %m): not ready, nothing was run",
				  t->pid, PEER_TIMEOUT_S);
			return ENTER_TARGET;
		}
		log_error("target pid %d does not answer as a placeholder (reserving: %m): refused, nothing was run",
			  t->pid);
		return ENTER_REFUSED;
	}
	switch (a.kind) {
	case VFSREG_OK:
		log_debug("target pid %d: reserved for this launch", t->pid);
		return 0;
	case VFSREG_BUSY:
		if (a.pid > 0) {
			log_info("already running: the placeholder of pid %d has virtiofsd (pid %ld there) registered; nothing to do",
				 t->pid, a.pid);
			return RESERVE_HELD;
		}
		log_error("target pid %d: another launch into it is under way (not ready: retry)", t->pid);
		return ENTER_TARGET;
	case VFSREG_ERR:
		log_error("target pid %d: the placeholder refused the reservation: %s", t->pid, a.why);
		return strcmp(a.why, "stopping") ? ENTER_REFUSED : ENTER_TARGET;
	default:
		log_error("target pid %d does not answer as a placeholder ('%s'): refused, nothing was run",
			  t->pid, a.why);
		return ENTER_REFUSED;
	}
}

/* stop_r: a byte written to its pipe sends SIGTERM to pid, with the
 * right to signal it checked against our credentials (root), recorded
 * now.  The pidfd then confirms pid still names the program. */
static int stop_channel(int p[2], pid_t pid, int pidfd)
{
	int fl;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	if ((fl = fcntl(p[0], F_GETFL)) < 0 || fcntl(p[0], F_SETOWN, pid) < 0 ||
	    fcntl(p[0], F_SETSIG, SIGTERM) < 0 || fcntl(p[0], F_SETFL, fl | O_ASYNC | O_NONBLOCK) < 0 ||
	    pidfd_signal(pidfd, 0) < 0) {
		int err = errno;

		close(p[0]);
		close(p[1]);
		return errno = err, -1;
	}
	return 0;
}

/* 0 on "OK", else ENTER_REGISTER (logged); the caller then kills it.
 * pid is the program's, read while it ran (its pidfd no longer tells once
 * it has exited). */
int reg_register(const struct target *t, int pidfd, pid_t pid)
{
	struct vfsreg_answer a;
	int p[2] = { -1, -1 }, fds[VFSREG_NFDS], rc = -1;

	if (t->conn < 0)
		return ENTER_OK;
	if (pid > 0 && stop_channel(p, pid, pidfd) == 0) {
		fds[VFSREG_PIDFD] = pidfd, fds[VFSREG_STOP_R] = p[0], fds[VFSREG_STOP_W] = p[1];
		rc = ask(t->conn, VFSREG_REGISTER, fds, VFSREG_NFDS, &a);
		close(p[0]);
		close(p[1]);
	}
	if (rc < 0) {
		log_error("registering pid %d with the placeholder: %m", pid);
		return gone(t) ? ENTER_TARGET : ENTER_REGISTER;
	}
	if (a.kind != VFSREG_OK || a.pid <= 0) {
		log_error("the placeholder refused pid %d: '%s%s'", pid, a.kind == VFSREG_ERR ? "ERR " : "", a.why);
		return ENTER_REGISTER;
	}
	log_info("registered with the placeholder: %s", a.why);
	return ENTER_OK;
}
