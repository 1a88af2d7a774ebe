#include "cleanup.h"
#include "buf.h"
#include "fd.h"
#include "log.h"
#include "sock.h"

#include <errno.h>
#include <string.h>

struct glob_ctx {
	char dir[4096];
	const char *pattern;	/* the last component */
};

int wild_match(const char *p, const char *s)
{
	if (*s == '.' && *p != '.')
		return 0;
	for (const char *star = 0, *back = 0;;) {
		if (*p == '*') {
			star = ++p;
			back = s;
		} else if (*s && (*p == '?' || *p == *s)) {
			p++;
			s++;
		} else if (!*s && !*p) {
			return 1;
		} else if (star && *back) {
			p = star;
			s = ++back;
		} else {
			return 0;
		}
	}
}

static int remove_one(const char *name, void *ctx)
{
	struct glob_ctx *g = ctx;
	char path[4096 + 256];
	struct buf b = BUF_INIT(path);

	if (!wild_match(g->pattern, name))
		return 0;
	buf_printf(&b, "%s/%s", g->dir, name);
	/* Only sockets: the pattern must never cost anyone a file. */
	if (!b.truncated)
		unlink_socket(buf_cstr(&b), "socket");
	return 0;
}

/* Never recursive.  glob(3) is not used: with musl it
 * pulls in the passwd database for ~user expansion, and fnmatch
 * the wide-character tables. */
void remove_sockets(const char *glob)
{
	struct glob_ctx g;

	if (path_dir(glob, g.dir, sizeof(g.dir)) < 0)
		return;
	g.pattern = path_base(glob);
	if (dir_each(g.dir, remove_one, &g) < 0 && errno != ENOENT)
		log_warn("reading %s: %m", g.dir);
}
