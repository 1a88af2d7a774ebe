/*
 * launcher: MAIN of the compute image, in the role virt-launcher plays for
 * tether-supervise.  It does the few things of virt-launcher the pod's life
 * depends on, and nothing of a VM:
 *
 *   1. copies the daemon's config from the image (/etc/libvirt-init) to
 *      /var/run/libvirt, as SetupLibvirt does (tether-supervise waits for it);
 *   2. waits for libvirt's socket (inotify on its directory), connects, and
 *      logs who answers (SO_PEERCRED);
 *   3. on SIGUSR1 (tether-supervise forwards it), "the guest powered off":
 *      reports QEMU's SHUTDOWN event through `tether-supervise --send-event`,
 *      as virt-launcher does, then exits as virt-launcher does once its
 *      domain is gone (0 if the event was accepted, 1 if not);
 *   4. on SIGTERM or SIGINT exits 0 (no VM runs: nothing to shut down);
 *   5. with --cmd-socket, listens where virt-launcher's command server does
 *      (/var/run/kubevirt/sockets/launcher-sock), accepting and closing
 *      every connection, so virt-handler's SO_PEERCRED lookup of the
 *      launcher finds this process; the socket is removed at exit.
 *
 *   launcher [--config FILE] [--config-dir DIR] [--socket PATH]
 *            [--event-socket PATH] [--supervise PATH] [--cmd-socket PATH]
 *            [--log-format F]
 *
 * Exit codes: 0 stopped by SIGTERM/SIGINT, or the SHUTDOWN event was
 * accepted; 1 the event was not accepted; 2 bad usage; 111 a system call
 * failed during set-up or the config could not be copied.
 */
#include "buf.h"
#include "fd.h"
#include "log.h"
#include "loop.h"
#include "opt.h"
#include "proc.h"
#include "sig.h"
#include "sock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h> /* rename */
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_USAGE 2
#define EXIT_SETUP 111

/* The QMP event virt-launcher would receive when the guest powers off. */
static const char shutdown_event[] =
	"{\"timestamp\": {\"seconds\": 1, \"microseconds\": 0}, \"event\": \"SHUTDOWN\", "
	"\"data\": {\"guest\": true, \"reason\": \"guest-shutdown\"}}";

struct launcher {
	const char *config, *config_dir, *socket, *event_socket, *supervise, *cmd_socket;
	char sockname[NAME_MAX + 1];
	struct loop loop;
	struct watch sigw, dirw, retryw, cmdw;
	int retries;
	sigset_t orig;
	pid_t sender;
	int connected;
};

static void usage_error(const char *msg)
{
	log_error("%s (usage: launcher [--config FILE] [--config-dir DIR] [--socket PATH] "
		  "[--event-socket PATH] [--supervise PATH] [--cmd-socket PATH] "
		  "[--log-format json|text])", msg);
	_exit(EXIT_USAGE);
}

static void parse(struct launcher *l, int argc, char **argv)
{
	enum { O_CONFIG = 1, O_DIR, O_SOCKET, O_EVENT, O_SUP, O_CMD, O_FMT, O_HELP };
	static const struct opt opts[] = {
		{ "config", 0, 1, O_CONFIG }, { "config-dir", 0, 1, O_DIR },
		{ "socket", 0, 1, O_SOCKET }, { "event-socket", 0, 1, O_EVENT },
		{ "supervise", 0, 1, O_SUP }, { "cmd-socket", 0, 1, O_CMD },
		{ "log-format", 0, 1, O_FMT },
		{ "help", 'h', 0, O_HELP }, { 0, 0, 0, 0 },
	};
	struct optstate s;
	enum log_format fmt = LOG_JSON;
	int id;

	opt_start(&s, argc, argv);
	while ((id = opt_next(&s, opts)) != OPT_END) {
		switch (id) {
		case OPT_ERR: usage_error(s.err); break;
		case O_CONFIG: l->config = s.arg; break;
		case O_DIR: l->config_dir = s.arg; break;
		case O_SOCKET: l->socket = s.arg; break;
		case O_EVENT: l->event_socket = s.arg; break;
		case O_SUP: l->supervise = s.arg; break;
		case O_CMD:
			if (s.arg[0] != '/')
				usage_error("--cmd-socket: an absolute path");
			l->cmd_socket = s.arg;
			break;
		case O_FMT:
			if (log_format_parse(s.arg, &fmt))
				usage_error("--log-format: json or text");
			log_setup("launcher", LOG_INFO, fmt);
			break;
		case O_HELP: usage_error("help");
		}
	}
	if (s.i != argc)
		usage_error("no operands expected");
	const char *slash = strrchr(l->socket, '/');
	if (l->socket[0] != '/' || strlen(slash + 1) == 0 ||
	    strlen(slash + 1) >= sizeof(l->sockname) || strlen(l->config_dir) == 0)
		usage_error("--socket: an absolute path to a file");
	memcpy(l->sockname, slash + 1, strlen(slash + 1) + 1);
}

/* Copies the config into config_dir under the same name, through a
 * temporary file and rename, so the daemon never reads half of it. */
static int copy_config(const struct launcher *l)
{
	char tmp[PATH_MAX], dst[PATH_MAX], data[16384];
	struct buf t = BUF_INIT(tmp), d = BUF_INIT(dst);
	const char *base = strrchr(l->config, '/');
	ssize_t n;
	int in, out, rc = -1;

	buf_printf(&d, "%s/%s", l->config_dir, base ? base + 1 : l->config);
	buf_printf(&t, "%s.tmp", buf_cstr(&d));
	if (d.truncated || t.truncated) {
		log_error("config path too long: %s", l->config);
		return -1;
	}
	if ((in = open(l->config, O_RDONLY | O_CLOEXEC)) < 0) {
		log_error("open %s: %m", l->config);
		return -1;
	}
	out = open(buf_cstr(&t), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		log_error("open %s: %m", buf_cstr(&t));
		close(in);
		return -1;
	}
	while ((n = read(in, data, sizeof(data))) > 0)
		if (write(out, data, n) != n) {
			log_error("write %s: %m", buf_cstr(&t));
			goto out;
		}
	if (n < 0)
		log_error("read %s: %m", l->config);
	else if (close(out) < 0)
		log_error("close %s: %m", buf_cstr(&t));
	else if (rename(buf_cstr(&t), buf_cstr(&d)) < 0)
		log_error("rename %s: %m", buf_cstr(&d));
	else
		rc = 0;
	out = -1;
out:
	if (out >= 0)
		close(out);
	close(in);
	if (rc == 0)
		log_info("copied %s to %s", l->config, buf_cstr(&d));
	return rc;
}

/* 1 once libvirt answers on its socket.  The socket file appears at
 * bind(), a moment before listen(), and nothing signals listen(): a refused
 * connection is tried again every 10 ms, 500 times at most. */
static int try_connect(struct launcher *l)
{
	int fd = unix_connect(l->socket, SOCK_STREAM);

	if (fd < 0) {
		if (errno == ECONNREFUSED && l->retries++ < 500)
			timer_arm(l->retryw.fd, 10);
		else if (errno != ENOENT)
			log_error("connect %s: %m", l->socket);
		return 0;
	}
	log_info("libvirt answers on %s (daemon pid %d as seen from here)", l->socket,
		 (int)unix_peer_pid(fd));
	close(fd);
	l->connected = 1;
	loop_del(&l->loop, &l->dirw);
	close(l->dirw.fd);
	l->dirw.fd = -1;
	return 1;
}

static void on_dir(struct watch *w, uint32_t events)
{
	struct launcher *l = w->ctx;
	char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	int seen = 0;

	(void)events;
	while ((n = read(w->fd, ev, sizeof(ev))) > 0)
		for (char *p = ev; p < ev + n;) {
			struct inotify_event *ie = (struct inotify_event *)p;

			if (ie->len && !strcmp(ie->name, l->sockname))
				seen = 1;
			p += sizeof(*ie) + ie->len;
		}
	if (seen)
		try_connect(l);
}

static void on_retry(struct watch *w, uint32_t events)
{
	struct launcher *l = w->ctx;

	(void)events;
	timer_ack(w->fd);
	if (!l->connected)
		try_connect(l);
}

static void send_shutdown(struct launcher *l)
{
	char *argv[] = { (char *)l->supervise, "--send-event", (char *)l->event_socket,
			 (char *)shutdown_event, NULL };
	struct spawn_req r = { .argv = argv, .mask = &l->orig, .who = "send-event" };

	if (l->sender > 0) {
		log_warn("an event is being sent already");
		return;
	}
	log_info("the guest shut down: reporting SHUTDOWN on %s", l->event_socket);
	l->sender = spawn(&r);
	if (l->sender < 0)
		log_error("spawn %s: %m", l->supervise);
}

static void on_reaped(pid_t pid, int wstatus, void *ctx)
{
	struct launcher *l = ctx;

	if (pid != l->sender)
		return;
	l->sender = 0;
	if (exit_code_of(wstatus) == 0) {
		log_info("SHUTDOWN event accepted; the domain is gone, exit code 0");
		loop_exit(&l->loop, 0);
	} else {
		log_error("send-event failed with code %d; exit code 1", exit_code_of(wstatus));
		loop_exit(&l->loop, 1);
	}
}

static void on_signal(struct watch *w, uint32_t events)
{
	struct launcher *l = w->ctx;
	struct signalfd_siginfo si;
	char name[16];
	int none;

	(void)events;
	while (sigfd_read(w->fd, &si) == 1) {
		switch (si.ssi_signo) {
		case SIGUSR1:
			send_shutdown(l);
			break;
		case SIGCHLD:
			reap_all(on_reaped, l, &none);
			break;
		case SIGTERM:
		case SIGINT:
			log_info("%s: stopping, exit code 0", sig_name(si.ssi_signo, name));
			loop_exit(&l->loop, 0);
			break;
		default:
			log_info("ignoring %s", sig_name(si.ssi_signo, name));
		}
	}
}

/* virt-handler only connects to learn who listens: accept and close. */
static void on_cmd(struct watch *w, uint32_t events)
{
	int c;

	(void)events;
	while ((c = accept4(w->fd, 0, 0, SOCK_CLOEXEC)) >= 0)
		close(c);
	if (errno != EAGAIN && errno != ECONNABORTED && errno != EINTR)
		log_warn("accept %s: %m", ((struct launcher *)w->ctx)->cmd_socket);
}

static int listen_cmd(struct launcher *l)
{
	if (!l->cmd_socket)
		return 0;
	l->cmdw.fd = unix_listen(l->cmd_socket, SOCK_STREAM, 16);
	if (l->cmdw.fd < 0 || loop_add(&l->loop, &l->cmdw, EPOLLIN) < 0) {
		log_error("listen %s: %m", l->cmd_socket);
		return -1;
	}
	log_info("command socket %s listening", l->cmd_socket);
	return 0;
}

static int setup(struct launcher *l)
{
	sigset_t all;

	sigfillset(&all);
	if (loop_init(&l->loop) < 0 || (l->sigw.fd = sigfd_open(&all)) < 0 ||
	    loop_add(&l->loop, &l->sigw, EPOLLIN) < 0) {
		log_error("event loop: %m");
		return -1;
	}
	if (copy_config(l) < 0 || listen_cmd(l) < 0)
		return -1;
	l->dirw.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (l->dirw.fd < 0) {
		log_error("inotify: %m");
		return -1;
	}
	/* The config dir is where the daemon's socket appears: both are
	 * /var/run/libvirt in the pod. */
	char dir[PATH_MAX];
	size_t dl = strrchr(l->socket, '/') - l->socket;

	if (dl >= sizeof(dir)) {
		log_error("--socket: path too long");
		return -1;
	}
	memcpy(dir, l->socket, dl ? dl : 1);
	dir[dl ? dl : 1] = '\0';
	if (inotify_add_watch(l->dirw.fd, dir, IN_CREATE | IN_MOVED_TO) < 0) {
		log_error("inotify_add_watch %s: %m", dir);
		return -1;
	}
	if ((l->retryw.fd = timer_open()) < 0 || loop_add(&l->loop, &l->retryw, EPOLLIN) < 0 ||
	    loop_add(&l->loop, &l->dirw, EPOLLIN) < 0) {
		log_error("event loop: %m");
		return -1;
	}
	log_info("waiting for libvirt on %s", l->socket);
	try_connect(l);
	return 0;
}

int main(int argc, char **argv)
{
	static struct launcher l = {
		.config = "/etc/libvirt-init/virtqemud.conf",
		.config_dir = "/var/run/libvirt",
		.socket = "/var/run/libvirt/virtqemud-sock",
		.event_socket = "/var/run/kubevirt-private/tether-events.sock",
		.supervise = "/usr/bin/tether-supervise",
	};
	int rc;

	if (sig_block_all(&l.orig) < 0)
		return EXIT_SETUP;
	log_setup("launcher", LOG_INFO, LOG_JSON);
	parse(&l, argc, argv);
	l.sigw.fn = on_signal;
	l.sigw.ctx = &l;
	l.dirw.fn = on_dir;
	l.dirw.ctx = &l;
	l.retryw.fn = on_retry;
	l.retryw.ctx = &l;
	l.cmdw = (struct watch){ -1, on_cmd, &l };
	if (setup(&l) < 0) {
		if (l.cmdw.fd >= 0)
			unlink(l.cmd_socket);
		return EXIT_SETUP;
	}
	rc = loop_run(&l.loop);
	if (l.cmdw.fd >= 0 && unlink(l.cmd_socket) < 0)
		log_warn("unlink %s: %m", l.cmd_socket);
	if (rc < 0) {
		log_error("epoll_wait: %m");
		return EXIT_SETUP;
	}
	return rc;
}
