/* Fills a listening unix stream socket's queue of unaccepted connections,
 * as a placeholder that never accepts (stopped, frozen) would leave it:
 * connects without blocking until the kernel answers EAGAIN, prints
 * "full N" on stdout, then holds the connections until killed.  With -l
 * it first listens at PATH itself (backlog 0) and never accepts: a
 * stand-in for any live listener that is wedged.
 *
 *   backlog_fill [-l] PATH */
#include "sock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A listener at path that never accepts; its fd is kept open. */
static int listen_only(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || unix_addr_op(fd, path, UNIX_BIND) < 0 || listen(fd, 0) < 0) {
		fprintf(stderr, "listen %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int n = 0, fd, own = argc == 3 && !strcmp(argv[1], "-l");

	if (argc != 2 + own) {
		fprintf(stderr, "usage: backlog_fill [-l] PATH\n");
		return 2;
	}
	argv += own;
	if (own && listen_only(argv[1]) < 0)
		return 1;
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
