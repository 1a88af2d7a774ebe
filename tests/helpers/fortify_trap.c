/* fortify_trap CALL N: makes CALL (memcpy, memmove, memset, read, recv or
 * readlinkat) write N bytes into an 8-byte buffer, and prints "returned"
 * if it came back.  Built with tether-enter's flags (cgroup/build.mk):
 * N > 8 must trap instead (SIGILL from lib/fortify.h under musl, SIGABRT
 * from glibc's _FORTIFY_SOURCE). */
#include "fd.h"

#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char dst[8];
static char src[64];
static char guard[64];	/* what an unchecked overflow would land in */

int main(int argc, char **argv)
{
	int p[2];
	long n;

	if (argc != 3 || parse_long(argv[2], 0, sizeof(src), &n))
		return 2;
	memset(src, 'x', sizeof(src));
	if (!strcmp(argv[1], "memcpy")) {
		memcpy(dst, src, n);
	} else if (!strcmp(argv[1], "memmove")) {
		memmove(dst, src, n);
	} else if (!strcmp(argv[1], "memset")) {
		memset(dst, 'y', n);
	} else if (!strcmp(argv[1], "read")) {
		if (pipe(p) < 0 || write(p[1], src, sizeof(src)) < 0 || read(p[0], dst, n) < 0)
			return 1;
	} else if (!strcmp(argv[1], "recv")) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, p) < 0 || write(p[1], src, sizeof(src)) < 0 ||
		    recv(p[0], dst, n, 0) < 0)
			return 1;
	} else if (!strcmp(argv[1], "readlinkat")) {
		if (readlinkat(AT_FDCWD, "/proc/self/exe", dst, n) < 0)
			return 1;
	} else {
		return 2;
	}
	return write(1, "returned\n", 9) < 0 || guard[0] == 1;
}
