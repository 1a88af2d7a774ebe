/* peercred SOCKET: connects to a unix socket and prints the peer's "pid uid gid" (SO_PEERCRED). */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

int main(int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd;

	if (argc != 2 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "usage: peercred SOCKET\n");
		return 2;
	}
	memcpy(addr.sun_path, argv[1], strlen(argv[1]));
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		perror(argv[1]);
		return 1;
	}
	printf("%d %d %d\n", (int)cred.pid, (int)cred.uid, (int)cred.gid);
	return 0;
}
