/* Capabilities through capget/capset/prctl directly.  libcap is not
 * linked: the handful of calls below is all the roles need, and it keeps
 * every binary static with musl (Debian's libcap.a is built for glibc). */
#ifndef TETHER_CAPS_H
#define TETHER_CAPS_H

#include <stdint.h>

/* "net_bind_service", "CAP_NET_BIND_SERVICE" or "10" → number; -1 if bad. */
int cap_parse(const char *name);
/* Highest capability this kernel knows. */
int cap_last(void);
/* 1 if cap is in this process's permitted set, 0 if not, -1 on error. */
int cap_permitted(int cap);
/* Keeps only the caps in `keep` (a bit mask, bit n = cap n) in the
 * effective, permitted and inheritable sets, raises them as ambient so
 * they survive exec by a non-root uid, and drops every other cap from the
 * bounding set. keep = 0 drops everything. */
int caps_limit(uint64_t keep);
/* Adds cap to the inheritable set and raises it as ambient. */
int cap_raise_ambient(int cap);
/* Lowers cap from the ambient set (children exec'd afterwards lack it). */
int cap_lower_ambient(int cap);
/* Sets no_new_privs. */
int no_new_privs(void);

#endif
