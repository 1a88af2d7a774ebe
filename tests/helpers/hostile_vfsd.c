/* hostile_vfsd: a stand-in for a compromised virtiofsd, launched by
 * tether-enter into a container (tests/virtiofs/test_enter_hostile.sh).
 *
 *   hostile_vfsd --version      records "probe" in $HOSTILE_DIR, prints a
 *                               Rust virtiofsd's version line
 *   hostile_vfsd [ARGS...]      looks for anything of the host's it holds,
 *                               writes the report $HOSTILE_DIR/report.PID,
 *                               then waits for a signal (recorded there)
 *
 * The report: "fd N LINK fstype 0xT" for each open fd (from a walk of
 * /proc/self/fd), "handle N ok|ERRNO" for an open_by_handle_at through
 * each fd of the guesses that open a filesystem's root directory on ext4
 * and xfs (inode 2, 128, 64, generation 0) and on tmpfs (inode 1), "cwd",
 * "root", "rlimit R CUR MAX" for core and nofile, then "ready".  On a
 * signal: "signal N".  HOSTILE_DIR defaults to /run/sockets. */
#include "buf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

static char text[8192];
static struct buf rep = BUF_INIT(text);

static void save(const char *name)
{
	char path[256];
	struct buf b = BUF_INIT(path);
	const char *dir = getenv("HOSTILE_DIR");
	int fd;

	buf_printf(&b, "%s/%s", dir ? dir : "/run/sockets", name);
	fd = open(buf_cstr(&b), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (write(fd, rep.p, rep.len) < 0)
			_exit(3);
		close(fd);
	}
	rep.len = 0;
}

/* open_by_handle_at through fd with the root-directory guesses. */
static void handles(int fd)
{
	static const unsigned inos[] = { 2, 128, 64, 1 };
	struct { struct file_handle h; unsigned v[3]; } fh;
	int opened = -1, err = 0;

	for (unsigned i = 0; i < sizeof(inos) / sizeof(inos[0]) && opened < 0; i++) {
		memset(&fh, 0, sizeof(fh));
		fh.h.handle_type = 1;	/* FILEID_INO32_GEN */
		fh.h.handle_bytes = 8;
		fh.v[0] = inos[i];
		opened = open_by_handle_at(fd, &fh.h, O_RDONLY | O_CLOEXEC);
		if (opened < 0)
			err = errno;
	}
	if (opened >= 0) {
		buf_printf(&rep, "handle %d ok\n", fd);
		close(opened);
	} else {
		errno = err;
		buf_printf(&rep, "handle %d %m\n", fd);
	}
}

static void walk_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int self = d ? dirfd(d) : -1;

	while (d && (e = readdir(d))) {
		char path[64], link[256];
		struct buf b = BUF_INIT(path);
		struct statfs sf;
		ssize_t n;
		int fd = atoi(e->d_name);

		if (e->d_name[0] == '.' || fd == self)
			continue;
		buf_printf(&b, "/proc/self/fd/%d", fd);
		n = readlink(buf_cstr(&b), link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = '\0';
		buf_printf(&rep, "fd %d %s fstype 0x%lx\n", fd, link,
			   fstatfs(fd, &sf) == 0 ? (unsigned long)sf.f_type : 0UL);
		handles(fd);
	}
	if (d)
		closedir(d);
}

static void limits(void)
{
	static const int which[] = { RLIMIT_CORE, RLIMIT_NOFILE, RLIMIT_FSIZE };

	for (unsigned i = 0; i < sizeof(which) / sizeof(which[0]); i++) {
		struct rlimit l;

		getrlimit(which[i], &l);
		buf_printf(&rep, "rlimit %d %llu %llu\n", which[i], (unsigned long long)l.rlim_cur,
			   (unsigned long long)l.rlim_max);
	}
}

int main(int argc, char **argv)
{
	char name[32], link[256];
	struct buf nb = BUF_INIT(name);
	sigset_t set;
	int sig;
	ssize_t n;

	if (argc > 1 && !strcmp(argv[1], "--version")) {
		buf_printf(&rep, "probe %d\n", (int)getpid());
		save("probe");
		if (write(1, "virtiofsd 1.13.2\n", 17) < 0)
			return 1;
		return 0;
	}
	buf_printf(&nb, "report.%d", (int)getpid());
	buf_cstr(&nb);
	walk_fds();
	n = readlink("/proc/self/cwd", link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	buf_printf(&rep, "cwd %s\n", link);
	n = readlink("/proc/self/root", link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	buf_printf(&rep, "root %s\n", link);
	limits();
	buf_str(&rep, "ready\n");
	save(name);
	/* Every stop signal is taken by sigwait, but SIGQUIT keeps its
	 * default: the test sees whether a core dump would be written. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, 0);
	if (sigwait(&set, &sig) == 0) {
		buf_printf(&rep, "signal %d\n", sig);
		save(name);
	}
	return 0;
}
