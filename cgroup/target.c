/* The target: found, pinned by a pidfd, read once through one /proc/PID
 * directory fd, and checked: the init of a container we may enter. */
#include "enter.h"
#include "buf.h"
#include "fd.h"
#include "log.h"
#include "pidfd.h"
#include "sock.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef NS_GET_USERNS
#define NS_GET_USERNS _IO(0xb7, 0x1)
#endif

const char *const ns_names[NNS] = { "cgroup", "ipc", "mnt", "net", "pid", "uts" };
const int ns_flags[NNS] = {
	CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWPID,
	CLONE_NEWUTS,
};

/* What decides whether we may enter it, judged once it is known that
 * everything read describes the process the pidfd pins. */
struct facts {
	long inner;		/* its pid in its own PID namespace */
	uint64_t userns;	/* its user namespace */
	int foreign;		/* a namespace to join owned by another user ns, or -1 */
};

static int by_pid(const struct opts *o, struct target *t)
{
	t->pid = o->pid;
	if ((t->pidfd = pidfd_open_pid(o->pid)) < 0) {
		log_error("target pid %d: %m", o->pid);
		return ENTER_TARGET;
	}
	return 0;
}

static int connect_inode(const char *path, int fd, struct target *t)
{
	char via[32];
	struct buf b = BUF_INIT(via);

	/* Through the inode just checked, not the name: a swap after the
	 * check cannot redirect us, and any path length works. */
	buf_printf(&b, "/proc/self/fd/%d", fd);
	t->conn = unix_connect_within(buf_cstr(&b), SOCK_STREAM, PEER_TIMEOUT_S);
	if (t->conn >= 0)
		return 0;
	if (errno == EAGAIN)
		log_error("target socket %s: the placeholder accepts no connection (its queue stayed full for %d s): %m",
			  path, PEER_TIMEOUT_S);
	else
		log_error("target socket %s: %m (is the placeholder ready?)", path);
	return ENTER_TARGET;
}

/* The socket route: a way to find a pid, cross-checked.  The path must
 * name the socket itself (a symlink is refused), and its listener must
 * run as the socket file's owner and be --pid when that is given too. */
static int by_socket(const struct opts *o, struct target *t)
{
	const char *path = o->target_socket;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct stat st;
	int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC), rc;

	if (fd < 0 || fstat(fd, &st) < 0) {
		log_error("target socket %s: %m (is the placeholder ready?)", path);
		return ENTER_TARGET;
	}
	if (!S_ISSOCK(st.st_mode)) {
		close(fd);
		log_error("target socket %s is %s: refused", path,
			  S_ISLNK(st.st_mode) ? "a symlink" : "not a socket");
		return ENTER_REFUSED;
	}
	rc = connect_inode(path, fd, t);
	close(fd);
	if (rc)
		return rc;
	if ((t->pidfd = pidfd_of_peer(t->conn)) < 0 || (t->pid = pidfd_pid(t->pidfd)) < 0 ||
	    getsockopt(t->conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		log_error("target socket %s: no peer process: %m", path);
		return ENTER_TARGET;
	}
	if (t->pid == 0) {
		log_error("target socket %s: its listener is not in our PID namespace: refused", path);
		return ENTER_REFUSED;
	}
	if (cred.uid != st.st_uid) {
		log_error("target socket %s: its listener (pid %d) runs as uid %u, the socket file is uid %u's: refused",
			  path, t->pid, (unsigned)cred.uid, (unsigned)st.st_uid);
		return ENTER_REFUSED;
	}
	if (o->pid && t->pid != o->pid) {
		log_error("target socket %s: its listener is pid %d, not --pid %d: refused", path, t->pid, o->pid);
		return ENTER_REFUSED;
	}
	return 0;
}

static int ns_stat(int dirfd, const char *what, const char *name, struct stat *st)
{
	char path[40];
	struct buf b = BUF_INIT(path);

	buf_printf(&b, "%s/%s", what, name);
	return fstatat(dirfd, buf_cstr(&b), st, 0);
}

/* 1 if the namespace behind fd is owned by the user namespace userns, 0
 * if by another (EPERM: an owner outside our user namespace), -1 if the
 * kernel could not say (errno): a failed call, not a verdict. */
static int owned_by(int fd, uint64_t userns)
{
	struct stat st;
	int owner = ioctl(fd, NS_GET_USERNS), err;

	if (owner < 0)
		return errno == EPERM ? 0 : -1;
	if (fstat(owner, &st) < 0) {
		err = errno;
		close(owner);
		return errno = err, -1;
	}
	close(owner);
	errno = 0;
	return st.st_ino == userns;
}

/* Notes each namespace's identity (checked again after the join) and
 * opens those that differ from ours (the per-namespace fallback of setns
 * on the pidfd); -1 where it shares ours: nothing to join. */
static int read_ns(struct target *t, int piddir, struct facts *f)
{
	struct stat theirs, ours;

	if (ns_stat(piddir, "ns", "user", &theirs) < 0 || ns_stat(t->procfd, "self/ns", "user", &ours) < 0) {
		log_error("target pid %d: user namespace: %m", t->pid);
		return -1;
	}
	f->userns = theirs.st_ino;
	t->userns = ours.st_ino;
	t->nsdev = ours.st_dev;
	for (int i = 0; i < NNS; i++) {
		char path[16];
		struct buf b = BUF_INIT(path);

		if (ns_stat(piddir, "ns", ns_names[i], &theirs) < 0 ||
		    ns_stat(t->procfd, "self/ns", ns_names[i], &ours) < 0) {
			log_error("target pid %d: namespace %s: %m", t->pid, ns_names[i]);
			return -1;
		}
		t->nsino[i] = theirs.st_ino;
		if (theirs.st_ino == ours.st_ino)
			continue;
		buf_printf(&b, "ns/%s", ns_names[i]);
		if ((t->nsfd[i] = openat(piddir, buf_cstr(&b), O_RDONLY | O_CLOEXEC)) < 0) {
			log_error("target pid %d: namespace %s: %m", t->pid, ns_names[i]);
			return -1;
		}
		if (f->foreign >= 0)
			continue;
		switch (owned_by(t->nsfd[i], t->userns)) {
		case -1:
			log_error("target pid %d: the owner of its %s namespace: %m", t->pid, ns_names[i]);
			return -1;
		case 0:
			if (errno == EPERM)
				log_error("target pid %d: its %s namespace's owner is outside our user namespace (NS_GET_USERNS: %m)",
					  t->pid, ns_names[i]);
			f->foreign = i;
		}
	}
	return 0;
}

/* The last NSpid field: its pid in the innermost PID namespace. */
static int read_inner(struct target *t, int piddir, struct facts *f)
{
	char text[4096], *p, *end;

	if (read_small(piddir, "status", text, sizeof(text)) < 0) {
		log_error("target pid %d: status: %m", t->pid);
		return -1;
	}
	if (!(p = strstr(text, "\nNSpid:"))) {
		errno = EINVAL;
		log_error("target pid %d: status has no NSpid line: %m", t->pid);
		return -1;
	}
	p += 7;
	end = p + strcspn(p, "\n");
	while (end > p && (end[-1] < '0' || end[-1] > '9'))
		end--;
	*end = '\0';
	while (end > p && end[-1] >= '0' && end[-1] <= '9')
		end--;
	if (parse_long(end, 1, 1 << 30, &f->inner)) {
		errno = EINVAL;
		log_error("target pid %d: status: bad NSpid: %m", t->pid);
		return -1;
	}
	return 0;
}

/* Its oom_score_adj: the container's users can only raise it (lowering
 * needs CAP_SYS_RESOURCE), so at worst it makes the program the first
 * to go in an OOM of their own container.  Its rlimits are not taken: a
 * process with its uid may set them (prlimit), so the program keeps ours
 * (launch.c). */
static int read_oom(struct target *t, int piddir)
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
	return 0;
}

/* A label as AppArmor prints a profile's name: nothing else is written
 * back to the kernel (a container's init may move itself to any profile
 * its policy allows; the name is still the host's policy's). */
static int label_ok(const char *s)
{
	if (!*s || *s == '-')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._/:@+=,~&-", *s))
			return 0;
	return 1;
}

/* Another LSM's label (SELinux, Smack) is not applied: said once, as a
 * warning (README.md, security model). */
static int other_lsm(struct target *t, int piddir)
{
	char text[LABEL_MAX];
	ssize_t n = read_small(piddir, "attr/current", text, sizeof(text));

	if (n < 0 && (errno == EINVAL || errno == ENOENT))
		return 0;	/* no LSM keeps a task label here */
	if (n < 0) {
		log_error("target pid %d: its LSM label (attr/current): %m", t->pid);
		return ENTER_EXEC;
	}
	text[strcspn(text, "\n")] = '\0';
	log_warn("target pid %d has the LSM label '%s', not AppArmor's: not applied, the program keeps ours",
		 t->pid, label_ok(text) ? text : "?");
	return 0;
}

/* The target's AppArmor label, which the program is given for its exec
 * (launch.c): "NAME (MODE)" or "unconfined", read through the pinned
 * /proc/PID, bounded, of a strict charset.  "unconfined": nothing to
 * set.  Anything unreadable or odd where AppArmor is active fails
 * closed (exit 8): the program never runs with our label instead.
 * attr/apparmor/ is AppArmor's own interface (Linux 5.1+, below our own
 * minimum, pidfd_open's 5.3): attr/current may be another LSM's. */
static int read_label(struct target *t, int piddir)
{
	char text[LABEL_MAX + 16], *end;
	ssize_t n = read_small(piddir, "attr/apparmor/current", text, sizeof(text));

	t->label[0] = '\0';
	if (n < 0 && (errno == ENOENT || errno == EINVAL))
		return other_lsm(t, piddir);	/* AppArmor absent or off */
	if (n < 0) {
		log_error("target pid %d: its AppArmor label: %m", t->pid);
		return ENTER_EXEC;
	}
	if (n == (ssize_t)sizeof(text) - 1) {
		log_error("target pid %d: its AppArmor label is longer than %d bytes: refused", t->pid,
			  LABEL_MAX - 1);
		return ENTER_EXEC;
	}
	end = text + strcspn(text, "\n");
	*end = '\0';
	/* The mode AppArmor appends: " (enforce)", " (complain)", ... */
	if (end > text && end[-1] == ')' && (end = strrchr(text, ' ')) && end[1] == '(') {
		*end = '\0';
		for (char *m = end + 2; *m != ')'; m++)
			if (!islower((unsigned char)*m))
				end = 0;
	}
	if (!end || !label_ok(text) || strlen(text) >= sizeof(t->label)) {
		log_error("target pid %d: its AppArmor label is not a profile name: refused", t->pid);
		return ENTER_EXEC;
	}
	if (strcmp(text, "unconfined"))
		memcpy(t->label, text, strlen(text) + 1);
	return 0;
}

/* Everything from the one /proc/PID directory fd, then the pidfd says
 * whether it all describes the process it pins. */
static int target_read(struct target *t, struct facts *f)
{
	char dir[24];
	struct buf b = BUF_INIT(dir);
	int piddir, ok = 0, rc;

	buf_printf(&b, "%d", t->pid);
	if ((piddir = openat(t->procfd, buf_cstr(&b), O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		log_error("target pid %d: /proc/%d: %m", t->pid, t->pid);
		return ENTER_TARGET;
	}
	t->piddir = piddir;
	if (read_inner(t, piddir, f) < 0 || read_ns(t, piddir, f) < 0)
		;
	else if ((t->rootfd = openat(piddir, "root", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		log_error("target pid %d: its root: %m", t->pid);
	else if (read_small(piddir, "cgroup", t->cg, sizeof(t->cg)) < 0)
		log_error("target pid %d: cgroup: %m", t->pid);
	else if (read_oom(t, piddir) == 0)
		ok = 1;
	rc = ok ? read_label(t, piddir) : ENTER_TARGET;
	if (pidfd_signal(t->pidfd, 0) < 0) {
		log_error("target pid %d exited while being read: %m", t->pid);
		return ENTER_TARGET;
	}
	return rc;
}

static int judge(const struct target *t, const struct facts *f)
{
	if (t->nsfd[NS_PID] < 0)
		log_error("target pid %d is in our PID namespace: refusing to launch on the host", t->pid);
	else if (f->inner != 1)
		log_error("target pid %d is pid %ld in its PID namespace, not its init (1): refused",
			  t->pid, f->inner);
	else if (f->userns != t->userns)
		log_error("target pid %d is in another user namespace: refused (no user namespace is ever joined)",
			  t->pid);
	else if (f->foreign >= 0)
		log_error("target pid %d: its %s namespace is owned by another user namespace: refused",
			  t->pid, ns_names[f->foreign]);
	else
		return 0;
	return ENTER_REFUSED;
}

int target_find(const struct opts *o, struct target *t)
{
	struct facts f = { .foreign = -1 };
	int rc;

	t->conn = t->piddir = t->rootfd = -1;
	for (int i = 0; i < NNS; i++)
		t->nsfd[i] = -1;
	if ((t->procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		log_error("open /proc: %m");
		return ENTER_TARGET;
	}
	rc = o->target_socket ? by_socket(o, t) : by_pid(o, t);
	if (rc == 0)
		rc = target_read(t, &f);
	if (rc == 0)
		rc = judge(t, &f);
	return rc;
}

/* Through the pidfd; else through the pinned /proc/PID directory, which
 * stops resolving once that process is gone (never another's fd). */
static int stdio_fd(const struct target *t, int which)
{
	char path[16];
	struct buf b = BUF_INIT(path);
	int fd = pidfd_dup(t->pidfd, which);

	if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
		return fd;
	buf_printf(&b, "fd/%d", which);
	return openat(t->piddir, buf_cstr(&b), O_WRONLY | O_APPEND | O_CLOEXEC);
}

/* stdout/stderr: the container's own (its init's), or ours (--stdio
 * inherit: the caller's fds, by the caller's choice), or -1: the
 * container's /dev/null, opened in it (launch.c).  Never a file of the
 * host's that tether-enter opens itself. */
int target_stdio(const struct opts *o, struct target *t)
{
	switch (o->stdio) {
	case STDIO_NULL:
		t->out = t->err = -1;
		return 0;
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
