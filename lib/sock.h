/* Unix sockets at any path length: a path longer than sun_path is reached
 * through its directory (fchdir and back), never truncated. */
#ifndef TETHER_SOCK_H
#define TETHER_SOCK_H

#include <sys/types.h>

/* Listens (SOCK_STREAM) or binds (SOCK_DGRAM) at path; the fd is
 * non-blocking and close-on-exec.  An existing socket nobody listens on
 * (connect refused) is replaced; a live one fails with EADDRINUSE, or
 * EAGAIN when its listener's queue is full (stopped, frozen, wedged: it
 * still holds the path, so it is not replaced either); any other kind of
 * file fails with EEXIST and is left alone.  The check never waits. */
int unix_listen(const char *path, int type, int backlog);
/* unix_listen with a failure logged in words: "listen P: not a socket,
 * refusing to replace it", "listen P: another process listens there",
 * "... there and accepts nothing (its queue is full)", or the errno. */
int unix_listen_logged(const char *path, int type, int backlog);
/* An fd kept in reserve for accept_shed (an O_PATH of "/"), or -1. */
int spare_fd(void);
/* Out of fds (EMFILE, ENFILE): gives up *spare to take one connection off
 * lfd's queue and close it, so that its client sees an orderly close and
 * not a hang, then takes a spare again.  0 if one was shed and the spare
 * is back; -1 if not (the caller then stops accepting for a while). */
int accept_shed(int lfd, int *spare);
/* Connects to path; returns a close-on-exec fd or -1. */
int unix_connect(const char *path, int type);
/* The same, bounded (seconds > 0) for a peer that never accepts: once its
 * listen queue is full, connect waits for room, and fails with EAGAIN
 * after `seconds`.  The bound (SO_SNDTIMEO) stays on the fd's sends. */
int unix_connect_within(const char *path, int type, int seconds);
/* Like connect/bind/unlink-of-a-socket-path, for any path length. */
int unix_addr_op(int fd, const char *path, int op);
enum { UNIX_BIND, UNIX_CONNECT };
/* Whether something listens at path, by one non-blocking connect that
 * never waits (lstat first: never through a symlink): UNIX_LIVE (it
 * connected), UNIX_FULL (a listener whose queue is full: alive, but it
 * accepts nothing now), or UNIX_DEAD (stale, absent or not a socket, with
 * errno telling which: ECONNREFUSED alone proves a socket stale). */
enum { UNIX_DEAD, UNIX_LIVE, UNIX_FULL };
int unix_alive(const char *path);
/* Removes path if it is a socket (lstat: never through a symlink), and
 * nothing else: 1 removed ("removed WHAT PATH" logged), 0 not a socket or
 * not there, -1 (a warning logged, errno set). */
int unlink_socket(const char *path, const char *what);
/* The peer's pid from SO_PEERCRED, or -1. */
pid_t unix_peer_pid(int fd);

#endif
