#include "seccomp.h"
#include "caps.h"

#include <stddef.h>
#include <sys/prctl.h>

#define MODE_FILTER 2

struct fprog {
	unsigned short len;
	const struct seccomp_insn *filter;
};

int seccomp_install(const struct seccomp_insn *prog, unsigned short len)
{
	struct fprog fp = { len, prog };

	if (no_new_privs() < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, MODE_FILTER, &fp, 0, 0);
}
