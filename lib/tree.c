#include "proc.h"
#include "buf.h"
#include "fd.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* Parent of pid from /proc/PID/stat; the command name may hold spaces and
 * parentheses, so parsing starts after the last ')'. */
pid_t proc_parent(pid_t pid)
{
	char path[32], stat[512];
	char *p, *end;
	long ppid = 0;
	struct buf b = BUF_INIT(path);

	buf_printf(&b, "/proc/%d/stat", (int)pid);
	if (read_small(AT_FDCWD, buf_cstr(&b), stat, sizeof(stat)) < 0)
		return -1;
	p = strrchr(stat, ')');
	if (!p || !(p = strchr(p + 2, ' ')))
		return -1;
	for (end = p + 1; *end >= '0' && *end <= '9'; end++)
		ppid = ppid * 10 + (*end - '0');
	return ppid;
}

int proc_children_each(int (*fn)(const char *name, void *ctx), void *ctx)
{
	char path[64], list[4096], *p, *end;
	struct buf b = BUF_INIT(path);
	ssize_t n;

	/* A single-threaded process: its one task is its pid. */
	buf_printf(&b, "/proc/self/task/%d/children", (int)getpid());
	n = read_small(AT_FDCWD, buf_cstr(&b), list, sizeof(list));
	if (n < 0 || n == (ssize_t)sizeof(list) - 1)
		return -1;
	for (p = list; *p; p = end) {
		end = p + strcspn(p, " ");
		if (*end)
			*end++ = '\0';
		if (*p)
			fn(p, ctx);
	}
	return 0;
}

static int is_descendant(pid_t pid, pid_t self)
{
	for (int depth = 0; depth < 4096 && pid > 1; depth++) {
		pid = proc_parent(pid);
		if (pid == self)
			return 1;
	}
	return 0;
}

struct scan {
	pid_t self;
	int sig;
	int count;
};

static int visit(const char *name, void *ctx)
{
	struct scan *sc = ctx;
	long pid;

	if (!parse_long(name, 2, 1 << 22, &pid) && pid != sc->self &&
	    is_descendant(pid, sc->self) && kill(pid, sc->sig) == 0)
		sc->count++;
	return 0;
}

static int signal_descendants(int sig)
{
	struct scan sc = { getpid(), sig, 0 };

	if (dir_each("/proc", visit, &sc) < 0)
		return -1;
	return sc.count;
}

int tree_signal(int sig)
{
	if (getpid() == 1) {
		if (kill(-1, sig) == 0)
			return 1;
		return errno == ESRCH ? 0 : -1;
	}
	return signal_descendants(sig);
}
