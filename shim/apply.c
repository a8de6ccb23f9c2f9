/*
 * apply.c - configuring one socket, and remembering which fds are settled.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "kashim.h"
#include "rules.h"

/* In .data, not .bss, although it starts as zeros: ld.so maps .data from
 * the file with the rest of the writable segment, while 128 KiB of .bss
 * would cost every process one more mmap() at start (measured: make bench,
 * spawn). Untouched pages cost nothing either way. */
__attribute__((section(".data.kashim_fdmap")))
_Atomic unsigned long kashim_fdmap[KASHIM_FDMAP_FDS / KASHIM_FDMAP_WORD_BITS];

_Atomic unsigned char kashim_mode;

void kashim_mode_decide(const struct kashim_runtime *rt)
{
	unsigned char mode = KASHIM_MODE_UNKNOWN;

	if (rt->debug)
		return; /* every decision is logged on the slow paths */
	if (rt->rules)
		mode = KASHIM_MODE_RULES;
	else if (!rt->enabled)
		mode = KASHIM_MODE_LEAVE;
	else if (rt->nopts >= 4 && KASHIM_REAL(real_setsockopt, "setsockopt"))
		mode = KASHIM_MODE_CONFIGURE;
	atomic_store_explicit(&kashim_mode, mode, memory_order_release);
}

/* One warning per process, however many sockets fail the same way. */
static atomic_bool warned_apply;

void kashim_apply_failed(int fd, const struct kashim_runtime *rt, const struct kashim_sockopt *o)
{
	if (!atomic_exchange(&warned_apply, true) || rt->debug)
		kashim_log(KASHIM_LOG_WARN,
			   "fd %d: setsockopt(level %d, option %d, %d) failed: %s; the socket keeps what it has",
			   fd, o->level, o->name, o->value, strerror(errno));
}

void kashim_apply(int fd, const struct kashim_runtime *rt, const char *why)
{
	int (*set)(int, int, int, const void *, socklen_t) = KASHIM_REAL(real_setsockopt, "setsockopt");
	int saved_errno = errno;

	if (KASHIM_UNLIKELY(!set))
		return;
	for (unsigned i = 0; i < rt->nopts; i++) {
		const struct kashim_sockopt *o = &rt->opts[i];

		if (KASHIM_UNLIKELY(set(fd, o->level, o->name, &o->value, sizeof o->value) != 0)) {
			kashim_apply_failed(fd, rt, o);
			errno = saved_errno;
		}
	}
	if (KASHIM_UNLIKELY(rt->debug))
		kashim_log(KASHIM_LOG_DEBUG, "fd %d (%s): keepalive idle=%d interval=%d count=%d user_timeout=%ld",
			   fd, why, rt->settings.idle, rt->settings.interval, rt->settings.count,
			   rt->settings.user_timeout);
}

bool kashim_fd_is_tcp(int fd)
{
	int (*get)(int, int, int, void *, socklen_t *) = KASHIM_REAL(real_getsockopt, "getsockopt");
	int saved_errno = errno;
	int protocol = 0;
	socklen_t len = sizeof protocol;
	bool tcp = get && get(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) == 0 && protocol == IPPROTO_TCP;

	errno = saved_errno;
	return tcp;
}

/* With override off, an owner that already turned keepalive on (a systemd
 * socket unit's KeepAlive=yes, a parent that configured it) keeps its values. */
static bool owner_chose_keepalive(int fd)
{
	int (*get)(int, int, int, void *, socklen_t *) = KASHIM_REAL(real_getsockopt, "getsockopt");
	int saved_errno = errno;
	int on = 0;
	socklen_t len = sizeof on;
	bool chose = get && get(fd, SOL_SOCKET, SO_KEEPALIVE, &on, &len) == 0 && on;

	errno = saved_errno;
	return chose;
}

/* kashim_adopt(), which settles @fd when it configured it only if @settle. */
static bool adopt(int fd, const char *why, bool settle)
{
	const struct kashim_runtime *rt;

	/* Protocol first: a process whose only sockets are not TCP never
	 * reads the config. */
	if (!kashim_fd_is_tcp(fd)) {
		kashim_fd_settle(fd);
		return false;
	}
	rt = kashim_runtime();
	if (!rt)
		return false;
	kashim_mode_decide(rt);
	if (rt->rules)
		return kashim_rules_adopt(fd, rt, why, settle);
	if (!rt->enabled) {
		kashim_fd_settle(fd);
		return false;
	}
	if (!rt->override && owner_chose_keepalive(fd)) {
		kashim_fd_settle(fd);
		if (rt->debug)
			kashim_log(KASHIM_LOG_DEBUG, "fd %d (%s): already has SO_KEEPALIVE; left as it is", fd, why);
		return false;
	}
	if (settle)
		kashim_fd_settle(fd);
	kashim_apply(fd, rt, why);
	return true;
}

bool kashim_adopt(int fd, const char *why)
{
	return adopt(fd, why, true);
}

bool kashim_adopt_unsettled(int fd, const char *why)
{
	return adopt(fd, why, false);
}
