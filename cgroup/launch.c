/* The launch: a chain of three processes so that the program ends up a
 * child of the container's init, inside its cgroups and namespaces.
 *
 *   tether-enter (host)   reads the chain's records on a SOCK_SEQPACKET
 *    └ A (host PID ns)    joins the v1 cgroups and every namespace but
 *                         cgroup, checks what it joined;
 *                         clone3(CLONE_INTO_CGROUP) into v2
 *       └ C (container)   verifies the cgroups, joins the cgroup ns
 *          └ B            chroots to the target's root, tidies up, sends
 *                         its pidfd, execs
 *
 * C stays B's parent until B's exec: a B that fails before it is reaped
 * by C, never by the container's init (which takes a root child's exit
 * for virtiofsd's).  A is in our PID namespace and reaps C, so no helper
 * of ours ever becomes the init's child.  EOF on the records after B's
 * pidfd = the exec succeeded.
 *
 * The flavour probe (`virtiofsd --version`) goes through the same chain,
 * confined exactly as the program will be, except that C first moves its
 * children to a PID namespace of their own: the probe P is its init (so
 * everything it starts dies with it), C waits for it with a deadline, and
 * its output comes back through a pipe. */
#include "enter.h"
#include "buf.h"
#include "caps.h"
#include "fd.h"
#include "fdpass.h"
#include "log.h"
#include "loop.h"
#include "pidfd.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
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

/* One record of the chain: 'F' a failure (code, msg), 'P' B's pidfd
 * (attached), 'S' the probe's wait status
 * (code: ETIMEDOUT when it was killed for taking too long). */
struct rec {
	char kind;
	int code;
	int status;
	char msg[240];
};

static int status_fd = -1;
static int exec_w = -1;		/* B → C: a byte if B fails before its exec */
static int probe_out = -1;	/* the probe's stdout, in probe mode */

static void __attribute__((noreturn, format(printf, 2, 3)))
fail(int code, const char *fmt, ...)
{
	struct rec r = { 'F', code, 0, "" };
	struct buf b = BUF_INIT(r.msg);
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	buf_cstr(&b);
	send(status_fd, &r, sizeof(r), MSG_NOSIGNAL);
	if (exec_w >= 0 && write(exec_w, "F", 1) < 0)
		code = ENTER_SYS;
	_exit(code);
}


/* The namespace each of ours must now be, after a join: what was checked
 * (for those the target shares with us, that is ours, unchanged).  A
 * target that swapped a namespace between the check and the join (it
 * may unshare a user and mount namespace) is caught here. */
static void verify_ns(const struct target *t, int mask, int pid_children)
{
	struct stat st;

	if (fstatat(t->procfd, "self/ns/user", &st, 0) < 0 || st.st_ino != t->userns)
		fail(ENTER_REFUSED, "our user namespace changed: refused");
	for (int i = 0; i < NNS; i++) {
		char path[40];
		struct buf b = BUF_INIT(path);

		if (!(ns_flags[i] & mask))
			continue;
		buf_printf(&b, "self/ns/%s", i == NS_PID && pid_children ? "pid_for_children" : ns_names[i]);
		if (fstatat(t->procfd, buf_cstr(&b), &st, 0) < 0)
			fail(ENTER_NS, "checking the %s namespace joined: %m", ns_names[i]);
		if (st.st_ino != t->nsino[i] || st.st_dev != t->nsdev)
			fail(ENTER_REFUSED, "the target's %s namespace changed after it was checked: refused",
			     ns_names[i]);
	}
}

/* setns on the pidfd joins several at once (5.8+); one by one, with the
 * fds opened when they were checked, on older kernels or when that
 * fails, so the error names the namespace.  A single namespace always
 * goes by its fd. */
static void join_ns(const struct target *t, int mask)
{
	int flags = 0, n = 0;

	for (int i = 0; i < NNS; i++)
		if (t->nsfd[i] >= 0 && (ns_flags[i] & mask))
			flags |= ns_flags[i], n++;
	if (!flags)
		return;
	if (n > 1) {
		if (setns(t->pidfd, flags) == 0)
			return;
		if (errno == ESRCH)
			fail(ENTER_TARGET, "target pid %d exited before its namespaces were joined", t->pid);
		log_debug("setns on the pidfd of pid %d: %m; joining its namespaces one by one", t->pid);
	}
	for (int i = 0; i < NNS; i++)
		if ((flags & ns_flags[i]) && setns(t->nsfd[i], ns_flags[i]) < 0)
			fail(ENTER_NS, "setns %s namespace of pid %d: %m", ns_names[i], t->pid);
}

/* RLIMIT_CORE 0, soft and hard: no core dump of a root process, whatever
 * signal reaches it (the program cannot raise it back without
 * CAP_SYS_RESOURCE).  Its other limits are ours, not the target's: a
 * process with the container's uid may set those of its init (prlimit).
 * oom_score_adj is the target's (the container can only raise it). */
static void set_limits(const struct target *t, int procfd)
{
	struct rlimit none = { 0, 0 };
	char text[16];
	struct buf b = BUF_INIT(text);
	int fd;

	if (setrlimit(RLIMIT_CORE, &none) < 0)
		fail(ENTER_EXEC, "setrlimit RLIMIT_CORE 0: %m");
	buf_long(&b, t->oom);
	fd = openat(procfd, "self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, b.p, b.len) != (ssize_t)b.len)
		fail(ENTER_EXEC, "oom_score_adj %d like the target's: %m", t->oom);
	close(fd);
}

/* The target's AppArmor label for our next exec, as runc gives a process
 * it execs into a container ("exec NAME" to our own attr/apparmor/exec,
 * through the host's /proc): the program and the probe run confined as
 * the container is, never with our label.  Refused (we lack
 * change_profile, the profile is gone): fail, nothing runs. */
static void set_label(const struct target *t, int procfd)
{
	char cmd[LABEL_MAX + 8];
	struct buf b = BUF_INIT(cmd);
	int fd;

	if (!t->label[0])
		return;
	buf_printf(&b, "exec %s", t->label);
	fd = openat(procfd, "thread-self/attr/apparmor/exec", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, b.p, b.len) != (ssize_t)b.len)
		fail(ENTER_EXEC, "the target's AppArmor label %s for the program: %m", t->label);
	close(fd);
}

static int high(int fd)
{
	int n = fcntl(fd, F_DUPFD_CLOEXEC, 64);

	if (n < 0)
		fail(ENTER_EXEC, "fcntl F_DUPFD: %m");
	return n;
}

/* The container's /dev/null, opened inside its root (we are chrooted):
 * the null device or nothing (a FIFO or a file put there is refused, and
 * O_NONBLOCK keeps a FIFO from blocking the open). */
static int container_null(int flags)
{
	struct stat st;
	int fd = open("/dev/null", flags | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		fail(ENTER_STDIO, "/dev/null in the container: %m");
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != (dev_t)makedev(1, 3))
		fail(ENTER_STDIO, "/dev/null in the container is not the null device: refused");
	if (fcntl(fd, F_SETFL, 0) < 0)
		fail(ENTER_STDIO, "/dev/null in the container: %m");
	return high(fd);
}

/* After this, the process holds 0-2 (stdin the container's /dev/null;
 * out/err as given, -1 for its /dev/null), the records socket at 3 and
 * exec_w at 4, close-on-exec, and nothing else: every host fd (our /proc,
 * the target's /proc/PID, root, namespaces, cgroup directories, the
 * placeholder's connection) is closed, not merely close-on-exec, so that
 * not even the exec's path resolution can reach one. */
static void set_fds(int out, int err)
{
	int in = container_null(O_RDONLY), last = 3;	/* the last fd kept */

	out = out < 0 ? container_null(O_WRONLY) : high(out);
	err = err < 0 ? container_null(O_WRONLY) : high(err);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		fail(ENTER_STDIO, "dup2 of the program's stdio: %m");
	if ((status_fd = dup3(status_fd, 3, O_CLOEXEC)) < 0 ||
	    (exec_w >= 0 && (exec_w = dup3(exec_w, ++last, O_CLOEXEC)) < 0))
		fail(ENTER_EXEC, "dup3: %m");
	if (syscall(SYS_close_range, last + 1, ~0U, 0) < 0 && fd_close_from(last + 1) < 0 &&
	    errno != EBADF)
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

/* What B and the probe share: the target's root, session, limits and
 * signal state; the capabilities asked for; no_new_privs. */
static void confine(const struct opts *o, const struct target *t, int out, int err)
{
	uint64_t keep = o->caps_set ? o->caps : o->preset ? VIRTIOFSD_CAPS : ~0ULL;
	int procfd;

	/* Its own session: no signal meant for our caller's process group
	 * or terminal reaches it. */
	if (setsid() < 0)
		fail(ENTER_EXEC, "setsid: %m");
	umask(022);
	/* The target's own root, not whatever root its mount namespace
	 * has: a runtime need not have used pivot_root. */
	if (fchdir(t->rootfd) < 0 || chroot(".") < 0 || chdir("/") < 0)
		fail(ENTER_EXEC, "chroot to the target's root: %m");
	status_fd = high(status_fd);
	procfd = high(t->procfd);
	if (exec_w >= 0)
		exec_w = high(exec_w);
	set_limits(t, procfd);
	set_label(t, procfd);
	set_fds(out, err);
	default_signals();
	if (keep != ~0ULL && caps_limit(keep) < 0)
		fail(ENTER_EXEC, "limiting capabilities: %m");
	if (!o->new_privs && no_new_privs() < 0)
		fail(ENTER_EXEC, "no_new_privs: %m");
}

static int recv_ack(int fd)
{
	char c;
	ssize_t n;

	while ((n = recv(fd, &c, 1, 0)) < 0 && errno == EINTR)
		;
	if (n == 0)
		errno = ECONNRESET;
	return n == 1 ? 0 : -1;
}

static void __attribute__((noreturn)) stage_b(const struct opts *o, const struct target *t)
{
	struct rec r = { 'P', 0, 0, "" };
	sigset_t none;
	int me;

	confine(o, t, t->out, t->err);
	if ((me = pidfd_open_pid(getpid())) < 0 || fd_send(status_fd, &r, sizeof(r), me) < 0)
		fail(ENTER_SYS, "sending our pidfd: %m");
	close(me);
	/* Until tether-enter has read our pid: a program that exits at once
	 * would leave it a pidfd that no longer tells. */
	if (recv_ack(status_fd) < 0)
		fail(ENTER_SYS, "waiting for tether-enter: %m");
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, 0);
	execve(t->argv[0], t->argv, o->env);
	fail(ENTER_EXEC, "exec %s in the container: %m", t->argv[0]);
}

/* B's exec, seen from C, which stays its parent until then: a byte = it
 * failed, and C reaps it (it never reaches the container's init, which
 * would take a root child's exit for virtiofsd's); EOF = it exec'd, and
 * C exits, so the program is re-parented to the container's init. */
static void __attribute__((noreturn)) launch_c(const struct opts *o, const struct target *t)
{
	char c;
	int p[2];
	pid_t pid;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0)
		fail(ENTER_SYS, "fork in the container: %m");
	if (pid == 0) {
		close(p[0]);
		exec_w = p[1];
		stage_b(o, t);
	}
	close(p[1]);
	while ((n = read(p[0], &c, 1)) < 0 && errno == EINTR)
		;
	if (n != 0)
		while (waitpid(pid, 0, 0) < 0 && errno == EINTR)
			;
	_exit(0);
}

static void __attribute__((noreturn)) probe_p(const struct opts *o, const struct target *t)
{
	char *argv[] = { (char *)o->bin, "--version", 0 };
	sigset_t none;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		fail(ENTER_SYS, "PR_SET_PDEATHSIG: %m");
	confine(o, t, probe_out, -1);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, 0);
	execve(o->bin, argv, o->env);
	fail(ENTER_EXEC, "exec %s --version in the container: %m", o->bin);
}

static void __attribute__((noreturn)) probe_c(const struct opts *o, const struct target *t)
{
	struct pollfd pf = { .events = POLLIN };
	int st = 0, code = 0;
	pid_t pid;

	if (unshare(CLONE_NEWPID) < 0 || (pid = fork()) < 0)
		fail(ENTER_SYS, "a PID namespace for %s --version: %m", o->bin);
	if (pid == 0)
		probe_p(o, t);
	if ((pf.fd = pidfd_open_pid(pid)) < 0)
		fail(ENTER_SYS, "pidfd of the probe: %m");
	if (poll(&pf, 1, PROBE_TIMEOUT_MS) == 0) {
		code = ETIMEDOUT;
		pidfd_signal(pf.fd, SIGKILL);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	send(status_fd, &(struct rec){ 'S', code, st, "" }, sizeof(struct rec), MSG_NOSIGNAL);
	_exit(0);
}

/* The move counts only if our namespaces and cgroups are now the
 * target's, as checked. */
static void __attribute__((noreturn)) stage_c(const struct opts *o, const struct target *t)
{
	char msg[240];

	if (cg_verify(t, msg, sizeof(msg)) < 0)
		fail(ENTER_CGROUP, "%s", msg);
	join_ns(t, CLONE_NEWCGROUP);
	verify_ns(t, CLONE_NEWCGROUP | CLONE_NEWPID, 0);
	if (probe_out >= 0)
		probe_c(o, t);
	launch_c(o, t);
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
	int into = t->v2 >= 0, cfd;
	pid_t pid;

	if (cg_move(t, 1, msg, sizeof(msg)) < 0)
		fail(ENTER_CGROUP, "%s", msg);
	join_ns(t, ~CLONE_NEWCGROUP);
	verify_ns(t, ~CLONE_NEWCGROUP, 1);
	if ((pid = clone_into(t, &into)) < 0)
		fail(into ? ENTER_CGROUP : ENTER_SYS, "%s: %m", into ? "clone3 into the target's cgroup" : "fork");
	if (pid == 0)
		stage_c(o, t);
	/* C's pidfd, so that tether-enter can kill it if it overruns (a
	 * frozen cgroup); C is our child, so its pid cannot be reused yet. */
	if ((cfd = pidfd_open_pid(pid)) >= 0)
		fd_send(status_fd, &(struct rec){ 'C', 0, 0, "" }, sizeof(struct rec), cfd);
	/* C lives in the container's PID namespace: left unreaped, its
	 * zombie would hold up that namespace's teardown (by seconds, behind
	 * a slow host init) when the container ends. */
	while (waitpid(pid, 0, 0) < 0 && errno == EINTR)
		;
	_exit(0);
}

/* One run of the chain, as tether-enter sees it: our end of the records,
 * A (our child), and pidfds of C and B once they have sent them, so that
 * a chain that overruns its deadline (a frozen cgroup) can be killed. */
struct chain {
	int sock;
	pid_t a;
	int c, b;		/* pidfds, or -1 */
	long deadline;		/* clock_ms() */
};

/* Starts A. */
static int chain_start(const struct opts *o, const struct target *t, struct chain *ch)
{
	int s[2];

	ch->c = ch->b = -1;
	ch->deadline = clock_ms() + CHAIN_TIMEOUT_MS;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, s) < 0 || (ch->a = fork()) < 0) {
		log_error("starting the launcher: %m");
		return ENTER_SYS;
	}
	if (ch->a == 0) {
		close(s[0]);
		status_fd = s[1];
		stage_a(o, t);
	}
	close(s[1]);
	ch->sock = s[0];
	return 0;
}

/* Every process of an overrun chain is killed (B before its exec never
 * runs the program: it waits for our acknowledgement first); A is waited
 * for at most a second, as a frozen one dies only once thawed. */
static void chain_end(struct chain *ch, int killed)
{
	int apidfd = pidfd_open_pid(ch->a);
	struct pollfd pf = { apidfd, POLLIN, 0 };

	close(ch->sock);
	if (killed) {
		if (ch->b >= 0)
			pidfd_signal(ch->b, SIGKILL);
		if (ch->c >= 0)
			pidfd_signal(ch->c, SIGKILL);
		kill(ch->a, SIGKILL);
	}
	if (ch->c >= 0)
		close(ch->c);
	if (apidfd >= 0 && poll(&pf, 1, killed ? 1000 : CHAIN_TIMEOUT_MS) == 1)
		while (waitpid(ch->a, 0, 0) < 0 && errno == EINTR)
			;
	else if (!killed)
		log_warn("the launcher (pid %d) has not ended; left to the host's init", ch->a);
	if (apidfd >= 0)
		close(apidfd);
}

/* The next record within the chain's deadline: > 0 its size, 0 EOF, -1
 * an error, -2 the deadline passed. */
static ssize_t next_rec(struct chain *ch, struct rec *r, int *got)
{
	struct pollfd pf = { ch->sock, POLLIN, 0 };
	long left = ch->deadline - clock_ms();
	int n;

	*got = -1;
	while ((n = poll(&pf, 1, left > 0 ? left : 0)) < 0 && errno == EINTR)
		left = ch->deadline - clock_ms();
	if (n == 0)
		return -2;
	return n < 0 ? -1 : fd_recv(ch->sock, r, sizeof(*r), got);
}

/* Reads records until `want` ('S'), a failure, or EOF, which for the
 * launch (want 0) after B's pidfd means its exec succeeded: only the
 * chain holds the other end, close-on-exec, and none of it lives on.
 * B's pid is read from its pidfd while B waits for our acknowledgement,
 * before its exec: once the program has exited the pidfd no longer
 * tells it.  A chain that overruns CHAIN_TIMEOUT_MS is killed: exit 3. */
static int verdict(struct chain *ch, char want, pid_t *pid, struct rec *out)
{
	struct rec r;
	int got;
	ssize_t n;

	while ((n = next_rec(ch, &r, &got)) > 0) {
		if ((size_t)n != sizeof(r)) {
			if (got >= 0)
				close(got);
			continue;
		}
		if (got >= 0 && r.kind == 'C' && ch->c < 0) {
			ch->c = got;
			continue;
		}
		if (got >= 0 && r.kind == 'P' && pid) {
			if (ch->b >= 0)
				close(ch->b);
			ch->b = got;
			*pid = pidfd_pid(got);
			/* B waits for this before its exec: unsent, it would
			 * wait out the chain's deadline.  Not killed: a killed
			 * B would be orphaned to the container's init, which
			 * takes a root child's death for virtiofsd's.  chain_end
			 * closes our end, B fails on it unrun, and C reaps it. */
			if (send(ch->sock, "A", 1, MSG_NOSIGNAL) != 1) {
				log_error("acknowledging the program's pidfd: %m: stopped, nothing runs");
				return ENTER_SYS;
			}
			continue;
		}
		if (got >= 0)
			close(got);
		if (r.kind == 'F') {
			r.msg[sizeof(r.msg) - 1] = '\0';
			log_error("%s", r.msg);
			return r.code > 0 ? r.code : ENTER_SYS;
		}
		if (want && r.kind == want) {
			*out = r;
			return ENTER_OK;
		}
	}
	if (n == -2) {
		log_error("the launch did not finish within %d ms (is the container's cgroup frozen?): stopped, nothing runs",
			  CHAIN_TIMEOUT_MS);
		return -ENTER_TARGET;
	}
	if (n < 0)
		log_error("reading the launch status: %m");
	else if (!want && pid && ch->b >= 0)
		return ENTER_OK;
	else
		log_error("the launcher died before the program was started");
	return ENTER_SYS;
}

int launch(const struct opts *o, const struct target *t)
{
	struct chain ch;
	struct rec r;
	int code;
	pid_t pid = -1;

	if ((code = chain_start(o, t, &ch)) != 0)
		return code;
	code = verdict(&ch, 0, &pid, &r);
	chain_end(&ch, code < 0);
	if (code < 0)
		return -code;
	if (code != ENTER_OK)
		return code;
	log_info("started %s: pid %d (in the container's init's care)", t->argv[0], pid);
	if ((code = reg_register(t, ch.b, pid)) == ENTER_OK)
		return code;
	/* Not registered: it is not virtiofsd for the placeholder (which,
	 * after BUSY, has its registered one). */
	if (pidfd_signal(ch.b, SIGKILL) == 0)
		log_info("killed %s (pid %d)", t->argv[0], pid);
	else if (errno == ESRCH)
		log_info("%s had already exited", t->argv[0]);
	return code;
}

/* Runs `BIN --version` confined as the program will be; text gets up to
 * len - 1 bytes of its output. */
int probe(const struct opts *o, const struct target *t, char *text, size_t len)
{
	struct chain ch;
	struct rec r;
	int p[2], code;
	ssize_t n, got = 0;

	if (pipe2(p, O_CLOEXEC) < 0 || fcntl(p[0], F_SETFL, O_NONBLOCK) < 0) {
		log_error("a pipe for %s --version: %m", o->bin);
		return ENTER_SYS;
	}
	probe_out = p[1];
	code = chain_start(o, t, &ch);
	probe_out = -1;
	close(p[1]);
	if (code == 0) {
		code = verdict(&ch, 'S', 0, &r);
		chain_end(&ch, code < 0);
		code = code < 0 ? -code : code;
	}
	/* Whatever it wrote before it ended; never waiting for EOF, which a
	 * copy of the pipe passed elsewhere could hold off for ever. */
	while (code == 0 && got < (ssize_t)len - 1 && (n = read(p[0], text + got, len - 1 - got)) > 0)
		got += n;
	close(p[0]);
	text[got] = '\0';
	if (code != 0)
		return code;
	if (r.code == ETIMEDOUT) {
		log_error("%s --version in the container took more than %d ms: killed", o->bin, PROBE_TIMEOUT_MS);
		return ENTER_EXEC;
	}
	if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0) {
		log_error("%s --version in the container failed (status %d): is it virtiofsd?", o->bin,
			  WIFEXITED(r.status) ? WEXITSTATUS(r.status) : 128 + WTERMSIG(r.status));
		return ENTER_EXEC;
	}
	return 0;
}
