/* SPDX-License-Identifier: MIT */
/*
 * close.c - close(), close_range() and closefrom(): an fd number that is
 * closed forgets what kashim decided about it, so that whatever the number
 * names next (a socket from syscall(), one received over SCM_RIGHTS, a
 * dup2() target) is looked at afresh by connect() and accept().
 *
 * close() runs far more often than socket(): its path is one load, one byte
 * test (a socket's byte is cleared with one store) and the jump to
 * libc's (make bench, close). real_close starts as kashim_close_first, so
 * there is no test for "not looked up yet". The byte is cleared before the fd
 * is closed: cleared after, it could erase the mark of a socket another
 * thread made on the same number in between.
 */
#define _GNU_SOURCE
#include <errno.h>

#include "kashim.h"

/* Contract: returns exactly what libc's close() returns, with its errno. */
KASHIM_EXPORT int close(int fd)
{
	int (*real)(int) = __atomic_load_n(&real_close, __ATOMIC_RELAXED);

	kashim_fd_forget(fd);
	return real(fd);
}

int kashim_close_first(int fd)
{
	int (*real)(int) = (int (*)(int))kashim_lookup_real((void **)&real_close, "close");

	if (KASHIM_UNLIKELY(!real)) {
		/* Keep the stand-in: a later call tries again. */
		__atomic_store_n(&real_close, kashim_close_first, __ATOMIC_RELAXED);
		errno = ENOSYS;
		return -1;
	}
	return real(fd);
}

/* Contract: returns exactly what libc's close_range() returns, with its
 * errno. With CLOSE_RANGE_CLOEXEC nothing is closed and nothing forgotten;
 * in a vfork() child (Python's subprocess) the map is the parent's and
 * stays as it is. */
KASHIM_EXPORT int close_range(unsigned first, unsigned last, int flags)
{
	int (*real)(unsigned, unsigned, int) = KASHIM_REAL(real_close_range, "close_range");

	if (KASHIM_UNLIKELY(!real)) {
		errno = ENOSYS;
		return -1;
	}
	if (!(flags & 4 /* CLOSE_RANGE_CLOEXEC */) && first <= last)
		kashim_fd_forget_range(first, last);
	return real(first, last, flags);
}

/* Contract: does what libc's closefrom() does. */
KASHIM_EXPORT void closefrom(int lowfd)
{
	void (*real)(int) = KASHIM_REAL(real_closefrom, "closefrom");

	if (lowfd >= 0)
		kashim_fd_forget_range((unsigned)lowfd, ~0u);
	if (real)
		real(lowfd);
}
