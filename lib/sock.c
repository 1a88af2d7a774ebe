#include "sock.h"
#include "fd.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static int sockaddr_op(int fd, const char *name, int op)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(name);

	if (n >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, name, n + 1);
	if (op == UNIX_BIND)
		return bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	return connect(fd, (struct sockaddr *)&sa, sizeof(sa));
}

/* The long-path route: work relative to the socket's directory. */
static int via_dir(int fd, const char *path, int op)
{
	char dir[4096];
	int here, dirfd, rc, err;

	if (path_dir(path, dir, sizeof(dir)) < 0)
		return -1;
	here = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (here < 0)
		return -1;
	dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0 || fchdir(dirfd) < 0) {
		err = errno;
		rc = -1;
	} else {
		rc = sockaddr_op(fd, path_base(path), op);
		err = errno;
		if (fchdir(here) < 0)
			err = errno, rc = -1;
	}
	if (dirfd >= 0)
		close(dirfd);
	close(here);
	errno = err;
	return rc;
}

int unix_addr_op(int fd, const char *path, int op)
{
	if (strlen(path) < sizeof(((struct sockaddr_un *)0)->sun_path) ||
	    !strchr(path, '/'))
		return sockaddr_op(fd, path, op);
	return via_dir(fd, path, op);
}

int unix_connect_within(const char *path, int type, int seconds)
{
	struct timeval tv = { seconds, 0 };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0), err;

	if (fd < 0)
		return -1;
	if ((seconds <= 0 || setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0) &&
	    unix_addr_op(fd, path, UNIX_CONNECT) == 0)
		return fd;
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

int unix_connect(const char *path, int type)
{
	return unix_connect_within(path, type, 0);
}

/* One connect that cannot wait.  A unix connect completes or fails at
 * once (it never returns EINPROGRESS); the only wait is for room in a
 * listener's full queue, and O_NONBLOCK turns that into EAGAIN. */
static int probe(const char *path, int type)
{
	int fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), rc, err;

	if (fd < 0)
		return -1;
	rc = unix_addr_op(fd, path, UNIX_CONNECT);
	err = errno;
	close(fd);
	errno = err;
	return rc;
}

int unix_alive(const char *path)
{
	struct stat st;
	int rc;

	if (lstat(path, &st) < 0)
		return UNIX_DEAD;
	if (!S_ISSOCK(st.st_mode)) {
		errno = ENOTSOCK;
		return UNIX_DEAD;
	}
	rc = probe(path, SOCK_STREAM);
	if (rc < 0 && errno == EPROTOTYPE)
		rc = probe(path, SOCK_DGRAM);
	if (rc == 0)
		return UNIX_LIVE;
	/* A listener whose queue is full exists, and holds the path: it is
	 * stopped, frozen, wedged or flooded, never stale. */
	return errno == EAGAIN ? UNIX_FULL : UNIX_DEAD;
}

/* Clears the way for a new socket at path, refusing to touch anything
 * that is not a dead socket. */
static int clear_stale(const char *path)
{
	struct stat st;
	int alive;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		errno = EEXIST;
		return -1;
	}
	alive = unix_alive(path);
	if (alive) {
		errno = alive == UNIX_FULL ? EAGAIN : EADDRINUSE;
		return -1;
	}
	/* Only a refused connection proves nobody listens; EACCES (a
	 * process without CAP_DAC_OVERRIDE) must not unlink a live socket. */
	if (errno != ECONNREFUSED)
		return -1;
	if (unlink(path) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

int unix_listen(const char *path, int type, int backlog)
{
	int fd, err;

	if (clear_stale(path) < 0)
		return -1;
	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (unix_addr_op(fd, path, UNIX_BIND) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	if (type == SOCK_STREAM && listen(fd, backlog) < 0) {
		/* Bound but not listening: the file would look like a dead
		 * listener's. */
		err = errno;
		unlink(path);
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

pid_t unix_peer_pid(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -1;
	return cred.pid;
}

int unix_listen_logged(const char *path, int type, int backlog)
{
	int fd = unix_listen(path, type, backlog);

	if (fd >= 0)
		return fd;
	if (errno == EEXIST)
		log_error("listen %s: not a socket, refusing to replace it", path);
	else if (errno == EADDRINUSE)
		log_error("listen %s: another process listens there", path);
	else if (errno == EAGAIN)
		log_error("listen %s: another process listens there and accepts nothing (its queue is full)",
			  path);
	else
		log_error("listen %s: %m", path);
	return -1;
}

int spare_fd(void)
{
	return open("/", O_PATH | O_CLOEXEC);
}

int accept_shed(int lfd, int *spare)
{
	int c;

	if (*spare < 0)
		return -1;
	close(*spare);
	c = accept4(lfd, 0, 0, SOCK_CLOEXEC);
	if (c >= 0)
		close(c);
	*spare = spare_fd();
	return c >= 0 && *spare >= 0 ? 0 : -1;
}

int unlink_socket(const char *path, const char *what)
{
	struct stat st;
	int rc = lstat(path, &st);

	if (rc == 0 && !S_ISSOCK(st.st_mode))
		return 0;
	if (rc == 0)
		rc = unlink(path);
	if (rc == 0) {
		log_info("removed %s %s", what, path);
		return 1;
	}
	if (errno == ENOENT)
		return 0;
	log_warn("removing %s %s: %m", what, path);
	return -1;
}
