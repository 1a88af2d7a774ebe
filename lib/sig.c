#include "sig.h"
#include "buf.h"

#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <unistd.h>

#define S(x) { SIG##x, #x }
static const struct { int sig; const char *name; } table[] = {
	S(HUP), S(INT), S(QUIT), S(ILL), S(TRAP), S(ABRT), S(BUS), S(FPE),
	S(KILL), S(USR1), S(SEGV), S(USR2), S(PIPE), S(ALRM), S(TERM),
	S(STKFLT), S(CHLD), S(CONT), S(STOP), S(TSTP), S(TTIN), S(TTOU),
	S(URG), S(XCPU), S(XFSZ), S(VTALRM), S(PROF), S(WINCH), S(IO),
	S(PWR), S(SYS),
};
#define TABLE_LEN (sizeof(table) / sizeof(table[0]))

void sig_fill(sigset_t *set)
{
	/* The kernel itself leaves SIGKILL and SIGSTOP out. */
	memset(set, 0xff, sizeof(*set));
}

int sig_setmask(const sigset_t *set, sigset_t *old)
{
	if (old)
		memset(old, 0, sizeof(*old));
	return syscall(SYS_rt_sigprocmask, SIG_SETMASK, set, old, _NSIG / 8) ? -1 : 0;
}

int sig_block_all(sigset_t *old)
{
	sigset_t all;

	sig_fill(&all);
	return sig_setmask(&all, old);
}

int sig_chld_default(void)
{
	struct sigaction old, dfl = { .sa_handler = SIG_DFL };

	if (sigaction(SIGCHLD, 0, &old) < 0)
		return -1;
	if (old.sa_handler != SIG_IGN)
		return 0;
	return sigaction(SIGCHLD, &dfl, 0) < 0 ? -1 : 1;
}

/* Parses a decimal number that must fill the whole of s; -1 if not. */
static int parse_small(const char *s)
{
	int v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 1000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static int parse_rt(const char *s)
{
	int base, off;

	if (!strncasecmp(s, "RTMIN", 5))
		base = SIGRTMIN;
	else if (!strncasecmp(s, "RTMAX", 5))
		base = SIGRTMAX;
	else
		return -1;
	s += 5;
	if (!*s)
		return base;
	off = parse_small(s + 1);
	if (off < 0)
		return -1;
	off = *s == '+' ? base + off : *s == '-' ? base - off : -1;
	return off >= SIGRTMIN && off <= SIGRTMAX ? off : -1;
}

int sig_parse(const char *s)
{
	int n;

	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	n = parse_small(s);
	if (n >= 0)
		return n >= 1 && n < NSIG ? n : -1;
	for (size_t i = 0; i < TABLE_LEN; i++)
		if (!strcasecmp(s, table[i].name))
			return table[i].sig;
	return parse_rt(s);
}

const char *sig_name(int sig, char tmp[16])
{
	struct buf b = { tmp, 0, 16, 0 };

	for (size_t i = 0; i < TABLE_LEN; i++)
		if (table[i].sig == sig) {
			buf_printf(&b, "SIG%s", table[i].name);
			return buf_cstr(&b);
		}
	if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		buf_printf(&b, "SIGRTMIN+%d", sig - SIGRTMIN);
	else
		buf_printf(&b, "signal %d", sig);
	return buf_cstr(&b);
}
