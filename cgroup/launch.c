/* The launch: a chain of three processes so that the program ends up a
 * child of the container's init, inside its cgroups and namespaces.
 *
 *   tether-enter (host)   waits on a close-on-exec status socket
 *    └ A (host PID ns)    joins the v1 cgroups and every namespace but
 *                         cgroup; clone3(CLONE_INTO_CGROUP) into v2
 *       └ C (container)   verifies the cgroups, joins the cgroup ns
 *          └ B            exits C's parent: re-parented to the
 *                         container's init; tidies up; sends its pidfd;
 *                         execs.  EOF on the socket = exec succeeded.
 *
 * A is in our PID namespace and reaps C, so C never becomes a child of
 * the container's init (which must see only virtiofsd as a root child).  Every failure is one record (exit code + message) on the
 * status socket. */
#include "enter.h"
#include "buf.h"
#include "caps.h"
#include "fd.h"
#include "fdpass.h"
#include "log.h"
#include "pidfd.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* What virtiofsd needs: its own default set (chown, dac_override, fowner,
 * fsetid, setgid, setuid, mknod, setfcap), dac_read_search for file
 * handles, sys_chroot for --sandbox chroot, and setpcap, without which the
 * C virtiofsd's own capability drop fails and its seccomp filter kills
 * it (SIGSYS on readlink, found by the QEMU test). */
#define VIRTIOFSD_CAPS ((1ULL << 0) | (1ULL << 1) | (1ULL << 2) | (1ULL << 3) | \
	(1ULL << 4) | (1ULL << 6) | (1ULL << 7) | (1ULL << 8) | (1ULL << 18) | \
	(1ULL << 27) | (1ULL << 31))

struct rec {
	int code;
	char msg[252];
};

static int status_fd = -1;
static int in_b;

static void __attribute__((noreturn, format(printf, 2, 3)))
fail(int code, const char *fmt, ...)
{
	struct rec r = { code, "" };
	struct buf b = BUF_INIT(r.msg);
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	buf_cstr(&b);
	send(status_fd, &r, sizeof(r), MSG_NOSIGNAL);
	/* B is by now a root child of the container's init, which takes the
	 * first root child to exit for virtiofsd: a failed launch must not end
	 * the container, so B leaves as nobody. */
	if (in_b && (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0))
		code = ENTER_SYS;	/* still root (no CAP_SETUID kept) */
	_exit(code);
}

/* setns on the pidfd joins them all at once (5.8+); per namespace, with
 * the fds opened earlier, on older kernels or when that fails, so the
 * error names the namespace. */
static void join_ns(const struct target *t, int mask)
{
	int flags = 0;

	for (int i = 0; i < NNS; i++)
		if (t->nsfd[i] >= 0 && (ns_flags[i] & mask))
			flags |= ns_flags[i];
	if (!flags || setns(t->pidfd, flags) == 0)
		return;
	if (errno == ESRCH)
		fail(ENTER_TARGET, "target pid %d exited before its namespaces were joined", t->pid);
	for (int i = 0; i < NNS; i++)
		if ((flags & ns_flags[i]) && setns(t->nsfd[i], ns_flags[i]) < 0)
			fail(ENTER_NS, "setns %s namespace of pid %d: %m", ns_names[i], t->pid);
}

static void set_limits(const struct target *t)
{
	char text[16];
	struct buf b = BUF_INIT(text);
	int fd;

	for (int r = 0; r < RLIM_NLIMITS; r++)
		if (setrlimit(r, &t->lim[r]) < 0)
			fail(ENTER_EXEC, "setrlimit %d like the target's: %m", r);
	buf_long(&b, t->oom);
	fd = openat(t->procfd, "self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, b.p, b.len) != (ssize_t)b.len)
		fail(ENTER_EXEC, "oom_score_adj %d like the target's: %m", t->oom);
	close(fd);
}

static int high(int fd)
{
	int n = fcntl(fd, F_DUPFD_CLOEXEC, 64);

	if (n < 0)
		fail(ENTER_EXEC, "fcntl F_DUPFD: %m");
	return n;
}

/* Exactly 0, 1, 2 and the lock at 3 survive the exec. */
static void set_fds(const struct target *t)
{
	int in = high(t->in), out = high(t->out), err = high(t->err);
	int lock = high(t->lockfd);

	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0 || dup2(lock, 3) < 0)
		fail(ENTER_STDIO, "dup2 of the program's stdio: %m");
	if (syscall(SYS_close_range, 4, ~0U, CLOSE_RANGE_CLOEXEC) < 0 &&
	    fd_close_from(4) < 0 && errno != EBADF)
		fail(ENTER_EXEC, "closing fds: %m");
}

/* The kernel's own sigaction: libc refuses the real-time signals it
 * reserves for itself (32-34), which may still arrive ignored from our
 * caller and would then stay ignored in the program. */
struct kernel_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

static void default_signals(void)
{
	struct kernel_sigaction dfl = { .handler = SIG_DFL };

	for (int s = 1; s < _NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			syscall(SYS_rt_sigaction, s, &dfl, 0, sizeof(dfl.mask));
}

static void __attribute__((noreturn)) stage_b(const struct opts *o, const struct target *t)
{
	uint64_t keep = o->caps_set ? o->caps : o->preset ? VIRTIOFSD_CAPS : ~0ULL;
	sigset_t none;
	int me;

	in_b = 1;
	/* Its own session: no signal meant for our caller's process group
	 * or terminal reaches it. */
	if (setsid() < 0)
		fail(ENTER_EXEC, "setsid: %m");
	umask(022);
	if (chdir("/") < 0)
		fail(ENTER_EXEC, "chdir / in the container: %m");
	/* fds first: a low RLIMIT_NOFILE of the target would refuse the
	 * high fd numbers used while shuffling them. */
	status_fd = high(status_fd);
	set_fds(t);
	set_limits(t);
	default_signals();
	if (keep != ~0ULL && caps_limit(keep) < 0)
		fail(ENTER_EXEC, "limiting capabilities: %m");
	if ((me = pidfd_open_pid(getpid())) < 0 || fd_send(status_fd, "P", 1, me) < 0)
		fail(ENTER_SYS, "sending our pidfd: %m");
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, 0);
	execve(o->argv[0], o->argv, o->env);
	fail(ENTER_EXEC, "exec %s in the container: %m", o->argv[0]);
}

static void __attribute__((noreturn)) stage_c(const struct opts *o, const struct target *t)
{
	char msg[240];
	pid_t pid;

	if (cg_verify(t, msg, sizeof(msg)) < 0)
		fail(ENTER_CGROUP, "%s", msg);
	join_ns(t, CLONE_NEWCGROUP);
	if ((pid = fork()) < 0)
		fail(ENTER_SYS, "fork in the container: %m");
	if (pid == 0)
		stage_b(o, t);
	_exit(0);
}

static pid_t clone_into(const struct target *t, int *into)
{
	struct clone_args a = {
		.flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD,
		.cgroup = *into ? t->cgs[t->v2].dirfd : 0,
	};
	pid_t pid;
	char msg[240];

	if (*into) {
		pid = syscall(SYS_clone3, &a, sizeof(a));
		if (pid >= 0 || (errno != ENOSYS && errno != E2BIG && errno != EINVAL))
			return pid;
		*into = 0;	/* an old kernel: write cgroup.procs instead */
	}
	if (t->v2 >= 0 && cg_move(t, 0, msg, sizeof(msg)) < 0)
		fail(ENTER_CGROUP, "%s", msg);
	return fork();
}

static void __attribute__((noreturn)) stage_a(const struct opts *o, const struct target *t)
{
	char msg[240];
	int into = t->v2 >= 0;
	pid_t pid;

	if (cg_move(t, 1, msg, sizeof(msg)) < 0)
		fail(ENTER_CGROUP, "%s", msg);
	join_ns(t, ~CLONE_NEWCGROUP);
	if ((pid = clone_into(t, &into)) < 0)
		fail(into ? ENTER_CGROUP : ENTER_SYS, "%s: %m", into ? "clone3 into the target's cgroup" : "fork");
	if (pid == 0)
		stage_c(o, t);
	/* C lives in the container's PID namespace: left unreaped, its
	 * zombie would hold up that namespace's teardown (by seconds, behind
	 * a slow host init) when the container ends. */
	while (waitpid(pid, 0, 0) < 0 && errno == EINTR)
		;
	_exit(0);
}

/* Waits for the chain's verdict: a pidfd (the program is about to exec)
 * then EOF, or a failure record. */
static int verdict(int fd, int *pidfd)
{
	struct rec r;
	int got, code = ENTER_SYS;
	ssize_t n;

	*pidfd = -1;
	while ((n = fd_recv(fd, &r, sizeof(r), &got)) > 0) {
		if (got >= 0) {
			if (*pidfd >= 0)
				close(*pidfd);
			*pidfd = got;
			code = ENTER_OK;
			continue;
		}
		if ((size_t)n == sizeof(r)) {
			r.msg[sizeof(r.msg) - 1] = '\0';
			log_error("%s", r.msg);
			return r.code;
		}
	}
	if (n < 0)
		log_error("reading the launch status: %m");
	else if (code != ENTER_OK)
		log_error("the launcher died before the program was started");
	return n < 0 ? ENTER_SYS : code;
}

static void register_with(const struct target *t, int pidfd, pid_t pid)
{
	char answer[64];
	struct timeval tv = { PEER_TIMEOUT_S, 0 };
	ssize_t n;

	if (setsockopt(t->conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    fd_send(t->conn, "REGISTER\n", 9, pidfd) < 0 ||
	    (n = recv(t->conn, answer, sizeof(answer) - 1, 0)) <= 0) {
		log_warn("registering pid %d with the placeholder: %m", pid);
		return;
	}
	answer[n] = '\0';
	answer[strcspn(answer, "\n")] = '\0';
	if (strncmp(answer, "OK", 2))
		log_warn("the placeholder refused pid %d: '%s'", pid, answer);
	else
		log_info("registered with the placeholder: %s", answer);
}

int launch(const struct opts *o, struct target *t)
{
	int s[2], code, pidfd, st;
	pid_t a, pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, s) < 0 || (a = fork()) < 0) {
		log_error("starting the launcher: %m");
		return ENTER_SYS;
	}
	if (a == 0) {
		close(s[0]);
		status_fd = s[1];
		stage_a(o, t);
	}
	close(s[1]);
	code = verdict(s[0], &pidfd);
	close(s[0]);
	while (waitpid(a, &st, 0) < 0 && errno == EINTR)
		;
	if (code != ENTER_OK)
		return code;
	pid = pidfd_pid(pidfd);
	log_info("started %s: pid %d (in the container's init's care)", o->argv[0], pid);
	if (t->conn >= 0)
		register_with(t, pidfd, pid);
	return ENTER_OK;
}
