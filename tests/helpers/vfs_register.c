/* vfs_register SOCKET PID: registers PID with a placeholder as virtiofsd
 * (a pidfd over SCM_RIGHTS) and prints the answer.  Exit 0 on "OK". */
#include "fd.h"
#include "fdpass.h"
#include "pidfd.h"
#include "sock.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char answer[64];
	long pid;
	int s, fd;
	ssize_t n;

	if (argc != 3 || parse_long(argv[2], 1, 1 << 22, &pid))
		return 2;
	if ((s = unix_connect(argv[1], SOCK_STREAM)) < 0 || (fd = pidfd_open_pid(pid)) < 0 ||
	    fd_send(s, "REGISTER\n", 9, fd) < 0 || (n = read(s, answer, sizeof(answer))) <= 0)
		return 1;
	if (write(1, answer, n) < 0)
		return 1;
	return strncmp(answer, "OK", 2) != 0;
}
