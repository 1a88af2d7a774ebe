/* The placeholder's registration protocol (init/PLACEHOLDER.md), the one
 * protocol that crosses binaries: tether-enter (cgroup/register.c) speaks
 * it to the placeholder (init/placeholder.c).  Both ends use only what is
 * here, so a change to one side without the other does not build or fails
 * tests/unit/test_vfsreg.
 *
 * On one connection to the placeholder's socket, a root peer from outside
 * its PID namespace (tether-enter):
 *
 *   RESERVE\n                      (no descriptors)
 *     OK 0\n        the reservation is this connection's until it closes
 *                   or VFSREG_RESERVE_MS pass; nothing else registers
 *     BUSY <pid>\n  virtiofsd <pid> is registered: already running
 *     BUSY 0\n      another connection holds the reservation: a launch is
 *                   under way
 *     ERR <why>\n   refused
 *   REGISTER\n      with [pidfd] or [pidfd, stop_r, stop_w]
 *     OK <pid>\n    that process is now virtiofsd
 *     BUSY <pid>\n  as above
 *     ERR <why>\n   refused
 *
 * REGISTER without RESERVE is answered too (a reservation held by another
 * connection makes it BUSY 0).  After any answer but "OK 0" to RESERVE
 * the placeholder closes the connection. */
#ifndef TETHER_VFSREG_H
#define TETHER_VFSREG_H

#include <stddef.h>
#include <sys/types.h>

#define VFSREG_RESERVE "RESERVE\n"
#define VFSREG_REGISTER "REGISTER\n"
/* Descriptors a REGISTER carries, in this order. */
enum { VFSREG_PIDFD, VFSREG_STOP_R, VFSREG_STOP_W, VFSREG_NFDS };
/* A reservation lasts at most this long: tether-enter's bounded steps
 * between RESERVE and REGISTER (ENTER_STEPS_MS) fit well within it. */
#define VFSREG_RESERVE_MS 30000
/* Longest request and answer, with their newline. */
#define VFSREG_MAX 64

enum vfsreg_req { VFSREG_BAD, VFSREG_REQ_RESERVE, VFSREG_REQ_REGISTER };
enum vfsreg_kind { VFSREG_NONE, VFSREG_OK, VFSREG_BUSY, VFSREG_ERR };

struct vfsreg_answer {
	enum vfsreg_kind kind;
	long pid;		/* OK and BUSY */
	char why[VFSREG_MAX];	/* ERR; otherwise the whole line, for logs */
};

/* The request in data[0..len) with n descriptors; VFSREG_BAD unless it is
 * RESERVE with none, or REGISTER with 1 or 3. */
enum vfsreg_req vfsreg_request(const char *data, size_t len, int n);
/* Formats an answer into out (at least VFSREG_MAX bytes); its length. */
size_t vfsreg_format(char *out, enum vfsreg_kind kind, long pid, const char *why);
/* Parses one answer line (up to its newline); kind VFSREG_NONE when it is
 * none of the above. */
void vfsreg_parse(const char *data, size_t len, struct vfsreg_answer *a);

#endif
