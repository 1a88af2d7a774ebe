#include "sig.h"
#include "buf.h"

#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Signals 1 to 31 by name, in number order (the generic Linux numbering
 * of x86 and arm), packed: a table of pointers would cost more than the
 * names. */
static const char names[] =
	"HUP\0INT\0QUIT\0ILL\0TRAP\0ABRT\0BUS\0FPE\0KILL\0USR1\0SEGV\0USR2\0"
	"PIPE\0ALRM\0TERM\0STKFLT\0CHLD\0CONT\0STOP\0TSTP\0TTIN\0TTOU\0URG\0"
	"XCPU\0XFSZ\0VTALRM\0PROF\0WINCH\0IO\0PWR\0SYS\0";
_Static_assert(SIGBUS == 7 && SIGUSR1 == 10 && SIGCHLD == 17 && SIGSTOP == 19 &&
	       SIGSYS == 31, "the names above follow the generic signal numbers");

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
	n = 1;
	for (const char *p = names; *p; p += strlen(p) + 1, n++)
		if (!strcasecmp(s, p))
			return n;
	return parse_rt(s);
}

const char *sig_name(int sig, char tmp[16])
{
	struct buf b = { tmp, 0, 16, 0 };
	const char *p = names;

	for (int n = 1; *p && n < sig; n++)
		p += strlen(p) + 1;
	if (sig >= 1 && *p)
		buf_printf(&b, "SIG%s", p);
	else if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		buf_printf(&b, "SIGRTMIN+%d", sig - SIGRTMIN);
	else
		buf_printf(&b, "signal %d", sig);
	return buf_cstr(&b);
}
