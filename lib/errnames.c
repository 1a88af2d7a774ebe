#include "errnames.h"

#include <errno.h>
#include <string.h>

/* Two packed tables rather than an array indexed by errno: that one was
 * mostly empty pointers, a kilobyte in binaries that count their size in
 * pages. */
#define ERRS(X) \
	X(EPERM) X(ENOENT) X(ESRCH) X(EINTR) X(EIO) X(ENXIO) X(E2BIG) \
	X(ENOEXEC) X(EBADF) X(ECHILD) X(EAGAIN) X(ENOMEM) X(EACCES) \
	X(EFAULT) X(EBUSY) X(EEXIST) X(EXDEV) X(ENODEV) X(ENOTDIR) \
	X(EISDIR) X(EINVAL) X(ENFILE) X(EMFILE) X(ENOTTY) X(ETXTBSY) \
	X(EFBIG) X(ENOSPC) X(ESPIPE) X(EROFS) X(EMLINK) X(EPIPE) \
	X(ERANGE) X(EDEADLK) X(ENAMETOOLONG) X(ENOLCK) X(ENOSYS) \
	X(ENOTEMPTY) X(ELOOP) X(ENOMSG) X(ENODATA) X(EOVERFLOW) \
	X(EBADFD) X(ENOTSOCK) X(EDESTADDRREQ) X(EMSGSIZE) X(EPROTOTYPE) \
	X(ENOPROTOOPT) X(EPROTONOSUPPORT) X(EOPNOTSUPP) X(EAFNOSUPPORT) \
	X(EADDRINUSE) X(EADDRNOTAVAIL) X(ENETDOWN) X(ENETUNREACH) \
	X(ECONNABORTED) X(ECONNRESET) X(ENOBUFS) X(EISCONN) X(ENOTCONN) \
	X(ETIMEDOUT) X(ECONNREFUSED) X(EALREADY) X(EINPROGRESS) \
	X(ESTALE) X(EDQUOT) X(ECANCELED) X(EOWNERDEAD) X(ELIBBAD) \
	X(EUSERS) X(ENOMEDIUM) X(ENOKEY) X(EKEYEXPIRED) X(ERFKILL)

#define CODE(e) e,
#define NAME(e) #e "\0"
static const unsigned char codes[] = { ERRS(CODE) };
static const char names[] = ERRS(NAME);

const char *errno_name(int err)
{
	const char *s = names;

	for (size_t i = 0; i < sizeof(codes); i++, s += strlen(s) + 1)
		if (codes[i] == err)
			return s;
	return 0;
}
