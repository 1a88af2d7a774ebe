/* vfs_register: plays tether-enter's side of the registration with a
 * placeholder (a pidfd, and optionally the stop channel, over SCM_RIGHTS)
 * and prints the answer.  Exit 0 on "OK", 1 otherwise, 2 on bad usage.
 *
 *   vfs_register [OPTIONS] SOCKET PID
 *   vfs_register [OPTIONS] SOCKET --self PROGRAM [ARGS...]
 *
 *   --self      register this process, then (on OK) exec PROGRAM
 *   --orphan    with --self: first wait until the parent has exited, so
 *               that the process is a child of its PID namespace's init
 *   --channel   also send [stop_r, stop_w], set up as tether-enter does:
 *               stop_r O_ASYNC|O_NONBLOCK, F_SETOWN the registered process,
 *               F_SETSIG SIGTERM
 *   --owner N   the channel's owner is N instead (a channel that does not
 *               signal the registered process) */
#include "fd.h"
#include "fdpass.h"
#include "pidfd.h"
#include "sock.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Returns once the parent has exited (and we are the child of the PID
 * namespace's init): its pidfd turns readable after the kernel has
 * re-parented its children. */
static int orphaned(void)
{
	struct pollfd p = { getppid() == 1 ? -1 : pidfd_open_pid(getppid()), POLLIN, 0 };

	if (getppid() == 1)
		return 0;
	return p.fd < 0 || poll(&p, 1, 10000) != 1 ? -1 : 0;
}

static int channel(int fds[3], pid_t owner)
{
	if (pipe2(fds + 1, O_CLOEXEC) < 0 ||
	    fcntl(fds[1], F_SETOWN, owner) < 0 || fcntl(fds[1], F_SETSIG, SIGTERM) < 0 ||
	    fcntl(fds[1], F_SETFL, O_ASYNC | O_NONBLOCK) < 0)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	int i = 1, self = 0, orphan = 0, with_channel = 0, fds[3], s;
	long pid = 0, owner = 0;
	char answer[64];
	ssize_t n;

	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--orphan"))
			orphan = 1;
		else if (!strcmp(argv[i], "--channel"))
			with_channel = 1;
		else if (!strcmp(argv[i], "--owner") && i + 1 < argc &&
			 !parse_long(argv[i + 1], 1, 1 << 22, &owner))
			with_channel = 1, i++;
		else
			return 2;
	}
	if (i + 2 > argc)
		return 2;
	if (!strcmp(argv[i + 1], "--self"))
		self = 1, pid = getpid();
	else if (i + 2 != argc || parse_long(argv[i + 1], 1, 1 << 22, &pid))
		return 2;
	if ((self && i + 3 > argc) || (orphan && (!self || orphaned() < 0)))
		return 2;
	if ((s = unix_connect(argv[i], SOCK_STREAM)) < 0 || (fds[0] = pidfd_open_pid(pid)) < 0 ||
	    (with_channel && channel(fds, owner ? owner : pid) < 0) ||
	    fd_send_fds(s, "REGISTER\n", 9, fds, with_channel ? 3 : 1) < 0 ||
	    (n = read(s, answer, sizeof(answer))) <= 0)
		return 1;
	if (write(1, answer, n) < 0 || strncmp(answer, "OK", 2))
		return 1;
	if (!self)
		return 0;
	close(s);
	execvp(argv[i + 2], argv + i + 2);
	return 127;
}
