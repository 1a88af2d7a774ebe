/* Process file descriptors: a reference to one process that cannot be
 * confused with a later process reusing its number. */
#ifndef TETHER_PIDFD_H
#define TETHER_PIDFD_H

#include <sys/types.h>

/* pidfd_open(2); the fd is close-on-exec. */
int pidfd_open_pid(pid_t pid);
/* pidfd_send_signal(2); sig 0 checks the process still exists. */
int pidfd_signal(int pidfd, int sig);
/* pidfd_getfd(2): a close-on-exec copy of the target's fd targetfd. */
int pidfd_dup(int pidfd, int targetfd);
/* The process's pid as seen in our PID namespace (from fdinfo): 0 if it
 * is not visible here, -1 (errno ESRCH) if it has exited, -1 on error. */
pid_t pidfd_pid(int pidfd);
/* Its wait status after it has been reaped by whichever parent it had
 * (kernel >= 6.15, PIDFD_INFO_EXIT); -1 if not available (yet). */
int pidfd_wait_status(int pidfd, int *wstatus);
/* 1 if the process is our child, exited and not yet reaped (waitid
 * P_PIDFD, WNOWAIT: it stays reapable), else 0. */
int pidfd_is_our_zombie(int pidfd);
/* The peer of a connected Unix socket as a pidfd: SO_PEERPIDFD (6.5+),
 * else SO_PEERCRED then pidfd_open (racy only on kernels before 6.5). */
int pidfd_of_peer(int sock);

#endif
