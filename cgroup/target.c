/* The target: found, pinned by a pidfd, read once; its stdio and the lock. */
#include "enter.h"
#include "buf.h"
#include "fd.h"
#include "log.h"
#include "pidfd.h"
#include "sock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

const char *const ns_names[NNS] = { "cgroup", "ipc", "mnt", "net", "pid", "uts" };
const int ns_flags[NNS] = {
	CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWPID,
	CLONE_NEWUTS,
};

int target_open(const struct opts *o, struct target *t)
{
	t->conn = -1;
	if (o->pid) {
		t->pid = o->pid;
		if ((t->pidfd = pidfd_open_pid(o->pid)) < 0) {
			log_error("target pid %d: %m", o->pid);
			return -1;
		}
		return 0;
	}
	/* The placeholder's socket: connected (any path length), its peer
	 * is the target; the connection stays open to register virtiofsd.
	 * Bounded: a stopped or wedged placeholder never accepts, and once
	 * its queue is full a plain connect would wait for ever. */
	if ((t->conn = unix_connect_within(o->target_socket, SOCK_STREAM, PEER_TIMEOUT_S)) < 0) {
		if (errno == EAGAIN)
			log_error("target socket %s: the placeholder accepts no connection (its queue stayed full for %d s): %m",
				  o->target_socket, PEER_TIMEOUT_S);
		else
			log_error("target socket %s: %m (is the placeholder ready?)", o->target_socket);
		return -1;
	}
	if ((t->pidfd = pidfd_of_peer(t->conn)) < 0 || (t->pid = pidfd_pid(t->pidfd)) <= 0) {
		log_error("target socket %s: no peer process: %m", o->target_socket);
		return -1;
	}
	return 0;
}

static ino_t ns_ino(int dirfd, const char *path)
{
	struct stat st;

	return fstatat(dirfd, path, &st, 0) < 0 ? 0 : st.st_ino;
}

/* Opens the target's namespaces (the fallback of setns on the pidfd);
 * -1 where it shares ours: nothing to join.  Refuses a target on the
 * host: same mount and PID namespaces as ours. */
static int read_ns(struct target *t, int piddir)
{
	char path[16];
	int same = 0;

	for (int i = 0; i < NNS; i++) {
		char self[24];
		struct buf b = BUF_INIT(path), s = BUF_INIT(self);
		ino_t theirs, ours;

		buf_printf(&b, "ns/%s", ns_names[i]);
		buf_printf(&s, "self/ns/%s", ns_names[i]);
		theirs = ns_ino(piddir, buf_cstr(&b));
		ours = ns_ino(t->procfd, buf_cstr(&s));
		t->nsfd[i] = -1;
		if (!theirs) {
			log_error("target pid %d: namespace %s: %m", t->pid, ns_names[i]);
			return -1;
		}
		if (theirs == ours) {
			same |= ns_flags[i];
			continue;
		}
		if ((t->nsfd[i] = openat(piddir, path, O_RDONLY | O_CLOEXEC)) < 0) {
			log_error("target pid %d: namespace %s: %m", t->pid, ns_names[i]);
			return -1;
		}
	}
	if ((same & (CLONE_NEWNS | CLONE_NEWPID)) == (CLONE_NEWNS | CLONE_NEWPID)) {
		log_error("target pid %d shares our mount and PID namespaces: refusing to launch on the host", t->pid);
		return -1;
	}
	return 0;
}

static int limit_value(const char *s, rlim_t *v)
{
	unsigned long long n = 0;

	if (!strncmp(s, "unlimited", 9))
		return *v = RLIM_INFINITY, 0;
	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9')
		n = n * 10 + (*s++ - '0');
	*v = n;
	return 0;
}

/* prlimit on a process of another uid needs CAP_SYS_RESOURCE; without it,
 * /proc/PID/limits has the same numbers, one line per limit in RLIMIT
 * order, soft at column 26 and hard at 47. */
static int limits_text(struct target *t, int piddir)
{
	static char text[4096];
	char *l = text;

	if (read_small(piddir, "limits", text, sizeof(text)) < 0)
		return -1;
	for (int r = -1; r < RLIM_NLIMITS; r++) {
		char *nl = strchr(l, '\n');

		if (!nl || (r >= 0 && (nl - l < 50 || limit_value(l + 26, &t->lim[r].rlim_cur) ||
				       limit_value(l + 47, &t->lim[r].rlim_max))))
			return errno = EINVAL, -1;
		l = nl + 1;
	}
	return 0;
}

static int read_limits(struct target *t, int piddir)
{
	char text[32];
	long v;

	if (read_small(piddir, "oom_score_adj", text, sizeof(text)) < 0) {
		log_error("target pid %d: oom_score_adj: %m", t->pid);
		return -1;
	}
	text[strcspn(text, "\n")] = '\0';
	if (parse_long(text, -1000, 1000, &v)) {
		log_error("target pid %d: oom_score_adj '%s' is not a number", t->pid, text);
		return -1;
	}
	t->oom = v;
	for (int r = 0; r < RLIM_NLIMITS; r++) {
		if (prlimit(t->pid, r, 0, &t->lim[r]) == 0)
			continue;
		if (errno == EPERM && limits_text(t, piddir) == 0)
			return 0;
		log_error("target pid %d: its rlimits: %m", t->pid);
		return -1;
	}
	return 0;
}

int target_read(const struct opts *o, struct target *t)
{
	char dir[24];
	struct buf b = BUF_INIT(dir);
	int piddir, rc = -1;

	(void)o;
	if ((t->procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		log_error("open /proc: %m");
		return -1;
	}
	buf_printf(&b, "%d", t->pid);
	if ((piddir = openat(t->procfd, buf_cstr(&b), O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		log_error("target pid %d: /proc/%d: %m", t->pid, t->pid);
		return -1;
	}
	if (read_small(piddir, "cgroup", t->cg, sizeof(t->cg)) < 0)
		log_error("target pid %d: cgroup: %m", t->pid);
	else if (read_ns(t, piddir) == 0 && read_limits(t, piddir) == 0)
		rc = 0;
	close(piddir);
	/* Everything read must describe the process the pidfd pins. */
	if (rc == 0 && pidfd_signal(t->pidfd, 0) < 0) {
		log_error("target pid %d exited while being read: %m", t->pid);
		rc = -1;
	}
	return rc;
}

static int stdio_fd(const struct target *t, int which)
{
	char path[32];
	struct buf b = BUF_INIT(path);
	int fd = pidfd_dup(t->pidfd, which);

	if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
		return fd;
	buf_printf(&b, "/proc/%d/fd/%d", t->pid, which);
	return open(buf_cstr(&b), O_WRONLY | O_APPEND | O_CLOEXEC);
}

int target_stdio(const struct opts *o, struct target *t)
{
	t->in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (t->in < 0) {
		log_error("open /dev/null: %m");
		return -1;
	}
	switch (o->stdio) {
	case STDIO_NULL:
		t->out = open("/dev/null", O_WRONLY | O_CLOEXEC);
		t->err = t->out < 0 ? -1 : dup(t->out);
		break;
	case STDIO_INHERIT:
		t->out = fcntl(1, F_DUPFD_CLOEXEC, 3);
		t->err = fcntl(2, F_DUPFD_CLOEXEC, 3);
		break;
	case STDIO_CONTAINER:
		if ((t->out = stdio_fd(t, 1)) < 0) {
			log_error("target pid %d: its stdout (fd 1): %m", t->pid);
			return -1;
		}
		t->err = stdio_fd(t, 2);
		break;
	}
	if (t->out < 0 || t->err < 0) {
		log_error("target pid %d: the program's stdout/stderr: %m", t->pid);
		return -1;
	}
	return 0;
}

/* The lock lives in the container's filesystem, reached through the
 * target's root without following a symlink out of it. */
int target_lock(const struct opts *o, struct target *t)
{
	char dir[24];
	struct buf b = BUF_INIT(dir);
	struct open_how how = {
		.flags = O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, .mode = 0600,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	struct stat st;
	int root;

	buf_printf(&b, "%d/root", t->pid);
	if ((root = openat(t->procfd, buf_cstr(&b), O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		log_error("target pid %d: its root: %m", t->pid);
		return ENTER_TARGET;
	}
	t->lockfd = syscall(SYS_openat2, root, o->lock + 1, &how, sizeof(how));
	close(root);
	if (t->lockfd < 0 || fstat(t->lockfd, &st) < 0 ||
	    (!S_ISREG(st.st_mode) && (errno = EINVAL))) {
		log_error("lock file %s in the container: %m", o->lock);
		return ENTER_LOCK;
	}
	if (flock(t->lockfd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno == EWOULDBLOCK) {
		log_info("already running: lock %s is held in the container; nothing to do", o->lock);
		return -1;
	}
	log_error("lock file %s in the container: flock: %m", o->lock);
	return ENTER_LOCK;
}
