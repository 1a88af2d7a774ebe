/* Signal names and the start-up mask. */
#ifndef TETHER_SIG_H
#define TETHER_SIG_H

#include <signal.h>

/* Blocks every signal; saves the mask the process inherited in *old.
 * Call it first in main: a signal that arrives before the event loop
 * exists then waits, pending, instead of killing or being lost. */
int sig_block_all(sigset_t *old);
/* Every signal, 32-34 included: the C libraries keep those for their
 * threads and leave them out of sigfillset, but a process may be sent
 * them, and their default action is to terminate. */
void sig_fill(sigset_t *set);
/* sigprocmask(SIG_SETMASK) as the kernel does it: musl drops 32-34 from
 * the old mask it returns and glibc 32-33 from the new one, which would
 * give a child a mask other than the one inherited. */
int sig_setmask(const sigset_t *set, sigset_t *old);
/* An inherited SIG_IGN for SIGCHLD makes the kernel reap children itself,
 * so no exit status would ever be seen: this puts SIGCHLD back to the
 * default.  Returns 1 if it was ignored (children must get SIG_IGN back to
 * inherit exactly what we inherited), 0 if not, -1 on error. */
int sig_chld_default(void);
/* "TERM", "SIGTERM", "15", "RTMIN+2", "SIGRTMAX-1" → number; -1 if bad. */
int sig_parse(const char *s);
/* "SIGTERM", "SIGRTMIN+2" or "signal 99"; tmp holds the result. */
const char *sig_name(int sig, char tmp[16]);

#endif
