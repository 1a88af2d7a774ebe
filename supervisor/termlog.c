#include "termlog.h"
#include "buf.h"
#include "config.h"
#include "event.h"
#include "fd.h"
#include "log.h"
#include "prepare.h"
#include "sock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_EVENT 4096		/* bytes of one datagram */
#define REPLY_TIMEOUT_MS 5000	/* --send-event: the whole exchange */
/* Datagrams read per wake-up: a flood of events must never keep the loop
 * from its signals and children (container-disk's holder does the same). */
#define EVENT_BATCH 64

void termlog_own(struct termlog *t, const char *details_json)
{
	char line[1024];
	long n = event_own_line(details_json, line, sizeof(line));

	if (!t->file.path)
		return;
	if (n < 0 || tlfile_append(&t->file, line, n) < 0)
		log_error("could not write tether-supervise's own event to %s", t->file.path);
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

/* The real uid of a process (its /proc/PID/status), or -1. */
static long proc_uid(pid_t pid)
{
	char path[48];
	struct buf b = BUF_INIT(path);
	long uid;

	buf_printf(&b, "/proc/%d/status", (int)pid);
	return read_proc_field(buf_cstr(&b), "Uid", 0, 0xfffffffe, &uid) < 0 ? -1 : uid;
}

/* Who may write the log: root, our own uid (which MAIN and the parent
 * normally have), or the owner's uid if it has another. */
static int allowed(const struct termlog *t, uid_t uid)
{
	return uid == 0 || uid == t->uid ||
	       (t->owner > 0 && (long)uid == proc_uid(t->owner));
}

static void one_event(struct termlog *t, const char *in, ssize_t n,
		      const struct ucred *cred, const struct sockaddr_un *from,
		      socklen_t fromlen)
{
	static char line[MAX_EVENT * 8];
	char err[200], msg[256];
	struct buf m = BUF_INIT(msg), e = BUF_INIT(err);
	long len = -1;

	if (!cred) {
		buf_str(&e, "no sender credentials");
	} else if (!allowed(t, cred->uid)) {
		buf_printf(&e, "sender uid %u (pid %d) is neither root nor %s's uid",
			   (unsigned)cred->uid, (int)cred->pid, t->owner_name);
	} else if (n > MAX_EVENT) {
		buf_printf(&e, "event longer than %d bytes", MAX_EVENT);
	} else {
		len = event_line(in, n, line, sizeof(line), err, sizeof(err));
		if (len > t->file.max / 4) {
			len = -1;
			buf_printf(&e, "the line would be longer than %ld bytes (a quarter of the log)", t->file.max / 4);
		}
	}
	if (len < 0) {
		if (e.len)
			buf_cstr(&e);
		log_warn("event rejected: %s", err);
		buf_printf(&m, "rejected: %s", err);
		reply(t->w.fd, from, fromlen, buf_cstr(&m));
		return;
	}
	if (tlfile_append(&t->file, line, len) < 0) {
		/* %m: the errno saved when buf_printf begins */
		buf_printf(&m, "failed: could not write the termination log: %m");
		reply(t->w.fd, from, fromlen, buf_cstr(&m));
		return;
	}
	log_info("termination log: %.*s", (int)len - 1, line);
	reply(t->w.fd, from, fromlen, "ok");
}

static const struct ucred *creds_of(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len == CMSG_LEN(sizeof(struct ucred)))
			return (const struct ucred *)CMSG_DATA(c);
	return 0;
}

static void on_event(struct watch *w, uint32_t events)
{
	struct termlog *t = w->ctx;
	static char in[MAX_EVENT + 1];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} ctl;
	struct sockaddr_un from;
	struct iovec iov = { in, sizeof(in) };
	struct msghdr mh;
	ssize_t n;

	(void)events;
	for (int i = 0; i < EVENT_BATCH; i++) {
		mh = (struct msghdr){
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
		};
		n = recvmsg(w->fd, &mh, MSG_TRUNC | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN)
				log_warn("recvmsg %s: %m", t->sock_path);
			return;
		}
		one_event(t, in, n, creds_of(&mh), &from, mh.msg_namelen);
	}
}

/* The socket's directory is inside an emptyDir that may start empty. */
static int make_parent(const char *path)
{
	char dir[PATH_MAX];

	return path_dir(path, dir, sizeof(dir)) < 0 ? -1 : make_dirs(dir);
}

int termlog_open(struct termlog *t, struct loop *l, const char *path,
		 const char *sock_path, long max)
{
	int on = 1;

	t->loop = l;
	t->file = (struct tlfile){ path, max, -1, 0 };
	t->sock_path = sock_path;
	t->w.ctx = t;
	t->w.fn = on_event;
	t->w.fd = -1;
	t->uid = getuid();
	if (make_parent(sock_path) < 0) {
		log_error("event socket %s: %m", sock_path);
		return -1;
	}
	t->w.fd = unix_listen_logged(sock_path, SOCK_DGRAM, 0);
	if (t->w.fd < 0)
		return -1;
	if (setsockopt(t->w.fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) < 0) {
		log_error("event socket %s: SO_PASSCRED: %m", sock_path);
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
		/* An event sent just before the stop (virt-launcher's SHUTDOWN,
		 * then its TERM) is still written. */
		on_event(&t->w, EPOLLIN);
		if (unlink(t->sock_path) < 0 && errno != ENOENT)
			log_debug("remove %s: %m", t->sock_path);
		close(t->w.fd);
		t->w.fd = -1;
	}
	tlfile_close(&t->file);
}

/* The time left until end (clock_ms), for SO_SNDTIMEO / SO_RCVTIMEO: at
 * least 1 ms, as zero would mean no bound. */
static int timeout_opt(int fd, int opt, long end)
{
	long ms = end - clock_ms();
	struct timeval tv;

	if (ms < 1)
		ms = 1;
	tv = (struct timeval){ ms / 1000, ms % 1000 * 1000 };
	return setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

/* The whole exchange (hand-over and answer) within REPLY_TIMEOUT_MS: a
 * supervisor that is stopped or flooded has a full queue, and send()
 * would wait for room for ever. */
int termlog_send(const char *sock_path, const char *json)
{
	struct sockaddr_un self = { .sun_family = AF_UNIX };
	long end = clock_ms() + REPLY_TIMEOUT_MS;
	char answer[256];
	ssize_t n;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	/* Autobind gives an abstract address the answer can come back to. */
	if (fd < 0 || bind(fd, (struct sockaddr *)&self, sizeof(sa_family_t)) < 0) {
		log_error("event socket: %m");
		return EXIT_SETUP;
	}
	if (unix_addr_op(fd, sock_path, UNIX_CONNECT) < 0) {
		log_error("connect %s: %m", sock_path);
		return EXIT_SETUP;
	}
	if (timeout_opt(fd, SO_SNDTIMEO, end) < 0) {
		log_error("setsockopt SO_SNDTIMEO: %m");
		return EXIT_SETUP;
	}
	do
		n = send(fd, json, strlen(json), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN) {
		log_error("send to %s: its queue stayed full for %d s (the supervisor is stopped or flooded)",
			  sock_path, REPLY_TIMEOUT_MS / 1000);
		return EXIT_SETUP;
	}
	if (n < 0) {
		log_error("send to %s: %m", sock_path);
		return errno == EMSGSIZE ? 1 : EXIT_SETUP;
	}
	if (timeout_opt(fd, SO_RCVTIMEO, end) < 0) {
		log_error("setsockopt SO_RCVTIMEO: %m");
		return EXIT_SETUP;
	}
	do
		n = recv(fd, answer, sizeof(answer) - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		log_error("no answer from %s within %d s: %m", sock_path, REPLY_TIMEOUT_MS / 1000);
		return EXIT_SETUP;
	}
	answer[n] = '\0';
	if (!strcmp(answer, "ok"))
		return 0;
	log_error("%s", answer);
	return 1;
}
