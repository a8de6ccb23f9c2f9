/* SPDX-License-Identifier: MIT */
/*
 * setsockopt.c - the program's own keepalive calls (SO_KEEPALIVE,
 * TCP_KEEPIDLE/INTVL/CNT, TCP_USER_TIMEOUT). On a socket decided by a
 * profile with override = true they are answered with success and not
 * made, so the configured values stay; otherwise they are made, and one
 * that succeeds makes the option the program's (fdstate.h): kashim never
 * sets it on that socket again (a rule at connect(), a socket decided once
 * the settings are read). The same with and without rules.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "kashim.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

/* The KASHIM_OPT_* index of a keepalive option, or -1. */
static inline int keepalive_option(int level, int name)
{
	if (level == SOL_SOCKET)
		return name == SO_KEEPALIVE ? KASHIM_OPT_KEEPALIVE : -1;
	if (level != IPPROTO_TCP)
		return -1;
	switch (name) {
	case TCP_KEEPIDLE:
		return KASHIM_OPT_IDLE;
	case TCP_KEEPINTVL:
		return KASHIM_OPT_INTERVAL;
	case TCP_KEEPCNT:
		return KASHIM_OPT_COUNT;
	case TCP_USER_TIMEOUT:
		return KASHIM_OPT_USER_TIMEOUT;
	default:
		return -1;
	}
}

/* True when the program's call of option @opt on @fd, in @state, is to be
 * answered and not made: override, an option kashim keeps, and still a TCP
 * socket (MPTCP refuses TCP_USER_TIMEOUT: that call is the kernel's to
 * answer). */
static bool overridden(int fd, unsigned state, int opt, int name)
{
	int protocol;

	if (!(state & KASHIM_FS_OVERRIDE) || (state & (KASHIM_FS_OWN << opt)))
		return false;
	protocol = kashim_fd_protocol(fd);
	if (protocol != IPPROTO_TCP && (protocol != IPPROTO_MPTCP || opt == KASHIM_OPT_USER_TIMEOUT))
		return false;
	if (kashim_rt.debug)
		kashim_log(KASHIM_LOG_DEBUG, "fd %d: program's setsockopt option %d ignored (override = true)", fd,
			   name);
	return true;
}

static __attribute__((noinline)) int keepalive_call(int (*real)(int, int, int, const void *, socklen_t), int fd,
						    int level, int name, const void *value, socklen_t len, int opt)
{
	unsigned state;
	int ret;

	if (kashim_mode_now() == KASHIM_MODE_LEAVE)
		return real(fd, level, name, value, len);
	state = kashim_fd_state(fd);
	/* A socket kashim has not seen is decided first, as socket() would
	 * have (so this call then changes kashim's values, as it would have),
	 * unless the settings are being read: then the call is recorded. */
	if (!(state & (KASHIM_FS_DECIDED | KASHIM_FS_REFINE)) && kashim_rt_ready() && kashim_fd_is_tcp(fd)) {
		kashim_adopt(fd, "setsockopt, inherited");
		state = kashim_fd_state(fd);
	}
	if (overridden(fd, state, opt, name))
		return 0;
	ret = real(fd, level, name, value, len);
	if (ret == 0)
		kashim_fd_own(fd, (unsigned)opt);
	return ret;
}

/* Contract: returns what libc's setsockopt() returns, with its errno; under
 * override, 0 for the keepalive options of a TCP socket, errno untouched. */
KASHIM_EXPORT int setsockopt(int fd, int level, int name, const void *value, socklen_t len)
{
	int (*real)(int, int, int, const void *, socklen_t) = KASHIM_REAL(real_setsockopt, "setsockopt");
	int opt = keepalive_option(level, name);

	if (KASHIM_UNLIKELY(!real)) {
		errno = ENOSYS;
		return -1;
	}
	if (KASHIM_LIKELY(opt < 0))
		return real(fd, level, name, value, len);
	return keepalive_call(real, fd, level, name, value, len, opt);
}
