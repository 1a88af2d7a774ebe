/*
 * The program of the podman smoke test: listens on a unix socket (argv[1]), reports on stdout
 * what it sees of its container, and on SIGTERM removes the socket and exits 42.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	sigset_t set;
	int fd, sig, ro, rw;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	if (argc != 2 || strlen(argv[1]) >= sizeof(addr.sun_path) ||
	    sigprocmask(SIG_BLOCK, &set, NULL))
		return 2;
	memcpy(addr.sun_path, argv[1], strlen(argv[1]));
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(fd, 8)) {
		perror("smoke: socket");
		return 2;
	}
	ro = open("/rootfs-probe", O_WRONLY | O_CREAT, 0600) < 0 && errno == EROFS;
	rw = open("/scratch/probe", O_WRONLY | O_CREAT, 0600) >= 0;
	printf("smoke: pid=%d uid=%d rootfs_ro=%d scratch_rw=%d\n", (int)getpid(), (int)getuid(), ro, rw);
	fflush(stdout);
	fprintf(stderr, "smoke: listening on %s\n", argv[1]);
	if (sigwait(&set, &sig))
		return 2;
	unlink(argv[1]);
	printf("smoke: signal %d, exiting 42\n", sig);
	return 42;
}
