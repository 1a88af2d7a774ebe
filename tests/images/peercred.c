/* peercred SOCKET: connects to a unix socket and prints the peer's "pid uid gid" (SO_PEERCRED).
 * A path longer than sun_path (kubelet's pod directories make long ones) is reached through its
 * directory, as /proc/self/fd/<dir fd>/<name>: the same socket file, a short address. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct ucred cred;
	socklen_t len = sizeof(cred);
	const char *path, *slash;
	int fd, n;

	if (argc != 2) {
		fprintf(stderr, "usage: peercred SOCKET\n");
		return 2;
	}
	path = argv[1];
	slash = strrchr(path, '/');
	if (strlen(path) < sizeof(addr.sun_path)) {
		memcpy(addr.sun_path, path, strlen(path));
	} else if (slash && slash != path) {
		char dir[4096];
		int dfd;

		if ((size_t)(slash - path) >= sizeof(dir)) {
			fprintf(stderr, "%s: path too long\n", path);
			return 2;
		}
		memcpy(dir, path, slash - path);
		dir[slash - path] = '\0';
		dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0) {
			perror(dir);
			return 1;
		}
		n = snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/%s", dfd, slash + 1);
		if (n < 0 || (size_t)n >= sizeof(addr.sun_path)) {
			fprintf(stderr, "%s: socket name too long\n", path);
			return 2;
		}
	} else {
		fprintf(stderr, "%s: socket name too long\n", path);
		return 2;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		perror(path);
		return 1;
	}
	printf("%d %d %d\n", (int)cred.pid, (int)cred.uid, (int)cred.gid);
	return 0;
}
