/* Test client for container-disk: connects to a unix socket (any path
 * length, through lib/sock.c) and waits for the holder to close.
 *
 *   sockclient PATH [COUNT]   COUNT sequential connections (default 1);
 *                             prints "ok N failed M" and exits 1 if any
 *                             connect failed
 *   sockclient -p PATH        prints the listener's pid (SO_PEERCRED)
 *   sockclient -l PATH SECS   connects in a loop for SECS seconds, ignoring
 *                             failures; prints "ok N failed M"
 *   sockclient -r PATH PID    removes PATH and prints the microseconds
 *                             until process PID exits (pidfd, no polling),
 *                             then the wall-clock time of the removal in
 *                             microseconds since the epoch */
#include "fd.h"
#include "sock.h"

#include <poll.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int one(const char *path)
{
	char c;
	int fd = unix_connect(path, SOCK_STREAM);

	if (fd < 0)
		return -1;
	/* The holder closes at once: read sees EOF. */
	if (read(fd, &c, 1) != 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	long n = 1, ok = 0, bad = 0;
	int fd;

	if (argc == 3 && !strcmp(argv[1], "-p")) {
		fd = unix_connect(argv[2], SOCK_STREAM);
		if (fd < 0) {
			perror(argv[2]);
			return 1;
		}
		printf("%d\n", (int)unix_peer_pid(fd));
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "-r")) {
		long pid;
		struct timespec t0, t, wall;
		struct pollfd p = { .events = POLLIN };

		if (parse_long(argv[3], 1, 1 << 22, &pid))
			return 2;
		p.fd = syscall(SYS_pidfd_open, (int)pid, 0);
		if (p.fd < 0) {
			perror("pidfd_open");
			return 1;
		}
		clock_gettime(CLOCK_REALTIME, &wall);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (unlink(argv[2]) < 0) {
			perror(argv[2]);
			return 1;
		}
		if (poll(&p, 1, 10000) != 1) {
			fprintf(stderr, "%ld did not exit within 10 s\n", pid);
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		printf("%ld %lld\n", (t.tv_sec - t0.tv_sec) * 1000000 +
				     (t.tv_nsec - t0.tv_nsec) / 1000,
		       (long long)wall.tv_sec * 1000000 + wall.tv_nsec / 1000);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "-l")) {
		long secs;
		struct timespec t0, t;

		if (parse_long(argv[3], 1, 600, &secs))
			return 2;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do {
			one(argv[2]) ? bad++ : ok++;
			clock_gettime(CLOCK_MONOTONIC, &t);
		} while (t.tv_sec - t0.tv_sec < secs);
		printf("ok %ld failed %ld\n", ok, bad);
		return 0;
	}
	if (argc < 2 || argc > 3 || (argc == 3 && parse_long(argv[2], 1, 10000000, &n))) {
		fprintf(stderr, "usage: sockclient PATH [COUNT] | -p PATH | -l PATH SECS\n");
		return 2;
	}
	for (long i = 0; i < n; i++)
		one(argv[1]) ? bad++ : ok++;
	printf("ok %ld failed %ld\n", ok, bad);
	return bad ? 1 : 0;
}
