/* Fills a listening unix stream socket's queue of unaccepted connections,
 * as a placeholder that never accepts (stopped, frozen) would leave it:
 * connects without blocking until the kernel answers EAGAIN, prints
 * "full N" on stdout, then holds the connections until killed.
 *
 *   backlog_fill PATH */
#include "sock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int n = 0, fd;

	if (argc != 2) {
		fprintf(stderr, "usage: backlog_fill PATH\n");
		return 2;
	}
	for (;;) {
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) {
			perror("socket");
			return 1;
		}
		if (unix_addr_op(fd, argv[1], UNIX_CONNECT) < 0)
			break;
		n++;
	}
	if (errno != EAGAIN) {
		fprintf(stderr, "connect %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	close(fd);
	printf("full %d\n", n);
	fflush(stdout);
	for (;;)
		pause();
}
