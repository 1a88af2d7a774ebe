/* virt-launcher-monitor's log dumps. */
#include "monitor.h"
#include "buf.h"
#include "fd.h"
#include "lines.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PASST_LOG "/var/run/kubevirt/passt.log"
#define QEMU_LOG_DIR "/run/kubevirt-private/libvirt/qemu/log"
#define MAX_LOGS 64

static char line_buf[LINE_BUF];	/* the monitor's longest line too */

static void emit(void *ctx, const char *p, size_t n)
{
	(void)ctx;
	lines_log("virt-launcher-monitor", LOG_INFO, p, n);
}

/* Only a regular file, never through a symlink, never blocking (a FIFO
 * there would hang the monitor for ever). */
static void dump(const char *path)
{
	struct lines l = { line_buf, 0, sizeof(line_buf), emit, 0 };
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		if (errno != ENOENT)
			log_error("failed to open file %s: %m", path);
		return;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		log_error("not dumping %s: not a regular file", path);
		close(fd);
		return;
	}
	log_info("dump log file: %s", path);
	while ((n = lines_read(&l, fd)) > 0)
		;
	if (n < 0)
		log_error("failed to read file %s: %m", path);
	lines_flush(&l, 1);
	close(fd);
}

struct names {
	char store[MAX_LOGS][256];
	int n;
};

static int collect(const char *name, void *ctx)
{
	struct names *ns = ctx;

	if (ns->n < MAX_LOGS && strlen(name) < sizeof(ns->store[0]))
		memcpy(ns->store[ns->n++], name, strlen(name) + 1);
	return 0;
}

void monitor_dump_logs(void)
{
	static struct names ns;
	char path[sizeof(QEMU_LOG_DIR) + 256];
	char tmp[256];

	dump(PASST_LOG);
	ns.n = 0;
	if (dir_each(QEMU_LOG_DIR, collect, &ns) < 0) {
		log_error("failed to read qemu log directory %s: %m", QEMU_LOG_DIR);
		return;
	}
	/* In name order, as os.ReadDir gives them. */
	for (int i = 1; i < ns.n; i++)
		for (int j = i; j > 0 && strcmp(ns.store[j - 1], ns.store[j]) > 0; j--) {
			memcpy(tmp, ns.store[j], sizeof(tmp));
			memcpy(ns.store[j], ns.store[j - 1], sizeof(tmp));
			memcpy(ns.store[j - 1], tmp, sizeof(tmp));
		}
	for (int i = 0; i < ns.n; i++) {
		struct buf b = BUF_INIT(path);

		buf_printf(&b, "%s/%s", QEMU_LOG_DIR, ns.store[i]);
		dump(buf_cstr(&b));
	}
}
