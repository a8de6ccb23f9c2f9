/* SPDX-License-Identifier: MIT */
/*
 * connect.c - connect(): a TCP socket kashim has not seen (inherited from a
 * parent, or made with syscall(SYS_socket)) is decided before it connects;
 * with rules, the destination refines what socket() gave (rules.h). A
 * socket that socket() already decided costs nothing here without rules,
 * so whatever the program set on it in between stands: the hot path is
 * one byte test and a jump to libc's connect (make bench, connect).
 */
#define _GNU_SOURCE
#include <errno.h>

#include "kashim.h"
#include "rules.h"

/* The first connect() of the process, one on an fd kashim has not
 * decided, or any with rules. */
static __attribute__((noinline)) int connect_slow(int fd, const struct sockaddr *addr, socklen_t len)
{
	int (*real)(int, const struct sockaddr *, socklen_t) = KASHIM_REAL(real_connect, "connect");
	unsigned state;

	if (KASHIM_UNLIKELY(!real)) {
		errno = ENOSYS;
		return -1;
	}
	if (kashim_mode_now() == KASHIM_MODE_LEAVE)
		return real(fd, addr, len);
	state = kashim_fd_state(fd);
	if (!(state & (KASHIM_FS_DECIDED | KASHIM_FS_REFINE))) {
		kashim_adopt(fd, "connect, inherited");
		state = kashim_fd_state(fd);
	}
	if (kashim_mode_now() == KASHIM_MODE_CONFIGURE ||
	    (kashim_mode_now() == KASHIM_MODE_UNKNOWN && (!kashim_rt_ready() || !kashim_rt.rules)))
		return real(fd, addr, len);
	return kashim_rules_connect(fd, state, addr, len, real);
}

/* Contract: returns exactly what libc's connect() returns, with its errno. */
KASHIM_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	unsigned mode = kashim_mode_now();

	/* A socket socket() decided, without rules: one mode test, one byte
	 * test. Any mode but UNKNOWN guarantees libc's connect is known
	 * (kashim_mode_decide): no test for it. */
	if (KASHIM_LIKELY(mode == KASHIM_MODE_CONFIGURE ? kashim_fd_decided(fd) : mode == KASHIM_MODE_LEAVE))
		return __atomic_load_n(&real_connect, __ATOMIC_RELAXED)(fd, addr, len);
	return connect_slow(fd, addr, len);
}
