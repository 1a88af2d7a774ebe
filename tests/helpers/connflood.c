/* connflood PATH NPROC: NPROC processes connect to the Unix stream socket
 * PATH and close, in a loop, until this process or its parent is killed
 * (PR_SET_PDEATHSIG all the way down).  A container's users flooding a
 * placeholder (tests/virtiofs/test_enter_hostile.sh). */
#include "fd.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	long n;

	if (argc != 3 || parse_long(argv[2], 1, 1024, &n) || strlen(argv[1]) >= sizeof(sa.sun_path))
		return 2;
	memcpy(sa.sun_path, argv[1], strlen(argv[1]) + 1);
	/* It too follows its parent (the test's job): left running, it would
	 * load the machine for every later suite. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() == 1)
		return 1;
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid > 0)
			continue;
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() == 1)
			_exit(1);
		for (;;) {
			int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

			if (fd < 0)
				_exit(1);
			connect(fd, (struct sockaddr *)&sa, sizeof(sa));
			close(fd);
		}
	}
	while (wait(0) > 0)
		;
	return 0;
}
