/* SPDX-License-Identifier: MIT */
/*
 * dup.c - dup(), dup2(), dup3() and fcntl(F_DUPFD, F_DUPFD_CLOEXEC): the new
 * number names the same socket as the old one, so it gets the old number's
 * state. A program that turned keepalive off and then connect()s a copy keeps
 * its choice; a copy of a socket kashim has not seen is still adopted. A
 * vfork() child's dup2() leaves its parent's map alone (fdstate.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>

#include "kashim.h"

/* @to (>= 0) is now a copy of @from; the number's earlier meaning is gone. */
static int copied(int from, int to)
{
	if (to >= 0) {
		int saved_errno = errno;

		kashim_fd_copy(from, to);
		errno = saved_errno;
	}
	return to;
}

/* Contract for the four: returns exactly what libc's function returns,
 * with its errno. */
KASHIM_EXPORT int dup(int fd)
{
	int (*real)(int) = KASHIM_REAL(real_dup, "dup");

	if (KASHIM_UNLIKELY(!real)) {
		errno = ENOSYS;
		return -1;
	}
	return copied(fd, real(fd));
}

KASHIM_EXPORT int dup2(int fd, int to)
{
	int (*real)(int, int) = KASHIM_REAL(real_dup2, "dup2");

	if (KASHIM_UNLIKELY(!real)) {
		errno = ENOSYS;
		return -1;
	}
	if (fd == to)
		return real(fd, to);
	return copied(fd, real(fd, to));
}

KASHIM_EXPORT int dup3(int fd, int to, int flags)
{
	int (*real)(int, int, int) = KASHIM_REAL(real_dup3, "dup3");

	if (KASHIM_UNLIKELY(!real)) {
		errno = ENOSYS;
		return -1;
	}
	return copied(fd, real(fd, to, flags));
}

/* fcntl's third argument is an int or a pointer depending on @cmd; like
 * libc, read it as a pointer-sized value and pass it on unchanged. */
static int fcntl_with(int (*real)(int, int, ...), int fd, int cmd, void *arg)
{
	if (KASHIM_UNLIKELY(!real)) {
		errno = ENOSYS;
		return -1;
	}
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		return copied(fd, real(fd, cmd, arg));
	return real(fd, cmd, arg);
}

KASHIM_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_with(KASHIM_REAL(real_fcntl, "fcntl"), fd, cmd, arg);
}

/* Programs built with _FILE_OFFSET_BITS=64 call fcntl64 (glibc 2.28+). */
KASHIM_EXPORT int fcntl64(int fd, int cmd, ...)
{
	int (*real)(int, int, ...) = __atomic_load_n(&real_fcntl64, __ATOMIC_RELAXED);
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (KASHIM_UNLIKELY(!real) && !(real = (int (*)(int, int, ...))kashim_lookup_real((void **)&real_fcntl64, "fcntl64")))
		real = KASHIM_REAL(real_fcntl, "fcntl");
	return fcntl_with(real, fd, cmd, arg);
}
