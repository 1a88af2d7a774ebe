/* --health-check: an exec probe that needs no writable file.  KubeVirt's
 * old probe read a /healthy file the holder wrote, which a read-only root
 * forbids; this one asks the socket itself. */
#include "health.h"
#include "buf.h"
#include "fd.h"
#include "holder.h"
#include "log.h"
#include "sock.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_ARGS 64
/* kubelet's default probe timeout: a listener whose queue stays full that
 * long (stopped, or accepting nothing) is not healthy, and the probe must
 * answer rather than wait for room for ever. */
#define CONNECT_TIMEOUT_S 1

/* The copy path PID 1 of this container was started with, or NULL. */
static const char *pid1_copy_path(struct cd_config *pc, char *text, size_t cap)
{
	char *argv[MAX_ARGS + 1];
	int argc = 0;
	ssize_t n = read_small(AT_FDCWD, "/proc/1/cmdline", text, cap);

	if (n <= 0)
		return 0;
	for (char *p = text; p < text + n && argc < MAX_ARGS; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = 0;
	/* KubeVirt runs it as /usr/bin, /init/usr/bin or /var/run
	 * container-disk: the name is what they share. */
	if (!called_as(argv[0], "container-disk"))
		return 0;
	if (cd_config_parse(pc, argc, argv) != CLI_OK ||
	    pc->action != CD_HOLD)
		return 0;
	return pc->copy_path;
}

int health_check(const struct cd_config *cfg)
{
	static char text[8192];
	static struct holder h;
	struct cd_config pc;
	const char *p = cfg->copy_path;
	pid_t want = 0, peer;
	int fd;

	if (!p) {
		p = pid1_copy_path(&pc, text, sizeof(text));
		if (!p) {
			log_error("--health-check: PID 1 is not a container-disk holder; give --copy-path");
			return EXIT_FAIL;
		}
		want = 1;
	}
	if (holder_paths(&h, p) < 0)
		return log_error("--copy-path %s: %m", p), EXIT_FAIL;
	fd = unix_connect_within(h.sock, SOCK_STREAM, CONNECT_TIMEOUT_S);
	if (fd < 0 && errno == EAGAIN)
		return log_error("connect %s: its queue stayed full for %d s, it accepts nothing: %m",
				 h.sock, CONNECT_TIMEOUT_S), EXIT_FAIL;
	if (fd < 0)
		return log_error("connect %s: %m", h.sock), EXIT_FAIL;
	peer = unix_peer_pid(fd);
	close(fd);
	/* 0: the listener lives outside our PID namespace, so it is not the
	 * holder of this container. */
	if (peer <= 0 || (want && peer != want)) {
		log_error("%s: listener is pid %d, not this container's holder",
			  h.sock, (int)peer);
		return EXIT_FAIL;
	}
	log_debug("%s: holder pid %d is listening", h.sock, (int)peer);
	return EXIT_OK;
}
