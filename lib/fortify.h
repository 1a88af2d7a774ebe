/* Buffer-size checks for the libc calls tether-enter makes, under musl,
 * whose headers implement none of _FORTIFY_SOURCE (defining it there
 * changes nothing).  cgroup/build.mk force-includes this header into
 * tether-enter's objects (and its copy of lib/) with musl only; with
 * glibc the real _FORTIFY_SOURCE=2 is used instead.
 *
 * Each wrapper is inlined at its call site, where the compiler knows the
 * size of the destination (also one known only at run time, through
 * __builtin_dynamic_object_size): a call that would write (or, for the
 * copies, read) past it traps (SIGILL) instead of overflowing.  Sizes
 * the compiler cannot know are not checked, as with _FORTIFY_SOURCE. */
#ifndef TETHER_FORTIFY_H
#define TETHER_FORTIFY_H

#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#ifdef __GLIBC__
#error "lib/fortify.h is for musl; use -D_FORTIFY_SOURCE=2 with glibc"
#endif

#if defined(__OPTIMIZE__) && !defined(__clang__)

#if __has_builtin(__builtin_dynamic_object_size)
#define tf_size(p) __builtin_dynamic_object_size((p), 0)
#else
#define tf_size(p) __builtin_object_size((p), 0)
#endif

#define TF_INLINE extern __inline__ \
	__attribute__((__always_inline__, __gnu_inline__, __artificial__))

/* The library's own functions, under other names for the same symbols. */
void *tf_memcpy(void *__restrict, const void *__restrict, size_t) __asm__("memcpy");
void *tf_memmove(void *, const void *, size_t) __asm__("memmove");
void *tf_memset(void *, int, size_t) __asm__("memset");
ssize_t tf_read(int, void *, size_t) __asm__("read");
ssize_t tf_recv(int, void *, size_t, int) __asm__("recv");
ssize_t tf_readlinkat(int, const char *__restrict, char *__restrict, size_t) __asm__("readlinkat");

TF_INLINE void *memcpy(void *__restrict d, const void *__restrict s, size_t n)
{
	if (n > tf_size(d) || n > tf_size(s))
		__builtin_trap();
	return tf_memcpy(d, s, n);
}

TF_INLINE void *memmove(void *d, const void *s, size_t n)
{
	if (n > tf_size(d) || n > tf_size(s))
		__builtin_trap();
	return tf_memmove(d, s, n);
}

TF_INLINE void *memset(void *d, int c, size_t n)
{
	if (n > tf_size(d))
		__builtin_trap();
	return tf_memset(d, c, n);
}

TF_INLINE ssize_t read(int fd, void *buf, size_t n)
{
	if (n > tf_size(buf))
		__builtin_trap();
	return tf_read(fd, buf, n);
}

TF_INLINE ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	if (n > tf_size(buf))
		__builtin_trap();
	return tf_recv(fd, buf, n, flags);
}

TF_INLINE ssize_t readlinkat(int dirfd, const char *__restrict path, char *__restrict buf, size_t n)
{
	if (n > tf_size(buf))
		__builtin_trap();
	return tf_readlinkat(dirfd, path, buf, n);
}

#endif
#endif
