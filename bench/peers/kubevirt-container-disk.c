/* A RE-IMPLEMENTATION, for benchmarks only, of the observable behaviour of
 * KubeVirt's container-disk socket holder (cmd/container-disk-v2alpha),
 * written for tether from the behaviour documented in
 * shared/research/deckhouse-patches.md section 1 — not KubeVirt's code.
 *
 * Documented behaviour reproduced: SIGTERM handler that unlinks the socket
 * and exits 0; mkdir of dirname (one level); non-blocking AF_UNIX stream
 * socket bound at P.sock, listen backlog 50; then forever: sleep 1 s if
 * the previous pass accepted nothing, stat the socket (gone: log, exit 0),
 * accept (EAGAIN: nothing; another error: exit 1), close what was
 * accepted.  Logging is stdio with asctime(), as documented.  Only the
 * parts a benchmark can observe are here (no --no-op, no long paths). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static char sock_path[108];

static void logf_(const char *what)
{
	time_t t = time(0);

	fprintf(stderr, "%s error: %s\n", asctime(localtime(&t)), what);
}

static void on_term(int sig)
{
	(void)sig;
	unlink(sock_path);
	exit(0);
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[108];
	struct stat st;
	int fd, got = 1;

	signal(SIGTERM, on_term);
	if (argc != 3 || strcmp(argv[1], "-c") || strlen(argv[2]) > 102)
		return 1;
	snprintf(sock_path, sizeof(sock_path), "%s.sock", argv[2]);
	snprintf(dir, sizeof(dir), "%s", argv[2]);
	if (stat(dirname(dir), &st) < 0 && mkdir(dir, 0777) < 0)
		return 1;
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 50) < 0) {
		logf_("bind/listen failed");
		return 1;
	}
	for (;;) {
		if (!got)
			sleep(1);
		if (stat(sock_path, &st) < 0) {
			logf_("socket does not exist anymore");
			return 0;
		}
		int c = accept(fd, 0, 0);
		if (c < 0) {
			if (errno != EAGAIN) {
				logf_("accept failed");
				return 1;
			}
			got = 0;
			continue;
		}
		close(c);
		got = 1;
	}
}
