/* The target's cgroups in every layout: v2, v1 (each hierarchy, named or
 * comma-joined) and hybrid.  Each line of its /proc/PID/cgroup is mapped
 * to a directory through our mountinfo, opened once, and joined by
 * writing to an existing cgroup.procs (never created). */
#include "enter.h"
#include "fd.h"
#include "buf.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#define CGROUP_SUPER_MAGIC 0x27e0eb
#define CGROUP2_SUPER_MAGIC 0x63677270

static char lines[4096];

/* 1 if every comma-separated item of want is an item of have. */
static int has_all(const char *want, size_t wlen, const char *have)
{
	while (wlen) {
		size_t n = memchr(want, ',', wlen) ? (size_t)((char *)memchr(want, ',', wlen) - want) : wlen;
		const char *h = have;
		int found = 0;

		while (*h && !found) {
			size_t m = strcspn(h, ",");

			found = m == n && !memcmp(h, want, n);
			h += m + (h[m] == ',');
		}
		if (!found)
			return 0;
		want += n + (n < wlen);
		wlen -= n + (n < wlen);
	}
	return 1;
}

/* Splits a mountinfo line into its fields: 0 root, 1 mount point,
 * 2 fstype, 3 super options. */
static int fields(char *line, char *f[4])
{
	char *tok[64];
	int n = 0, dash = -1;

	for (char *p = strtok(line, " "); p && n < 64; p = strtok(0, " ")) {
		if (!strcmp(p, "-") && dash < 0)
			dash = n;
		tok[n++] = p;
	}
	if (dash < 6 || dash + 3 >= n)
		return -1;
	f[0] = tok[3];
	f[1] = tok[4];
	f[2] = tok[dash + 1];
	f[3] = tok[dash + 3];
	return 0;
}

/* 1 if the line is a cgroup mount (then matched to the target's lines,
 * with prefix before its mount point), 0 if not. */
static int match(struct target *t, char *mline, const char *prefix)
{
	char *f[4];

	if (fields(mline, f) < 0 || (strcmp(f[2], "cgroup2") && strcmp(f[2], "cgroup")))
		return 0;
	for (int i = 0; i < t->ncg; i++) {
		struct cgline *c = &t->cgs[i];
		char *ctrls = strchr(c->line, ':') + 1, *path = strchr(ctrls, ':') + 1;
		size_t rlen = strlen(f[0]);
		struct buf b = BUF_INIT(c->dir);

		if (c->dir[0] || strcmp(f[2], c->v2 ? "cgroup2" : "cgroup"))
			continue;
		if (!c->v2 && !has_all(ctrls, path - 1 - ctrls, f[3]))
			continue;
		if (!strcmp(f[0], "/"))
			rlen = 0;
		else if (strncmp(path, f[0], rlen) || (path[rlen] && path[rlen] != '/'))
			continue;	/* a bind mount of another part of the tree */
		buf_printf(&b, "%s%s%s", prefix, f[1], path + rlen);
		buf_cstr(&b);
	}
	return 1;
}

/* How many cgroup mounts the mountinfo file has, or -1. */
static int scan_mounts(struct target *t, const char *file, const char *prefix)
{
	char buf[8192];
	size_t have = 0;
	ssize_t n;
	int fd = openat(t->procfd, file, O_RDONLY | O_CLOEXEC), found = 0;

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0) {
		char *start = buf, *nl;

		have += n;
		buf[have] = '\0';
		while ((nl = strchr(start, '\n'))) {
			*nl = '\0';
			found += match(t, start, prefix);
			start = nl + 1;
		}
		have -= start - buf;
		memmove(buf, start, have);
		if (have == sizeof(buf) - 1)
			have = 0;	/* an absurd line: skipped */
	}
	close(fd);
	return n < 0 ? -1 : found;
}

int cg_resolve(struct target *t)
{
	char *p = lines;
	int found;

	memcpy(lines, t->cg, sizeof(lines));
	t->v2 = -1;
	t->ncg = 0;
	while (*p) {
		char *nl = strchr(p, '\n'), *c1, *c2;
		struct cgline *c = &t->cgs[t->ncg];

		if (nl)
			*nl = '\0';
		c1 = strchr(p, ':');
		c2 = c1 ? strchr(c1 + 1, ':') : 0;
		if (!c2 || c2[1] != '/' || strstr(c2, "/..") || strstr(c2, " (deleted)")) {
			log_error("target pid %d: cgroup line '%s' is not usable", t->pid, p);
			return -1;
		}
		if (t->ncg == MAX_CG) {
			log_error("target pid %d: more than %d cgroup hierarchies", t->pid, MAX_CG);
			return -1;
		}
		c->line = p;
		c->v2 = c2 == c1 + 1 && !strncmp(p, "0:", 2);
		c->dirfd = -1;
		c->dir[0] = '\0';
		if (c->v2)
			t->v2 = t->ncg;
		t->ncg++;
		p = nl ? nl + 1 : p + strlen(p);
	}
	if ((found = scan_mounts(t, "self/mountinfo", "")) < 0) {
		log_error("reading /proc/self/mountinfo: %m");
		return -1;
	}
	/* In a caller's own mount namespace without any cgroupfs (a
	 * virt-handler-like container), the host's, as PID 1 sees them. */
	if (found == 0) {
		log_info("no cgroup hierarchy is mounted here: using PID 1's, through /proc/1/root");
		if (scan_mounts(t, "1/mountinfo", "/proc/1/root") < 0) {
			log_error("reading /proc/1/mountinfo: %m");
			return -1;
		}
	}
	for (int i = 0; i < t->ncg; i++) {
		struct cgline *c = &t->cgs[i];

		if (!c->dir[0]) {
			errno = ENOENT;
			log_error("cgroup '%s' of pid %d: its hierarchy is not mounted here: %m", c->line, t->pid);
			return -1;
		}
		if ((c->dirfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
			log_error("cgroup %s: %m", c->dir);
			return -1;
		}
	}
	return 0;
}

/* 0 if fd is on a filesystem of type magic; -1 if not (EXDEV: another). */
static int on_fs(int fd, unsigned long magic)
{
	struct statfs sf;

	if (fstatfs(fd, &sf) < 0)
		return -1;
	if ((unsigned long)sf.f_type == magic)
		return 0;
	errno = EXDEV;
	return -1;
}

static int join_one(const struct cgline *c, struct buf *msg)
{
	int fd = openat(c->dirfd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	unsigned long magic = c->v2 ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC;

	if (fd < 0 || on_fs(fd, magic) < 0 || write(fd, "0", 1) != 1) {
		buf_printf(msg, "cgroup %s/cgroup.procs: %m", c->dir);
		buf_cstr(msg);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int cg_move(const struct target *t, int skip_v2, char *msg, size_t len)
{
	struct buf b = { msg, 0, len, 0 };

	for (int i = 0; i < t->ncg; i++)
		if (!(skip_v2 && t->cgs[i].v2) && join_one(&t->cgs[i], &b) < 0)
			return -1;
	return 0;
}

/* The move counts only if the kernel says so: every line of our
 * /proc/self/cgroup (read through this host's /proc) equals the target's. */
int cg_verify(const struct target *t, char *msg, size_t len)
{
	char mine[4096];
	struct buf b = { msg, 0, len, 0 };

	if (read_small(t->procfd, "self/cgroup", mine, sizeof(mine)) < 0) {
		buf_printf(&b, "reading /proc/self/cgroup: %m");
	} else if (strcmp(mine, t->cg)) {
		const char *a = mine, *c = t->cg;

		while (*a && *a == *c)
			a++, c++;
		while (a > mine && a[-1] != '\n')
			a--;
		buf_printf(&b, "cgroup move not effective: we are in '%.*s'",
			   (int)strcspn(a, "\n"), a);
	} else {
		return 0;
	}
	buf_cstr(&b);
	return -1;
}
