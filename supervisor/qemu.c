#include "qemu.h"
#include "buf.h"
#include "fd.h"
#include "log.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>

/* "PID (COMM) S PPID ...": COMM may hold spaces and parentheses. */
static int qemu_comm(const char *stat, pid_t self)
{
	const char *open = strchr(stat, '('), *close = strrchr(stat, ')');
	long ppid = 0;

	if (!open || !close || close - open < 9)
		return 0;
	if (strncmp(open + 1, "qemu-system", 11) && strncmp(open + 1, "qemu-kvm", 8))
		return 0;
	for (const char *p = close + 4; *p >= '0' && *p <= '9'; p++)
		ppid = ppid * 10 + (*p - '0');
	return ppid == self;
}

static int visit_proc(const char *name, void *ctx)
{
	struct qemu_set *q = ctx;
	char path[64], stat[512];
	struct buf b = BUF_INIT(path);
	long pid;

	if (parse_long(name, 2, 1 << 22, &pid) || q->n == MAX_QEMU)
		return 0;
	buf_printf(&b, "/proc/%ld/stat", pid);
	if (read_small(AT_FDCWD, buf_cstr(&b), stat, sizeof(stat)) <= 0)
		return 0;
	if (qemu_comm(stat, q->self))
		q->pid[q->n++] = pid;
	return 0;
}

int qemu_find(struct qemu_set *q)
{
	q->n = 0;
	if (proc_children_each(visit_proc, q) < 0 && dir_each("/proc", visit_proc, q) < 0)
		log_warn("scanning /proc for QEMU: %m");
	return q->n;
}

int qemu_send(int sig, void *ctx)
{
	struct qemu_set *q = ctx;

	for (int i = 0; i < q->n; i++)
		if (kill(q->pid[i], sig) < 0 && errno != ESRCH)
			log_warn("kill QEMU pid %d: %m", q->pid[i]);
	return 0;
}

int qemu_reaped(struct qemu_set *q, pid_t pid)
{
	for (int i = 0; i < q->n; i++)
		if (q->pid[i] == pid) {
			q->pid[i] = q->pid[--q->n];
			log_info("QEMU (pid %d) has exited", pid);
			return 1;
		}
	return 0;
}
