/*
 * SPDX-License-Identifier: MIT
 *
 * close.c - close(), close_range() and closefrom(): an fd number that is
 * closed forgets what kashim decided about it, so that whatever the number
 * names next (a socket from syscall(), one received over SCM_RIGHTS, a
 * dup2() target) is looked at afresh by connect() and accept().
 *
 * close() runs far more often than socket(): its path is one load, one bit
 * test (a set bit is cleared with one locked instruction) and one test of
 * the pending count before the jump to libc's (make bench, close). The bit
 * is cleared before the fd is closed: cleared after, it could erase the mark
 * of a socket another thread made on the same number in between.
 */
#define _GNU_SOURCE
#include <errno.h>

#include "kashim.h"

static inline void forget(int fd)
{
	kashim_fd_forget(fd);
	if (KASHIM_UNLIKELY(atomic_load_explicit(&kashim_pending_count, memory_order_relaxed)))
		kashim_pending_forget(fd);
}

static __attribute__((noinline, cold)) int close_first(int fd)
{
	int (*real)(int) = KASHIM_REAL(real_close, "close");

	if (KASHIM_UNLIKELY(!real)) {
		errno = ENOSYS;
		return -1;
	}
	forget(fd);
	return real(fd);
}

/* Contract: returns exactly what libc's close() returns, with its errno. */
KASHIM_EXPORT int close(int fd)
{
	int (*real)(int) = __atomic_load_n(&real_close, __ATOMIC_RELAXED);

	if (KASHIM_UNLIKELY(!real))
		return close_first(fd);
	forget(fd);
	return real(fd);
}

/* Contract: returns exactly what libc's close_range() returns, with its
 * errno. With CLOSE_RANGE_CLOEXEC nothing is closed and nothing forgotten. */
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
