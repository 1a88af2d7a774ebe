/* Leftover QEMU at the stop: libvirt daemonises it, so it re-parents to
 * us (PID 1 or subreaper); our children whose comm starts with
 * qemu-system or qemu-kvm (README, "Stop" 2). */
#ifndef SUPERVISE_QEMU_H
#define SUPERVISE_QEMU_H

#include <sys/types.h>

#define MAX_QEMU 64

struct qemu_set {
	pid_t self;
	pid_t pid[MAX_QEMU];
	int n;
};

/* Fills q with our QEMU children (the children file, a /proc scan when
 * the kernel lacks it); returns how many. */
int qemu_find(struct qemu_set *q);
/* sig to each (grace's send). */
int qemu_send(int sig, void *ctx);
/* 1 if pid was one of them (then it is taken out). */
int qemu_reaped(struct qemu_set *q, pid_t pid);

#endif
