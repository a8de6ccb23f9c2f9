/* SPDX-License-Identifier: MIT */
/*
 * setsockopt.c - with override = true, the program's own keepalive choices
 * (SO_KEEPALIVE, TCP_KEEPIDLE/INTVL/CNT, TCP_USER_TIMEOUT) on a TCP socket
 * are answered with success and not made, so the configured values stay.
 * With override = false (the default) this is a plain pass-through.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "kashim.h"
#include "rules.h"

static inline bool is_keepalive_option(int level, int name)
{
	return (level == SOL_SOCKET && name == SO_KEEPALIVE) ||
	       (level == IPPROTO_TCP && (name == TCP_KEEPIDLE || name == TCP_KEEPINTVL ||
					 name == TCP_KEEPCNT || name == TCP_USER_TIMEOUT));
}

/* The program sets keepalive option @name on @fd itself. True when its call
 * must be swallowed to keep kashim's value (override on). A socket kashim
 * has not decided about yet is first configured as socket() would have done
 * (so the program's call then changes kashim's values, as it would have);
 * one that is pending gets the program's choice noted. Only a TCP socket
 * may start reading the settings. */
static bool keep_configured(int fd, int name)
{
	const struct kashim_runtime *rt;

	if (kashim_mode_now() == KASHIM_MODE_LEAVE)
		return false;
	if (kashim_mode_now() == KASHIM_MODE_RULES)
		return kashim_rules_setsockopt(fd, name);
	/* The common case costs no system call: a decided socket, settings
	 * known, no rules, override off. */
	if (kashim_mode_now() == KASHIM_MODE_CONFIGURE && kashim_fd_decided(fd) && !kashim_rt.override)
		return false;
	if (!kashim_fd_is_tcp(fd))
		return false;
	rt = kashim_runtime();
	if (!rt) {
		kashim_pending_chosen(fd);
		return false;
	}
	if (rt->rules)
		return kashim_rules_setsockopt(fd, name);
	if (!rt->enabled)
		return false;
	if (!kashim_fd_decided(fd))
		kashim_adopt(fd, "setsockopt, inherited");
	if (!rt->override)
		return false;
	/* user_timeout 0 means kashim leaves TCP_USER_TIMEOUT to the program. */
	if (name == TCP_USER_TIMEOUT && rt->settings.user_timeout == 0)
		return false;
	if (rt->debug)
		kashim_log(KASHIM_LOG_DEBUG, "fd %d: program's setsockopt option %d ignored (override = true)",
			   fd, name);
	return true;
}

/* Contract: returns what libc's setsockopt() returns, with its errno; under
 * override, 0 for the keepalive options of a TCP socket, errno untouched. */
KASHIM_EXPORT int setsockopt(int fd, int level, int name, const void *value, socklen_t len)
{
	int (*real)(int, int, int, const void *, socklen_t) = KASHIM_REAL(real_setsockopt, "setsockopt");

	if (KASHIM_UNLIKELY(!real)) {
		errno = ENOSYS;
		return -1;
	}
	if (KASHIM_UNLIKELY(is_keepalive_option(level, name)) && keep_configured(fd, name))
		return 0;
	return real(fd, level, name, value, len);
}
