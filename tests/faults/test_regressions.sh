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

# the placeholder: lstat of its socket refused right after the bind left it
# without the file's identity, so at exit the socket stayed, silently; and
# refused at exit, it stayed without a line.  Fixed in init/placeholder.c:
# the first is a set-up failure (111, the socket removed), the second says
# it leaves the socket.
faults_only placeholder lstat:EACCES:2
faults_only placeholder lstat:EIO:3

# the placeholder: fstat refused on the stop channel was reported as "not
# the two ends of one pipe", a peer's fault, with no errno.  Fixed in
# init/placeholder.c (bad_channel names the call and its errno).
faults_only placeholder fstat:EIO:1

# the placeholder, PID 1: a waitid failing with ECHILD after virtiofsd
# exited hid its exit for good (no SIGCHLD comes again): the placeholder
# waited on past its grace, for ever.  Fixed in init/placeholder.c: ECHILD
# means virtiofsd, ours to reap, is gone (exit 1, status unknown, a line).
faults_only placeholder waitid:ECHILD:3

# tether: a wait4 failing with ECHILD while children were left made tether
# exit with them still running (its tree not stopped).  Fixed in
# init/run.c: ECHILD with the program unreaped takes it as gone (111, a
# line), and an exit on ECHILD kills whatever the kernel still lists as
# our child.
faults_only tether-run wait4:ECHILD:3

# tether-supervise: a wait4 failing with ECHILD after a child exited hid
# that exit for good: the ordered stop waited for ever.  Fixed in
# supervisor/run.c: ECHILD means MAIN and the daemons not yet reaped are
# gone (111, one line each).
faults_only supervise wait4:ECHILD:7

# tether-enter: the kernel failing to name a namespace's owner (the
# NS_GET_USERNS ioctl, or fstat of what it returned) was taken for a
# foreign owner, a refusal (10) whose line named no errno.  Fixed in
# cgroup/target.c: a failed call is said with its errno (exit 3); only
# EPERM, an owner outside our user namespace, is a refusal, and says so.
faults_only enter ioctl:EINVAL:1
faults_only enter fstat:EIO:4

# tether-enter: a failed getsockopt for the listener's pidfd was reported
# as "another process's socket (pid -1)", a refusal.  Fixed in
# cgroup/register.c: our own failed call, with its errno (exit 9).
faults_only enter getsockopt:ENOBUFS:4

# tether-enter: an EAGAIN in the reservation was said as "does not answer
# within 2 s" with no errno, though the call may have failed at once.
# Fixed in cgroup/register.c: the line names what the call returned.
faults_only enter sendmsg:EAGAIN:1
