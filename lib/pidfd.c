#include "pidfd.h"
#include "buf.h"
#include "fd.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

/* Version 0 of the kernel's struct pidfd_info (64 bytes). */
struct pidfd_info0 {
	uint64_t mask;
	uint64_t cgroupid;
	uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid;
	uint32_t fsuid, fsgid;
	int32_t exit_code;
};
#define PIDFD_INFO_EXIT (1ULL << 3)
#define PIDFD_GET_INFO _IOWR(0xFF, 11, struct pidfd_info0)

int pidfd_open_pid(pid_t pid)
{
	return syscall(SYS_pidfd_open, pid, 0);
}

int pidfd_signal(int pidfd, int sig)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, 0, 0);
}

int pidfd_dup(int pidfd, int targetfd)
{
	return syscall(SYS_pidfd_getfd, pidfd, targetfd, 0);
}

pid_t pidfd_pid(int pidfd)
{
	char path[48];
	struct buf b = BUF_INIT(path);
	long pid;

	buf_printf(&b, "/proc/self/fdinfo/%d", pidfd);
	if (read_proc_field(buf_cstr(&b), "Pid", -1, 1 << 30, &pid) < 0)
		return -1;
	if (pid < 0)
		errno = ESRCH;
	return pid;
}

int pidfd_wait_status(int pidfd, int *wstatus)
{
	struct pidfd_info0 info = { .mask = PIDFD_INFO_EXIT };

	if (ioctl(pidfd, PIDFD_GET_INFO, &info) < 0)
		return -1;
	if (!(info.mask & PIDFD_INFO_EXIT))
		return errno = EAGAIN, -1;
	*wstatus = info.exit_code;
	return 0;
}

int pidfd_is_our_zombie(int pidfd)
{
	siginfo_t si = { 0 };

	return waitid(P_PIDFD, pidfd, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid != 0;
}

int pidfd_of_peer(int sock)
{
	struct ucred cred;
	socklen_t len = sizeof(int);
	int fd;

	if (getsockopt(sock, SOL_SOCKET, SO_PEERPIDFD, &fd, &len) == 0)
		return fd;
	if (errno != ENOPROTOOPT)
		return -1;
	len = sizeof(cred);
	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -1;
	return pidfd_open_pid(cred.pid);
}
