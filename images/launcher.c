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
 * --patched: the patched virt-launcher of
 * images/kubevirt/ instead.  Between 1 and 2 it starts
 * `SUPERVISE --for-parent [--supervise-arg ARG]...` as its child, as the
 * patched StartVirtqemud does; in 2 it connects from its own process and
 * checks that the daemon's LIBVIRT_UNIX_SOCKET_AUTH_PID is its own pid (the
 * only process a restricted virtqemud admits), and keeps the connection;
 * in 3 it sends the SHUTDOWN event as one datagram itself, as the patched
 * notify client does; on SIGUSR2 it dies (SIGKILL to itself), so that
 * tether-supervise must notice its death.  It stops tether-supervise with
 * SIGTERM and waits for it before it exits.
 *
 * With TETHER_LAUNCHER_ARGS set in its environment, its arguments are
 * ignored (under the monitor drop-in they are KubeVirt's) and its options
 * are that variable's words, split at spaces.
 *
 * --unix-sock-dir DIR appends `unix_sock_dir = "DIR"` to the config it
 * copies, as SetupLibvirt appends log_filters: a daemon whose environment
 * is LIBVIRT_UNIX_SOCKET_AUTH_PID alone (Deckhouse's) has no
 * XDG_RUNTIME_DIR to put its socket under.  --auth-pid-none: the daemon
 * must have no LIBVIRT_UNIX_SOCKET_AUTH_PID at all (KubeVirt's flavour of
 * the patch, `--auth-pid none`: upstream libvirt does not read it).
 *
 *   launcher [--patched] [--config FILE] [--config-dir DIR] [--socket PATH]
 *            [--event-socket PATH] [--supervise PATH] [--supervise-arg ARG]...
 *            [--cmd-socket PATH] [--unix-sock-dir DIR] [--auth-pid-none]
 *            [--log-format F]
 *
 * Exit codes: 0 stopped by SIGTERM/SIGINT, or the SHUTDOWN event was
 * accepted (--patched: sent); 1 the event was not accepted, or (--patched)
 * libvirt's AUTH_PID is not ours or tether-supervise ended on its own; 2
 * bad usage; 111 a system call failed during set-up or the config could
 * not be copied.
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
#include <stdlib.h>
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
	const char *sock_dir;	/* --unix-sock-dir: appended to the copied config */
	int auth_none;		/* --auth-pid-none: upstream's daemon has no AUTH_PID */
	char sockname[NAME_MAX + 1];
	struct loop loop;
	struct watch sigw, dirw, retryw, cmdw;
	int retries;
	sigset_t orig;
	pid_t sender;
	int connected;
	/* --patched */
	int patched;
	const char *sup_argv[2 + 32 + 1];
	int nsup;
	pid_t sup;		/* tether-supervise --for-parent */
	int conn;		/* our connection to libvirt, kept */
	int stopping, exit_code;
};

#define MAX_SUP_ARGS 32

static void usage_error(const char *msg)
{
	log_error("%s (usage: launcher [--patched] [--config FILE] [--config-dir DIR] [--socket PATH] "
		  "[--event-socket PATH] [--supervise PATH] [--supervise-arg ARG]... [--cmd-socket PATH] "
		  "[--unix-sock-dir DIR] [--auth-pid-none] "
		  "[--log-format json|text])", msg);
	_exit(EXIT_USAGE);
}

static void parse(struct launcher *l, int argc, char **argv)
{
	enum { O_CONFIG = 1, O_DIR, O_SOCKET, O_EVENT, O_SUP, O_CMD, O_FMT, O_HELP,
	       O_PATCHED, O_SUP_ARG, O_SOCK_DIR, O_AUTH_NONE };
	static const struct opt opts[] = {
		{ "config", 0, 1, O_CONFIG }, { "config-dir", 0, 1, O_DIR },
		{ "socket", 0, 1, O_SOCKET }, { "event-socket", 0, 1, O_EVENT },
		{ "supervise", 0, 1, O_SUP }, { "cmd-socket", 0, 1, O_CMD },
		{ "log-format", 0, 1, O_FMT },
		{ "patched", 0, 0, O_PATCHED }, { "supervise-arg", 0, 1, O_SUP_ARG },
		{ "unix-sock-dir", 0, 1, O_SOCK_DIR }, { "auth-pid-none", 0, 0, O_AUTH_NONE },
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
		case O_PATCHED: l->patched = 1; break;
		case O_AUTH_NONE: l->auth_none = 1; break;
		case O_SOCK_DIR:
			if (s.arg[0] != '/' || strchr(s.arg, '"') || strchr(s.arg, '\n'))
				usage_error("--unix-sock-dir: an absolute path without quotes");
			l->sock_dir = s.arg;
			break;
		case O_SUP_ARG:
			if (l->nsup == MAX_SUP_ARGS)
				usage_error("--supervise-arg: 32 at most");
			l->sup_argv[2 + l->nsup++] = s.arg;
			break;
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
	const char *name = path_base(l->socket);
	if (l->socket[0] != '/' || strlen(name) == 0 ||
	    strlen(name) >= sizeof(l->sockname) || strlen(l->config_dir) == 0)
		usage_error("--socket: an absolute path to a file");
	memcpy(l->sockname, name, strlen(name) + 1);
}

/* Copies the config into config_dir under the same name, through a
 * temporary file and rename, so the daemon never reads half of it. */
static int copy_config(const struct launcher *l)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	struct buf t = BUF_INIT(tmp), d = BUF_INIT(dst);
	int in, out, rc = -1;

	buf_printf(&d, "%s/%s", l->config_dir, path_base(l->config));
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
	if (fd_copy(in, out) < 0) {
		log_error("copy %s to %s: %m", l->config, buf_cstr(&t));
		goto out;
	}
	if (l->sock_dir) {
		char line[PATH_MAX + 32];
		struct buf b = BUF_INIT(line);

		buf_printf(&b, "\nunix_sock_dir = \"%s\"\n", l->sock_dir);
		if (b.truncated || write(out, line, b.len) != (ssize_t)b.len) {
			log_error("write %s: %m", buf_cstr(&t));
			goto out;
		}
	}
	if (close(out) < 0)
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

/* Ends the launcher with code: --patched stops tether-supervise first and
 * exits once it has been reaped. */
static void finish(struct launcher *l, int code)
{
	if (!l->patched || l->sup <= 0) {
		loop_exit(&l->loop, code);
		return;
	}
	l->exit_code = code;
	if (l->stopping++)
		return;
	log_info("stopping tether-supervise (pid %d)", (int)l->sup);
	if (kill(l->sup, SIGTERM) < 0)
		log_error("kill tether-supervise: %m");
}

/* A restricted virtqemud admits only the process named by its
 * LIBVIRT_UNIX_SOCKET_AUTH_PID: that must be us.  0 if it is. */
static int check_auth(const struct launcher *l, int fd)
{
	static const char key[] = "LIBVIRT_UNIX_SOCKET_AUTH_PID=";
	char path[64], env[65536], *p, *end;
	struct buf b = BUF_INIT(path);
	pid_t peer = unix_peer_pid(fd);
	long auth = -1;
	ssize_t n;

	buf_printf(&b, "/proc/%d/environ", (int)peer);
	n = read_small(AT_FDCWD, buf_cstr(&b), env, sizeof(env));
	if (n < 0) {
		log_error("reading %s: %m", path);
		return -1;
	}
	for (p = env, end = env + n; p < end; p += strlen(p) + 1)
		if (!strncmp(p, key, sizeof(key) - 1) &&
		    parse_long(p + sizeof(key) - 1, 1, 1 << 22, &auth) < 0)
			auth = -1;
	if (l->auth_none && auth == -1) {
		log_info("libvirt (pid %d) has no LIBVIRT_UNIX_SOCKET_AUTH_PID, as upstream libvirt",
			 (int)peer);
		return 0;
	}
	if (l->auth_none || auth != getpid()) {
		log_error("libvirt (pid %d) admits pid %ld, not this launcher (pid %d)",
			  (int)peer, auth, (int)getpid());
		return -1;
	}
	log_info("libvirt (pid %d) has LIBVIRT_UNIX_SOCKET_AUTH_PID=%ld: this launcher",
		 (int)peer, auth);
	return 0;
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
	l->connected = 1;
	if (l->patched) {
		l->conn = fd;	/* virt-launcher keeps its connection */
		if (check_auth(l, fd) < 0)
			finish(l, 1);
	} else {
		close(fd);
	}
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

/* The patched notify client: the event as one datagram, no answer. */
static void send_datagram(struct launcher *l)
{
	static const char event[] =
		"{\"event\":\"SHUTDOWN\",\"data\":{\"guest\":true,\"reason\":\"guest-shutdown\"}}";
	int fd = unix_connect(l->event_socket, SOCK_DGRAM);

	log_info("the guest shut down: sending SHUTDOWN to %s", l->event_socket);
	if (fd < 0 || send(fd, event, sizeof(event) - 1, 0) < 0) {
		log_error("sending the SHUTDOWN event to %s: %m", l->event_socket);
		finish(l, 1);
	} else {
		finish(l, 0);
	}
	if (fd >= 0)
		close(fd);
}

static void send_shutdown(struct launcher *l)
{
	char *argv[] = { (char *)l->supervise, "--send-event", (char *)l->event_socket,
			 (char *)shutdown_event, NULL };
	struct spawn_req r = { .argv = argv, .mask = &l->orig };

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

	if (pid == l->sup) {
		l->sup = 0;
		if (l->stopping) {
			log_info("tether-supervise has stopped (%s %d); exit code %d",
				 WIFSIGNALED(wstatus) ? "signal" : "code",
				 WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : WEXITSTATUS(wstatus),
				 l->exit_code);
			loop_exit(&l->loop, l->exit_code);
		} else {
			log_error("tether-supervise ended on its own (exit code %d); exit code 1",
				  exit_code_of(wstatus));
			loop_exit(&l->loop, 1);
		}
		return;
	}
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
			if (l->patched)
				send_datagram(l);
			else
				send_shutdown(l);
			break;
		case SIGUSR2:
			if (!l->patched)
				goto other;
			log_info("SIGUSR2: dying (SIGKILL to this launcher)");
			kill(getpid(), SIGKILL);
			break;
		case SIGCHLD:
			reap_all(on_reaped, l, &none);
			break;
		case SIGTERM:
		case SIGINT:
			log_info("%s: stopping, exit code 0", sig_name(si.ssi_signo, name));
			finish(l, 0);
			break;
		default:
		other:
			log_info("ignoring %s", sig_name(si.ssi_signo, name));
		}
	}
}

/* What the patched StartVirtqemud does: tether-supervise --for-parent as
 * our child, with our fds 0-2 and our signal mask. */
static int start_supervisor(struct launcher *l)
{
	struct spawn_req r = {
		.argv = (char *const *)l->sup_argv, .mask = &l->orig,
	};

	l->sup_argv[0] = l->supervise;
	l->sup_argv[1] = "--for-parent";
	l->sup_argv[2 + l->nsup] = 0;
	l->sup = spawn(&r);
	if (l->sup < 0) {
		log_error("spawn %s: %m", l->supervise);
		return -1;
	}
	log_info("started %s --for-parent as pid %d", l->supervise, (int)l->sup);
	return 0;
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
	if (copy_config(l) < 0 || listen_cmd(l) < 0 ||
	    (l->patched && start_supervisor(l) < 0))
		return -1;
	l->dirw.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (l->dirw.fd < 0) {
		log_error("inotify: %m");
		return -1;
	}
	/* The config dir is where the daemon's socket appears: both are
	 * /var/run/libvirt in the pod. */
	char dir[PATH_MAX];

	if (path_dir(l->socket, dir, sizeof(dir)) < 0) {
		log_error("--socket: path too long");
		return -1;
	}
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

/* Under the monitor drop-in the launcher is run as /usr/bin/virt-launcher
 * with KubeVirt's arguments: with TETHER_LAUNCHER_ARGS set, those are
 * ignored and its options are that variable's words (split at spaces).
 * Returns the new argc, or 0 when the variable is not set. */
static int env_args(char *argv0, char ***argv)
{
	static char words[4096];
	static char *args[2 + 2 * MAX_SUP_ARGS + 16];
	const char *env = getenv("TETHER_LAUNCHER_ARGS");
	int n = 1;

	if (!env)
		return 0;
	if (strlen(env) >= sizeof(words))
		usage_error("TETHER_LAUNCHER_ARGS: 4095 bytes at most");
	memcpy(words, env, strlen(env) + 1);
	args[0] = argv0;
	for (char *w = strtok(words, " "); w; w = strtok(0, " ")) {
		if (n == (int)(sizeof(args) / sizeof(*args)) - 1)
			usage_error("TETHER_LAUNCHER_ARGS: too many words");
		args[n++] = w;
	}
	args[n] = 0;
	*argv = args;
	return n;
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
	l.conn = -1;
	if (argc > 0) {
		int n = env_args(argv[0], &argv);

		if (n) {
			log_info("options from TETHER_LAUNCHER_ARGS; %d arguments ignored", argc - 1);
			argc = n;
		}
	}
	parse(&l, argc, argv);
	l.sigw.fn = on_signal;
	l.sigw.ctx = &l;
	l.dirw.fn = on_dir;
	l.dirw.ctx = &l;
	l.retryw.fn = on_retry;
	l.retryw.ctx = &l;
	l.cmdw = (struct watch){ -1, on_cmd, &l };
	if (setup(&l) < 0) {
		if (l.sup > 0)
			kill(l.sup, SIGKILL);
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
