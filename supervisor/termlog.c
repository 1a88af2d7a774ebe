#include "termlog.h"
#include "buf.h"
#include "event.h"
#include "log.h"
#include "prepare.h"
#include "sock.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_EVENT 4096		/* bytes of one datagram */
#define REPLY_TIMEOUT_S 5

/* What the file holds, as whole lines: the kept tail is rewritten from
 * here, so the file need not be readable (kubelet's is, but a log that
 * is write-only for our uid still works). */
static char mirror[(1 << 20) + 1];
static size_t mirror_len;

/* Keeps only the whole lines of the last `keep` bytes of the mirror. */
static void mirror_trim(size_t keep)
{
	char *start, *nl;

	if (mirror_len <= keep)
		return;
	start = mirror + mirror_len - keep;
	if (start[-1] != '\n') {
		nl = memchr(start, '\n', keep);
		start = nl ? nl + 1 : mirror + mirror_len;
	}
	mirror_len = mirror + mirror_len - start;
	memmove(mirror, start, mirror_len);
}

static void mirror_load(struct termlog *t, off_t size)
{
	off_t from = size > t->max ? size - t->max : 0;
	ssize_t n = pread(t->fd, mirror, size - from, from);

	if (n < 0) {
		log_warn("%s is not readable (%m): its older lines will be dropped when it is full", t->path);
		return;
	}
	mirror_len = n;
	if (from > 0 && mirror_len) {
		/* Make the first kept byte the start of a line. */
		char *nl = memchr(mirror, '\n', mirror_len);
		size_t skip = nl ? (size_t)(nl + 1 - mirror) : mirror_len;
		memmove(mirror, mirror + skip, mirror_len - skip);
		mirror_len -= skip;
	}
}

static int open_log(struct termlog *t)
{
	struct stat st;

	if (t->fd >= 0)
		return 0;
	t->fd = open(t->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (t->fd < 0 && errno == EACCES)
		t->fd = open(t->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (t->fd < 0 || fstat(t->fd, &st) < 0) {
		log_error("open %s: %m", t->path);
		if (t->fd >= 0)
			close(t->fd);
		t->fd = -1;
		return -1;
	}
	t->regular = S_ISREG(st.st_mode);
	mirror_len = 0;
	if (t->regular && st.st_size > 0)
		mirror_load(t, st.st_size);
	return 0;
}

static int write_once(struct termlog *t, const char *p, size_t n)
{
	ssize_t w;

	do
		w = write(t->fd, p, n);
	while (w < 0 && errno == EINTR);
	if (w == (ssize_t)n)
		return 0;
	if (w >= 0)
		errno = EIO;
	log_error("write %s: %m", t->path);
	return -1;
}

int termlog_append(struct termlog *t, const char *line, size_t len)
{
	if (open_log(t) < 0)
		return -1;
	if ((long)len > t->max / 4) {
		errno = EMSGSIZE;
		return -1;
	}
	if (!t->regular || mirror_len + len <= (size_t)t->max) {
		if (write_once(t, line, len) < 0)
			return -1;
	} else {
		/* The file is a kubelet bind mount, so it cannot be replaced
		 * by rename: its only writer truncates it in place and writes
		 * the kept lines and the new one with one write. */
		mirror_trim(t->max - len);
		memcpy(mirror + mirror_len, line, len);
		if (ftruncate(t->fd, 0) < 0) {
			log_error("truncate %s: %m", t->path);
			return -1;
		}
		if (write_once(t, mirror, mirror_len + len) < 0)
			return -1;
		mirror_len += len;
		return 0;
	}
	if (t->regular) {
		memcpy(mirror + mirror_len, line, len);
		mirror_len += len;
	}
	return 0;
}

void termlog_own(struct termlog *t, const char *details_json)
{
	char line[1024];
	long n = event_own_line(details_json, line, sizeof(line));

	if (!t->path)
		return;
	if (n < 0 || termlog_append(t, line, n) < 0)
		log_error("could not write tether-supervise's own event to %s", t->path);
	else
		log_info("termination log: %.*s", (int)n - 1, line);
}

static void reply(int fd, const struct sockaddr_un *to, socklen_t tolen,
		  const char *msg)
{
	/* An unbound sender (virt-launcher itself) cannot be answered. */
	if (tolen <= sizeof(sa_family_t))
		return;
	if (sendto(fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL,
		   (const struct sockaddr *)to, tolen) < 0)
		log_debug("reply to an event sender: %m");
}

static void one_event(struct termlog *t, const char *in, ssize_t n,
		      const struct sockaddr_un *from, socklen_t fromlen)
{
	static char line[MAX_EVENT * 8];
	char err[200], msg[256];
	struct buf m = BUF_INIT(msg);
	long len;

	if (n > MAX_EVENT) {
		log_warn("event rejected: %zd bytes, more than %d", n, MAX_EVENT);
		reply(t->w.fd, from, fromlen, "rejected: event longer than 4096 bytes");
		return;
	}
	len = event_line(in, n, line, sizeof(line), err, sizeof(err));
	if (len > t->max / 4) {
		len = -1;
		struct buf e = BUF_INIT(err);

		buf_printf(&e, "the line would be longer than %ld bytes (a quarter of the log)", t->max / 4);
		buf_cstr(&e);
	}
	if (len < 0) {
		log_warn("event rejected: %s", err);
		buf_printf(&m, "rejected: %s", err);
		reply(t->w.fd, from, fromlen, buf_cstr(&m));
		return;
	}
	if (termlog_append(t, line, len) < 0) {
		reply(t->w.fd, from, fromlen, "failed: could not write the termination log");
		return;
	}
	log_info("termination log: %.*s", (int)len - 1, line);
	reply(t->w.fd, from, fromlen, "ok");
}

static void on_event(struct watch *w, uint32_t events)
{
	struct termlog *t = w->ctx;
	static char in[MAX_EVENT + 1];
	struct sockaddr_un from;
	socklen_t fromlen;
	ssize_t n;

	(void)events;
	for (;;) {
		fromlen = sizeof(from);
		n = recvfrom(w->fd, in, sizeof(in), MSG_TRUNC | MSG_DONTWAIT,
			     (struct sockaddr *)&from, &fromlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN)
				log_warn("recvfrom %s: %m", t->sock_path);
			return;
		}
		one_event(t, in, n, &from, fromlen);
	}
}

/* The socket's directory is inside an emptyDir that may start empty. */
static int make_parent(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	size_t n = slash - path;

	if (n == 0 || n >= sizeof(dir))
		return 0;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return make_dirs(dir);
}

int termlog_open(struct termlog *t, struct loop *l, const char *path,
		 const char *sock_path, long max)
{
	t->loop = l;
	t->path = path;
	t->sock_path = sock_path;
	t->max = max;
	t->fd = -1;
	t->w.ctx = t;
	t->w.fn = on_event;
	t->w.fd = -1;
	if (make_parent(sock_path) < 0 ||
	    (t->w.fd = unix_listen(sock_path, SOCK_DGRAM, 0)) < 0) {
		log_error("event socket %s: %m", sock_path);
		return -1;
	}
	if (loop_add(l, &t->w, EPOLLIN) < 0) {
		log_error("epoll_ctl: %m");
		return -1;
	}
	log_info("termination log %s, events on %s", path, sock_path);
	return 0;
}

void termlog_close(struct termlog *t)
{
	if (t->w.fd >= 0) {
		if (unlink(t->sock_path) < 0 && errno != ENOENT)
			log_debug("remove %s: %m", t->sock_path);
		close(t->w.fd);
		t->w.fd = -1;
	}
	if (t->fd >= 0) {
		if (fsync(t->fd) < 0 && errno != EINVAL)
			log_warn("fsync %s: %m", t->path);
		close(t->fd);
		t->fd = -1;
	}
}

int termlog_send(const char *sock_path, const char *json)
{
	struct sockaddr_un self = { .sun_family = AF_UNIX };
	struct timeval tv = { REPLY_TIMEOUT_S, 0 };
	char answer[256];
	ssize_t n;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	/* Autobind gives an abstract address the answer can come back to. */
	if (fd < 0 || bind(fd, (struct sockaddr *)&self, sizeof(sa_family_t)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		log_error("event socket: %m");
		return 111;
	}
	if (unix_addr_op(fd, sock_path, UNIX_CONNECT) < 0) {
		log_error("connect %s: %m", sock_path);
		return 111;
	}
	if (send(fd, json, strlen(json), 0) < 0) {
		log_error("send to %s: %m", sock_path);
		return errno == EMSGSIZE ? 1 : 111;
	}
	do
		n = recv(fd, answer, sizeof(answer) - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		log_error("no answer from %s: %m", sock_path);
		return 111;
	}
	answer[n] = '\0';
	if (!strcmp(answer, "ok"))
		return 0;
	log_error("%s", answer);
	return 1;
}
