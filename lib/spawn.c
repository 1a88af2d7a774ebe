#include "proc.h"
#include "fd.h"
#include "log.h"
#include "sig.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

extern char **environ;

int exec_failure_code(int err)
{
	return err == ENOENT || err == ENOTDIR ? 127 : 126;
}

int exit_code_of(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return 255;
}

/* Runs in the child with every signal still blocked, so tcsetpgrp cannot
 * stop it with SIGTTOU. */
static void take_foreground(void)
{
	if (setpgid(0, 0) < 0)
		log_warn("setpgid: %m");
	if (tcsetpgrp(STDIN_FILENO, getpgrp()) < 0 && errno != ENOTTY &&
	    errno != ENXIO && errno != EBADF)
		log_warn("tcsetpgrp on stdin: %m");
}

static void child(const struct spawn_req *r, int report)
{
	if (r->new_pgrp)
		take_foreground();
	if (r->pdeathsig && prctl(PR_SET_PDEATHSIG, r->pdeathsig) < 0)
		log_warn("prctl PR_SET_PDEATHSIG: %m");
	if (r->ignore_chld)
		signal(SIGCHLD, SIG_IGN);
	if (sig_setmask(r->mask, 0) < 0) {
		log_error("sigprocmask in child: %m");
		_exit(126);
	}
	if (r->out_fd > 0 && (dup2(r->out_fd, STDOUT_FILENO) < 0 ||
			      dup2(r->out_fd, STDERR_FILENO) < 0)) {
		log_error("dup2 in child: %m");
		_exit(126);
	}
	if (r->envp)
		environ = (char **)r->envp;
	execvp(r->argv[0], r->argv);
	int err = errno;
	if (report >= 0 && write(report, &err, sizeof(err)) < 0)
		err = errno;
	/* The mask is back to the inherited one; the line below must not
	 * depend on signals, and nothing else runs before _exit. */
	log_error("exec %s: %m", r->argv[0]);
	_exit(exec_failure_code(err));
}

/* The exec report: a close-on-exec pipe that a successful exec closes
 * and a failed one writes the errno into.  The wait is on our own child,
 * between its fork and its exec. */
static void exec_result(int *p, int *err)
{
	ssize_t n;

	close(p[1]);
	do
		n = read(p[0], err, sizeof(*err));
	while (n < 0 && errno == EINTR);
	if (n != sizeof(*err))
		*err = 0;
	close(p[0]);
}

/* _Fork, not fork: no role starts a thread or registers an atfork
 * handler, and musl's fork, which takes its internal locks for threads,
 * links 1.3 KB of lock and clock code into binaries counted in bytes. */
pid_t spawn(const struct spawn_req *r)
{
	int p[2] = { -1, -1 };
	pid_t pid;

	if (r->exec_errno && pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = _Fork();
	if (pid == 0)
		child(r, p[1]);
	if (p[0] < 0)
		return pid;
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return pid;
	}
	exec_result(p, r->exec_errno);
	return pid;
}

void drop_inherited(void)
{
	drop_inherited_from(3);
}

void drop_inherited_from(int lowfd)
{
	if (fd_close_from(lowfd) < 0)
		log_warn("closing inherited fds: %m");
	if (chdir("/") < 0)
		log_warn("chdir /: %m");
}
