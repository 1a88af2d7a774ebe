#!/bin/bash
# Defects the fault suite found, each one injection that must not be a
# defect (tests/faults/README.md).  Each failed on the binary before its fix.
. "$(dirname "$0")/lib.sh"

# tether: the event loop's set-up failing after the program started
# (epoll_ctl ENOMEM, held 0.3 s so the program has forked first) killed
# only the program; its own children were left running.  Fixed in
# init/run.c: the program's process group is killed.
faults_only tether-run epoll_ctl:ENOMEM:1:300000

# tether-supervise: a set-up failure after MAIN started (the event socket's
# bind refused) ended with exit 111 but left the --cleanup-glob sockets, so
# the container-disk holders ran on.  Fixed in supervisor/run.c.
faults_only supervise bind:EACCES:1

# container-disk: a set-up failure after its socket was bound (epoll_ctl
# on the listener refused) exited 1 and left PATH.sock, which then looks
# like a holder that died.  Fixed in sockets/holder.c.
faults_only container-disk epoll_ctl:ENOMEM:4

# lib/sock.c (unix_listen): listen refused after a successful bind left
# the socket file (the placeholder exited 111 with its socket still there).
faults_only placeholder listen:EADDRINUSE:1

# tether-supervise: MAIN could not be started (fork EAGAIN): exit 111 with
# the --cleanup-glob sockets left.  Fixed in supervisor/run.c.
faults_only supervise fork:EAGAIN:1

# tether-supervise: any set-up failure (here PR_SET_CHILD_SUBREAPER
# refused, before MAIN) also left the --cleanup-glob sockets.
faults_only supervise prctl:EPERM:1

# the placeholder: a registration was taken before its OK was sent; when
# the send failed, the launcher heard nothing and killed its program, which
# the placeholder still held as virtiofsd, so that death ended the
# container.  Fixed in init/placeholder.c: the OK is sent first, and a
# registration whose OK cannot be sent is dropped.
faults_only placeholder sendto:EAGAIN:1

# tether-enter: the acknowledgement of the program's pidfd unsent (stage B
# waits for it before its exec): it waited out the chain's 10 s deadline,
# then killed B, which the container's init took for virtiofsd (a failed
# launch ended the container).  Fixed in cgroup/launch.c: exit 9 at once,
# and B, unrun, fails on the closed socket and is reaped by C.
faults_only enter sendto:EAGAIN:1
