/* Test helper: records every signal it receives, one "N\n" line per
 * signal appended to FILE, and exits 0 when it receives STOPSIG.
 * Writes "ready" as the first line once its signalfd exists.
 *   sigrecord FILE STOPSIG */
#include "buf.h"
#include "loop.h"
#include "sig.h"

#include <fcntl.h>
#include <unistd.h>

static void line(int fd, const char *s)
{
	char store[32];
	struct buf b = BUF_INIT(store);

	buf_printf(&b, "%s\n", s);
	if (write(fd, b.p, b.len) < 0)
		_exit(3);
}

int main(int argc, char **argv)
{
	sigset_t all;
	struct signalfd_siginfo si;
	int stop, fd, sfd;

	sig_fill(&all);
	sig_setmask(&all, 0);
	if (argc != 3 || (stop = sig_parse(argv[2])) < 0)
		return 2;
	fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	sfd = signalfd(-1, &all, SFD_CLOEXEC);
	if (fd < 0 || sfd < 0)
		return 1;
	line(fd, "ready");
	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		char num[16];
		struct buf b = BUF_INIT(num);

		buf_printf(&b, "%u", si.ssi_signo);
		line(fd, buf_cstr(&b));
		if ((int)si.ssi_signo == stop)
			return 0;
	}
	return 1;
}
