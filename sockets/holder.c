#include "holder.h"
#include "buf.h"
#include "caps.h"
#include "fd.h"
#include "log.h"
#include "proc.h"
#include "role.h"
#include "seccomp.h"
#include "sig.h"
#include "sock.h"

#include "sockets_filter.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* The kernel caps it at net.core.somaxconn (4096 on 6.x); KubeVirt uses
 * 50, which a burst of connections overruns. */
#define BACKLOG 4096
/* Connections accepted per wake-up before the other fds get a turn. */
#define BATCH 64
/* Pause after EMFILE-like errors that the spare fd cannot absorb. */
#define BACKOFF_MS 100

int holder_paths(struct holder *h, const char *p)
{
	struct buf s = BUF_INIT(h->sock);

	buf_printf(&s, "%s.sock", p);
	buf_cstr(&s);
	if (s.truncated || s.len == s.cap || path_dir(p, h->dir, sizeof(h->dir)) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	h->name = path_base(h->sock);
	return 0;
}

int holder_owns(const struct holder *h)
{
	struct stat st;

	return lstat(h->sock, &st) == 0 && S_ISSOCK(st.st_mode) &&
	       st.st_dev == h->dev && st.st_ino == h->ino;
}

/* Removes our socket (only ours: a successor may already own the path),
 * and in --manage every other socket of the directory, then ends. */
static void finish(struct holder *h, int code)
{
	if (holder_owns(h) && unlink(h->sock) < 0 && errno != ENOENT)
		log_error("unlink %s: %m", h->sock);
	if (h->cfg->manage)
		manage_remove_all(&h->m);
	dirwatch_release(&h->dw, &h->loop);
	h->finished = 1;
	loop_exit(&h->loop, code);
}

static void check_own(struct holder *h)
{
	if (holder_owns(h))
		return;
	log_info("socket %s does not exist anymore", h->sock);
	finish(h, EXIT_OK);
}

static void on_dir(struct dirwatch *d, uint32_t mask, const char *name)
{
	struct holder *h = d->ctx;

	if (h->loop.done)
		return;
	if (!*name || !strcmp(name, h->name)) {
		check_own(h);
		return;
	}
	if (h->cfg->manage && h->m.is_own_dir)
		manage_event(&h->m, mask, name);
}

static void on_signal(struct watch *w, uint32_t events)
{
	struct holder *h = w->ctx;
	struct signalfd_siginfo si;
	char tmp[16];
	int none;

	(void)events;
	while (!h->loop.done && sigfd_read(w->fd, &si) > 0) {
		if (si.ssi_signo == SIGCHLD) {
			reap_all(0, 0, &none);
			continue;
		}
		log_info("%s: removing %s and exiting",
			 sig_name(si.ssi_signo, tmp), h->sock);
		finish(h, EXIT_OK);
	}
}

/* Takes the listening fd out of the loop for a while (loop.h, rest). */
static void pause_accept(struct holder *h)
{
	if (rest_start(&h->rest, BACKOFF_MS) < 0) {
		log_error("pausing accept on %s: %m", h->sock);
		finish(h, EXIT_FAIL);
	}
}

static void on_rested(void *ctx, int rc)
{
	struct holder *h = ctx;

	if (rc < 0) {
		log_error("resuming accept on %s: %m", h->sock);
		finish(h, EXIT_FAIL);
	}
}

/* Out of fds or memory: shed one connection with the spare fd (sock.h). */
static int shed(struct holder *h)
{
	if (!h->shedding)
		log_warn("accept %s: %m; shedding connections", h->sock);
	h->shedding = 1;
	if (accept_shed(h->lsn.fd, &h->spare) == 0)
		return 0;
	pause_accept(h);
	return -1;
}

/* Fds are back: the next episode gets its spare fd and its warning. */
static void end_shedding(struct holder *h)
{
	if (h->spare < 0)
		h->spare = spare_fd();
	h->shedding = 0;
}

static void on_conn(struct watch *w, uint32_t events)
{
	struct holder *h = w->ctx;

	(void)events;
	for (int i = 0; i < BATCH && !h->loop.done; i++) {
		int c = accept4(w->fd, 0, 0, SOCK_CLOEXEC);

		if (c >= 0) {
			close(c);
			if (h->shedding)
				end_shedding(h);
			continue;
		}
		switch (errno) {
		case EAGAIN:
			return;
		case EINTR:
		case ECONNABORTED:
		case EPROTO:
			continue;
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
			if (shed(h) < 0)
				return;
			continue;
		default:
			log_error("accept %s: %m", h->sock);
			finish(h, EXIT_FAIL);
			return;
		}
	}
}

static int make_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) == 0 || errno != ENOENT)
		return 0;	/* bind reports a non-directory */
	if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
		log_error("mkdir %s: %m", dir);
		return -1;
	}
	return 0;
}

static int is_dir(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return 0;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return 0;
	}
	return 1;
}

static int open_fds(struct holder *h)
{
	sigset_t mask;

	role_stop_signals(STOP_HOLDER, &mask);
	sigaddset(&mask, SIGCHLD);
	if (loop_init_signals(&h->loop, &h->sig, &mask, on_signal, h) < 0)
		return log_error("setting up the event loop: %m"), -1;
	if (rest_init(&h->rest, &h->loop, &h->lsn, on_rested, h) < 0)
		return log_error("timerfd: %m"), -1;
	h->spare = spare_fd();
	if (h->spare < 0)
		return log_error("open /: %m"), -1;
	/* Watching before the socket exists: no removal can slip between. */
	if (dirwatch_open(&h->dw, &h->loop, h->dir, DIRWATCH_GONE | DIRWATCH_NEW,
			  on_dir, h) < 0)
		return log_error("inotify %s: %m", h->dir), -1;
	return h->cfg->manage ? manage_open(&h->m, &h->loop, h->cfg->manage_dir, h->dir, h->name) : 0;
}

static int listen_sock(struct holder *h)
{
	struct stat st;

	h->lsn = (struct watch){ unix_listen_logged(h->sock, SOCK_STREAM, BACKLOG), on_conn, h };
	if (h->lsn.fd < 0)
		return -1;
	if (fstat(h->lsn.fd, &st) < 0 || lstat(h->sock, &st) < 0) {
		log_error("stat %s: %m", h->sock);
		return -1;
	}
	h->dev = st.st_dev;
	h->ino = st.st_ino;
	if (loop_add(&h->loop, &h->lsn, EPOLLIN) < 0)
		return log_error("epoll_ctl: %m"), -1;
	return 0;
}

/* Whatever the runtime gave us, keep nothing: the socket and the inotify
 * watch exist, and unlinking in a 0777 emptyDir needs no privilege. */
static int confine(const struct holder *h)
{
	if (caps_limit(0) < 0)
		return log_error("dropping capabilities: %m"), -1;
	if (no_new_privs() < 0)
		return log_error("no_new_privs: %m"), -1;
	if (!h->cfg->seccomp)
		return 0;
#if defined(__SANITIZE_ADDRESS__)
	/* ASan's runtime makes system calls the list does not know. */
	log_debug("ASan build: seccomp filter not installed");
	return 0;
#else
	if (seccomp_install(sockets_filter, sockets_filter_len) < 0)
		return log_error("seccomp: %m"), -1;
	return 0;
#endif
}

int holder_run(const struct cd_config *cfg)
{
	static struct holder h;
	int rc;

	h.cfg = cfg;
	h.dw.w.fd = -1;
	h.m.dw.w.fd = -1;
	/* Nothing inherited is kept for the pod's life (the holder starts no
	 * child).  The cwd stays: a relative --copy-path is resolved against
	 * it for the holder's whole life, and it is in the container's own
	 * root, which the holder cannot outlive. */
	if (fd_close_from(3) < 0)
		log_warn("closing inherited fds: %m");
	if (holder_paths(&h, cfg->copy_path) < 0)
		return log_error("--copy-path %s: %m", cfg->copy_path), EXIT_FAIL;
	/* A missing managed directory is a set-up error: found before
	 * anything is created. */
	if (cfg->manage_dir && !is_dir(cfg->manage_dir))
		return log_error("--manage-dir %s: %m", cfg->manage_dir), EXIT_FAIL;
	if (make_dir(h.dir) < 0 || open_fds(&h) < 0)
		return EXIT_FAIL;
	if (cfg->manage)
		manage_scan(&h.m);
	if (listen_sock(&h) < 0) {
		/* Bound but not held: left, the path would look like a
		 * holder that died. */
		if (h.lsn.fd >= 0)
			unlink(h.sock);
		return EXIT_FAIL;
	}
	if (confine(&h) < 0) {
		finish(&h, EXIT_FAIL);
		return EXIT_FAIL;
	}
	if (cfg->manage)
		log_info("listening on %s (managing the sockets of %s)", h.sock, h.m.dir);
	else
		log_info("listening on %s", h.sock);
	rc = role_run_loop_alone(&h.loop, EXIT_FAIL);
	/* The loop failed: nothing has removed the sockets yet. */
	if (!h.finished)
		finish(&h, rc);
	return rc;
}
