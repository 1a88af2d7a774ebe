/* Installs a seccomp filter compiled at build time: lib/seccomp-gen
 * (linked with libseccomp, run on the build host) turns a role's list of
 * allowed system calls into a C array; the runtime only loads it. */
#ifndef TETHER_SECCOMP_H
#define TETHER_SECCOMP_H

struct seccomp_insn {
	unsigned short code;
	unsigned char jt, jf;
	unsigned int k;
};

/* Sets no_new_privs and loads the filter. */
int seccomp_install(const struct seccomp_insn *prog, unsigned short len);

#endif
