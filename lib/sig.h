/* Signal names and the start-up mask. */
#ifndef TETHER_SIG_H
#define TETHER_SIG_H

#include <signal.h>

/* Blocks every signal; saves the mask the process inherited in *old.
 * Call it first in main: a signal that arrives before the event loop
 * exists then waits, pending, instead of killing or being lost. */
int sig_block_all(sigset_t *old);
/* "TERM", "SIGTERM", "15", "RTMIN+2", "SIGRTMAX-1" → number; -1 if bad. */
int sig_parse(const char *s);
/* "SIGTERM", "SIGRTMIN+2" or "signal 99"; tmp holds the result. */
const char *sig_name(int sig, char tmp[16]);

#endif
