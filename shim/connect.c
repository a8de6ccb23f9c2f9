/* SPDX-License-Identifier: MIT */
/*
 * connect.c - connect(): a TCP socket kashim has not seen (inherited from a
 * parent, or made with syscall(SYS_socket)) is configured before it connects.
 * A socket that socket() already handled costs nothing here, so whatever the
 * program set on it in between stands: the hot path is one bit test and a
 * jump to libc's connect (make bench, connect).
 */
#define _GNU_SOURCE
#include <errno.h>

#include "kashim.h"
#include "rules.h"

/* The first connect() of the process, or one on an fd kashim has not
 * decided (in a program it does not leave alone): adopted, or, if it is
 * pending, configured as socket() would have. */
static __attribute__((noinline)) int connect_slow(int fd, const struct sockaddr *addr, socklen_t len)
{
	int (*real)(int, const struct sockaddr *, socklen_t) = KASHIM_REAL(real_connect, "connect");

	if (KASHIM_UNLIKELY(!real)) {
		errno = ENOSYS;
		return -1;
	}
	if (!kashim_fd_decided(fd) && kashim_mode_now() != KASHIM_MODE_LEAVE) {
		if (!kashim_rules_pending(fd))
			kashim_adopt(fd, "connect, inherited");
		/* With rules, the destination decides (adopt() leaves it pending). */
		if (kashim_rules_pending(fd))
			return kashim_rules_connect(fd, addr, len, real);
	}
	return real(fd, addr, len);
}

/* Contract: returns exactly what libc's connect() returns, with its errno. */
KASHIM_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	int (*real)(int, const struct sockaddr *, socklen_t) = __atomic_load_n(&real_connect, __ATOMIC_RELAXED);

	/* The mode first: a program kashim leaves alone pays one byte test. */
	if (KASHIM_LIKELY(real != NULL) &&
	    KASHIM_LIKELY(kashim_mode_now() == KASHIM_MODE_LEAVE || kashim_fd_decided(fd)))
		return real(fd, addr, len);
	return connect_slow(fd, addr, len);
}
