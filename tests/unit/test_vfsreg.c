/* The registration protocol's wire format (lib/vfsreg.h): the exact bytes
 * tether-enter and the placeholder exchange.  Both ends build from
 * lib/vfsreg.c; this pins what goes over the socket, so that a changed
 * word, order of descriptors or answer shows here, not in a pod. */
#define UNIT_NAME "unit_vfsreg"
#include "check.h"

#include "vfsreg.h"

static void requests(void)
{
	CHECK_STR(VFSREG_RESERVE, "RESERVE\n");
	CHECK_STR(VFSREG_REGISTER, "REGISTER\n");
	CHECK_INT(vfsreg_request("RESERVE\n", 8, 0), VFSREG_REQ_RESERVE);
	CHECK_INT(vfsreg_request("RESERVE\n", 8, 1), VFSREG_BAD);
	CHECK_INT(vfsreg_request("REGISTER\n", 9, 1), VFSREG_REQ_REGISTER);
	CHECK_INT(vfsreg_request("REGISTER\n", 9, 3), VFSREG_REQ_REGISTER);
	CHECK_INT(vfsreg_request("REGISTER\n", 9, 0), VFSREG_BAD);
	CHECK_INT(vfsreg_request("REGISTER\n", 9, 2), VFSREG_BAD);
	CHECK_INT(vfsreg_request("REGISTER\nX", 10, 1), VFSREG_BAD);
	CHECK_INT(vfsreg_request("REGISTER", 8, 1), VFSREG_BAD);
	CHECK_INT(vfsreg_request("RESERVE\nREGISTER\n", 17, 0), VFSREG_BAD);
}

static void fd_order(void)
{
	CHECK_INT(VFSREG_PIDFD, 0);
	CHECK_INT(VFSREG_STOP_R, 1);
	CHECK_INT(VFSREG_STOP_W, 2);
	CHECK_INT(VFSREG_NFDS, 3);
}

static const char *fmt(enum vfsreg_kind k, long pid, const char *why)
{
	static char out[VFSREG_MAX + 1];
	size_t n = vfsreg_format(out, k, pid, why);

	out[n] = '\0';
	return out;
}

static void answers(void)
{
	char long_why[200];

	CHECK_STR(fmt(VFSREG_OK, 35, 0), "OK 35\n");
	CHECK_STR(fmt(VFSREG_OK, 0, 0), "OK 0\n");
	CHECK_STR(fmt(VFSREG_BUSY, 7, 0), "BUSY 7\n");
	CHECK_STR(fmt(VFSREG_BUSY, 0, 0), "BUSY 0\n");
	CHECK_STR(fmt(VFSREG_ERR, 0, "bad message"), "ERR bad message\n");
	memset(long_why, 'x', sizeof(long_why) - 1);
	long_why[sizeof(long_why) - 1] = '\0';
	CHECK(strlen(fmt(VFSREG_ERR, 0, long_why)) <= VFSREG_MAX);
	CHECK(fmt(VFSREG_ERR, 0, long_why)[strlen(fmt(VFSREG_ERR, 0, long_why)) - 1] == '\n');
}

static void parsing(void)
{
	struct vfsreg_answer a;

	vfsreg_parse("OK 35\n", 6, &a);
	CHECK_INT(a.kind, VFSREG_OK);
	CHECK_INT(a.pid, 35);
	vfsreg_parse("BUSY 0\n", 7, &a);
	CHECK_INT(a.kind, VFSREG_BUSY);
	CHECK_INT(a.pid, 0);
	vfsreg_parse("ERR not a live process\n", 23, &a);
	CHECK_INT(a.kind, VFSREG_ERR);
	CHECK_STR(a.why, "not a live process");
	vfsreg_parse("OK 35", 5, &a);
	CHECK_INT(a.kind, VFSREG_NONE);
	vfsreg_parse("OK x\n", 5, &a);
	CHECK_INT(a.kind, VFSREG_NONE);
	vfsreg_parse("OK -1\n", 6, &a);
	CHECK_INT(a.kind, VFSREG_NONE);
	vfsreg_parse("HELLO\n", 6, &a);
	CHECK_INT(a.kind, VFSREG_NONE);
	CHECK_STR(a.why, "HELLO");
	vfsreg_parse("", 0, &a);
	CHECK_INT(a.kind, VFSREG_NONE);
}

/* Every answer the placeholder formats, tether-enter parses back. */
static void round_trip(void)
{
	struct vfsreg_answer a;
	char out[VFSREG_MAX];
	size_t n;

	n = vfsreg_format(out, VFSREG_BUSY, 4194304, 0);
	vfsreg_parse(out, n, &a);
	CHECK_INT(a.kind, VFSREG_BUSY);
	CHECK_INT(a.pid, 4194304);
	n = vfsreg_format(out, VFSREG_ERR, 0, "only the launcher or the process itself registers");
	vfsreg_parse(out, n, &a);
	CHECK_INT(a.kind, VFSREG_ERR);
	CHECK_STR(a.why, "only the launcher or the process itself registers");
}

int main(void)
{
	RUN(requests);
	RUN(fd_order);
	RUN(answers);
	RUN(parsing);
	RUN(round_trip);
	UNIT_DONE();
}
