/* Passing one file descriptor over a Unix socket (SCM_RIGHTS). */
#ifndef TETHER_FDPASS_H
#define TETHER_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/* Sends len bytes (at least one: a stream carries no empty message) with
 * fd attached, or without any fd when fd < 0.  MSG_NOSIGNAL: a closed
 * peer is EPIPE, never SIGPIPE. */
ssize_t fd_send(int sock, const void *data, size_t len, int fd);
/* The same with nfds (0 to 4) descriptors in one SCM_RIGHTS message. */
ssize_t fd_send_fds(int sock, const void *data, size_t len, const int *fds, int nfds);
/* Receives up to len bytes; *fd is the one passed descriptor (made
 * close-on-exec by the kernel) or -1.  Any extra descriptors a peer sent
 * are closed so that a hostile client cannot fill our fd table. */
ssize_t fd_recv(int sock, void *data, size_t len, int *fd);

#endif
