/* A recording stand-in for virtiofsd: writes what it was given (argv,
 * environment, cgroups, namespaces, parent, fds, signal state,
 * capabilities, oom_score_adj, rlimits) to $FAKE_RECORD (without it, to
 * stdout: a caller that passes no environment), one fact a line, then
 * waits to be killed or exits with $FAKE_EXIT.
 *   --version prints $FAKE_VERSION (default "virtiofsd 1.13.2"). */
#include "buf.h"
#include "fd.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

extern char **environ;

static char text[65536];
static struct buf rec = BUF_INIT(text);

static void file_lines(const char *tag, const char *path, const char *only)
{
	char data[8192];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, data, sizeof(data) - 1);

	if (fd >= 0)
		close(fd);
	if (n < 0)
		n = 0;
	data[n] = '\0';
	for (char *l = strtok(data, "\n"); l; l = strtok(0, "\n"))
		if (!only || !strncmp(l, only, strlen(only)))
			buf_printf(&rec, "%s %s\n", tag, l);
}

/* Each open fd and what it is; the listing's own fd is left out. */
static int one_fd(const char *name, void *ctx)
{
	char path[64], link[256];
	struct buf p = BUF_INIT(path);
	ssize_t n;

	(void)ctx;
	buf_printf(&p, "/proc/self/fd/%s", name);
	n = readlink(buf_cstr(&p), link, sizeof(link) - 1);
	if (n < 0)
		return 0;
	link[n] = '\0';
	if (strncmp(link, "/proc/", 6) || !strstr(link, "/fd"))
		buf_printf(&rec, "fd %s %s\n", name, link);
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = getenv("FAKE_RECORD"), *code = getenv("FAKE_EXIT");
	static const char *const ns[] = { "cgroup", "ipc", "mnt", "net", "pid", "uts", "user" };
	char link[PATH_MAX], tmp[PATH_MAX];
	struct buf t = BUF_INIT(tmp);
	long n;
	int fd;

	if (argc > 1 && !strcmp(argv[1], "--version")) {
		const char *v = getenv("FAKE_VERSION");
		struct buf o = BUF_INIT(link);

		buf_printf(&o, "%s\n", v ? v : "virtiofsd 1.13.2");
		return write(1, o.p, o.len) < 0;
	}
	for (int i = 0; i < argc; i++)
		buf_printf(&rec, "argv %s\n", argv[i]);
	for (char **e = environ; *e; e++)
		buf_printf(&rec, "env %s\n", *e);
	file_lines("cgroup", "/proc/self/cgroup", 0);
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		struct buf p = BUF_INIT(tmp);
		ssize_t len;

		buf_printf(&p, "/proc/self/ns/%s", ns[i]);
		len = readlink(buf_cstr(&p), link, sizeof(link) - 1);
		buf_printf(&rec, "ns %s %.*s\n", ns[i], (int)(len < 0 ? 0 : len), link);
	}
	file_lines("status", "/proc/self/status", "PPid:");
	file_lines("status", "/proc/self/status", "Sig");
	file_lines("status", "/proc/self/status", "ShdPnd");
	file_lines("status", "/proc/self/status", "Cap");
	file_lines("status", "/proc/self/status", "NoNewPrivs");
	file_lines("oom", "/proc/self/oom_score_adj", 0);
	for (int r = 0; r < RLIM_NLIMITS; r++) {
		struct rlimit l;

		getrlimit(r, &l);
		buf_printf(&rec, "rlimit %d %llu %llu\n", r, (unsigned long long)l.rlim_cur,
			   (unsigned long long)l.rlim_max);
	}
	dir_each("/proc/self/fd", one_fd, 0);
	buf_str(&rec, "done\n");
	if (write(1, "fake virtiofsd started\n", 23) < 0 || (!path && write(1, rec.p, rec.len) < 0))
		return 99;
	if (path) {
		buf_printf(&t, "%s.tmp", path);
		fd = open(buf_cstr(&t), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, rec.p, rec.len) != (ssize_t)rec.len || close(fd) < 0 ||
		    rename(tmp, path) < 0)
			return 98;
	}
	if (code && !parse_long(code, 0, 255, &n))
		return n;
	for (;;)
		pause();
}
