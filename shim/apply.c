/* SPDX-License-Identifier: MIT */
/*
 * apply.c - configuring one socket, and remembering which fds are decided.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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
	/* SO_KEEPALIVE (opts[0]) last: another thread adopting the same
	 * inherited listener that sees keepalive on must also see kashim's
	 * other values, or it would take them for the owner's choice. */
	for (unsigned i = rt->nopts; i-- > 0;) {
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

unsigned kashim_sockopts_from(const struct kashim_settings *s, struct kashim_sockopt opts[5])
{
	unsigned n = 0;

	if (!s->keepalive)
		return 0;
	opts[n++] = (struct kashim_sockopt){SOL_SOCKET, SO_KEEPALIVE, 1};
	opts[n++] = (struct kashim_sockopt){IPPROTO_TCP, TCP_KEEPIDLE, s->idle};
	opts[n++] = (struct kashim_sockopt){IPPROTO_TCP, TCP_KEEPINTVL, s->interval};
	opts[n++] = (struct kashim_sockopt){IPPROTO_TCP, TCP_KEEPCNT, s->count};
	if (s->user_timeout > 0)
		opts[n++] = (struct kashim_sockopt){IPPROTO_TCP, TCP_USER_TIMEOUT, (int)s->user_timeout};
	return n;
}

/* getsockopt(@level, @name) of @fd as a flag, without touching errno. */
static bool option_on(int fd, int level, int name)
{
	int (*get)(int, int, int, void *, socklen_t *) = KASHIM_REAL(real_getsockopt, "getsockopt");
	int saved_errno = errno;
	int on = 0;
	socklen_t len = sizeof on;
	bool set = get && get(fd, level, name, &on, &len) == 0 && on;

	errno = saved_errno;
	return set;
}

bool kashim_is_listening(int fd)
{
	return option_on(fd, SOL_SOCKET, SO_ACCEPTCONN);
}

bool kashim_fd_is_tcp(int fd)
{
	int (*get)(int, int, int, void *, socklen_t *) = KASHIM_REAL(real_getsockopt, "getsockopt");
	int saved_errno = errno;
	int protocol = 0;
	socklen_t len = sizeof protocol;
	bool tcp = get && get(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) == 0 &&
		   (protocol == IPPROTO_TCP || protocol == IPPROTO_MPTCP);

	errno = saved_errno;
	return tcp;
}

/* With override off, an owner that already turned keepalive on (a systemd
 * socket unit's KeepAlive=yes, a parent that configured it) keeps its values. */
bool kashim_has_keepalive(int fd)
{
	return option_on(fd, SOL_SOCKET, SO_KEEPALIVE);
}

bool kashim_has_values(int fd, const struct kashim_sockopt *opts, unsigned n)
{
	int (*get)(int, int, int, void *, socklen_t *) = KASHIM_REAL(real_getsockopt, "getsockopt");
	int saved_errno = errno;
	bool same = get != NULL;

	for (unsigned i = 1; same && i < n; i++) {
		int value = -1;
		socklen_t len = sizeof value;

		same = get(fd, opts[i].level, opts[i].name, &value, &len) == 0 && value == opts[i].value;
	}
	errno = saved_errno;
	return same;
}

bool kashim_adopt(int fd, const char *why)
{
	const struct kashim_runtime *rt;
	unsigned pending_why;

	/* Protocol first: a process whose only sockets are not TCP never
	 * reads the config. */
	if (!kashim_fd_is_tcp(fd)) {
		kashim_fd_decide(fd);
		return false;
	}
	rt = kashim_runtime();
	if (!rt)
		return false; /* another thread is reading the settings: later */
	kashim_mode_decide(rt);
	if (atomic_load_explicit(&kashim_pending_count, memory_order_relaxed) &&
	    kashim_pending_take(fd, &pending_why)) {
		kashim_pending_decide(fd, pending_why, rt);
		return true;
	}
	if (rt->rules)
		return kashim_rules_adopt(fd, rt, why, true);
	if (!rt->enabled) {
		kashim_fd_decide(fd);
		return false;
	}
	if (!rt->override && kashim_has_keepalive(fd)) {
		kashim_fd_decide(fd);
		if (rt->debug)
			kashim_log(KASHIM_LOG_DEBUG, "fd %d (%s): already has SO_KEEPALIVE; left as it is", fd, why);
		return false;
	}
	kashim_fd_decide(fd);
	kashim_apply(fd, rt, why);
	return true;
}

void kashim_fd_forget_range(unsigned first, unsigned last)
{
	if (last >= KASHIM_FDMAP_FDS)
		last = KASHIM_FDMAP_FDS - 1;
	for (unsigned long fd = first; fd <= last;) {
		unsigned long bit = fd % KASHIM_FDMAP_WORD_BITS;
		unsigned long n = KASHIM_FDMAP_WORD_BITS - bit;
		unsigned long mask;

		if (n > last - fd + 1)
			n = last - fd + 1;
		mask = (n == KASHIM_FDMAP_WORD_BITS ? ~0UL : (1UL << n) - 1) << bit;
		if (atomic_load_explicit(&kashim_fdmap[fd / KASHIM_FDMAP_WORD_BITS], memory_order_relaxed) & mask)
			atomic_fetch_and_explicit(&kashim_fdmap[fd / KASHIM_FDMAP_WORD_BITS], ~mask,
						  memory_order_relaxed);
		fd += n;
	}
}
