/* Passing file descriptors over a Unix socket (SCM_RIGHTS). */
#ifndef TETHER_FDPASS_H
#define TETHER_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/* At most this many descriptors travel in one message. */
#define FDPASS_MAX 4

/* Sends len bytes (at least one: a stream carries no empty message) with
 * the n descriptors fds[] attached (n <= FDPASS_MAX; none when n is 0).
 * MSG_NOSIGNAL: a closed peer is EPIPE, never SIGPIPE. */
ssize_t fd_send_fds(int sock, const void *data, size_t len, const int *fds, int n);
/* One descriptor, or none when fd < 0. */
ssize_t fd_send(int sock, const void *data, size_t len, int fd);
/* Receives up to len bytes and the descriptors passed with them (made
 * close-on-exec by the kernel) into fds[0..*n-1], at most max; any more a
 * peer sent are closed, so that a hostile client cannot fill our fd table.
 * *n is 0 on error. */
ssize_t fd_recv_fds(int sock, void *data, size_t len, int *fds, int max, int *n);
/* One descriptor: *fd is the first passed, or -1. */
ssize_t fd_recv(int sock, void *data, size_t len, int *fd);

#endif
