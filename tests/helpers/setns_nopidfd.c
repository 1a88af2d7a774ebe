/* setns_nopidfd PROGRAM [ARGS...]: runs PROGRAM (and everything it
 * starts) under a seccomp filter that answers setns(2) with EINVAL when
 * its nstype names several namespaces at once, as a kernel before 5.8
 * answers setns on a pidfd: only the pidfd form takes such a set, so the
 * form that joins one namespace by its fd still works. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The architecture this helper is built for: the filter acts on its calls
 * only (any other is let through, as before). */
#if defined(__x86_64__)
#define THIS_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define THIS_ARCH AUDIT_ARCH_AARCH64
#elif defined(__s390x__)
#define THIS_ARCH AUDIT_ARCH_S390X
#else
#error "setns_nopidfd: no AUDIT_ARCH for this architecture"
#endif
/* nstype's 32 bits are the low half of the 64-bit args[1]: its first word
 * on a little-endian machine, its second on a big-endian one (s390x). */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define ARG1 (offsetof(struct seccomp_data, args[1]) + 4)
#else
#define ARG1 offsetof(struct seccomp_data, args[1])
#endif
/* The i-th of the nine allowed values: on a match, on to ALLOW. */
#define ONE(i, flag) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (flag), 9 - (i), 0)

int main(int argc, char **argv)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, THIS_ARCH, 0, 13),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_setns, 0, 11),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG1),
		ONE(0, 0), ONE(1, CLONE_NEWCGROUP), ONE(2, CLONE_NEWIPC), ONE(3, CLONE_NEWNS),
		ONE(4, CLONE_NEWNET), ONE(5, CLONE_NEWPID), ONE(6, CLONE_NEWUTS),
		ONE(7, CLONE_NEWUSER), ONE(8, 0x80 /* CLONE_NEWTIME */),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EINVAL),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

	if (argc < 2) {
		fprintf(stderr, "usage: setns_nopidfd PROGRAM [ARGS...]\n");
		return 2;
	}
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		perror("seccomp");
		return 1;
	}
	execv(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
}
