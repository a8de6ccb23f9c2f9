/* SPDX-License-Identifier: MIT */
/*
 * apply.c - the decision: which options a socket gets, made with the only
 * setsockopt() calls kashim makes on the program's sockets. See apply.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>

#include "kashim.h"
#include "rules.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

_Atomic unsigned char kashim_mode;

const struct kashim_profile kashim_had_unknown = {.enabled = true, .nopts = KASHIM_NOPTS, .rule = ""};

void kashim_mode_decide(const struct kashim_runtime *rt)
{
	unsigned char mode = rt->mode;

	/* socket()'s inlined calls need libc's setsockopt at hand; socket()
	 * and connect() call libc's without a test in any mode but UNKNOWN. */
	if ((mode == KASHIM_MODE_CONFIGURE || mode == KASHIM_MODE_RULES) &&
	    !KASHIM_REAL(real_setsockopt, "setsockopt"))
		mode = KASHIM_MODE_UNKNOWN;
	if (!KASHIM_REAL(real_socket, "socket") || !KASHIM_REAL(real_connect, "connect"))
		mode = KASHIM_MODE_UNKNOWN;
	atomic_store_explicit(&kashim_mode, mode, memory_order_release);
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

/* One warning per process, however many sockets fail the same way. */
static atomic_bool warned_apply;

void kashim_apply_failed(int fd, const struct kashim_runtime *rt, const struct kashim_sockopt *o)
{
	if (!atomic_exchange(&warned_apply, true) || rt->debug)
		kashim_log(KASHIM_LOG_WARN,
			   "fd %d: setsockopt(level %d, option %d, %d) failed: %s; the socket keeps what it has",
			   fd, o->level, o->name, o->value, strerror(errno));
}

static const struct kashim_sockopt option_of[KASHIM_NOPTS] = {
	{SOL_SOCKET, SO_KEEPALIVE, 0},       {IPPROTO_TCP, TCP_KEEPIDLE, 0}, {IPPROTO_TCP, TCP_KEEPINTVL, 0},
	{IPPROTO_TCP, TCP_KEEPCNT, 0},       {IPPROTO_TCP, TCP_USER_TIMEOUT, 0},
};

/* getsockopt(@level, @name) of @fd as an int, -1 on failure; errno preserved. */
static int read_option(int fd, int level, int name)
{
	int (*get)(int, int, int, void *, socklen_t *) = KASHIM_REAL(real_getsockopt, "getsockopt");
	int saved_errno = errno;
	int value = -1;
	socklen_t len = sizeof value;

	if (!get || get(fd, level, name, &value, &len) != 0)
		value = -1;
	errno = saved_errno;
	return value;
}

/* The kernel's value of option @i for a socket nobody configured: off, 0,
 * or this network namespace's sysctl, read from a socket made for it. */
static int kernel_value(unsigned i)
{
	int (*make)(int, int, int) = KASHIM_REAL(real_socket, "socket");
	int saved_errno = errno;
	int fd, value = -1;

	if (i == KASHIM_OPT_KEEPALIVE || i == KASHIM_OPT_USER_TIMEOUT)
		return 0;
	fd = make ? make(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0) : -1;
	if (fd >= 0) {
		value = read_option(fd, option_of[i].level, option_of[i].name);
		real_close(fd);
	}
	errno = saved_errno;
	return value;
}

/* The value profile @p gives option @i, -1 when it leaves it to the kernel. */
static int value_in(const struct kashim_profile *p, unsigned i)
{
	if (p == &kashim_had_unknown)
		return -2;
	return p && i < p->nopts ? p->opts[i].value : -1;
}

/* Set option @i of @fd to @value (-1: the kernel's). */
static void set_one(int fd, const struct kashim_runtime *rt, unsigned i, int value)
{
	struct kashim_sockopt o = option_of[i];
	long err;

	o.value = value >= 0 ? value : kernel_value(i);
	if (o.value < 0 || !KASHIM_REAL(real_setsockopt, "setsockopt"))
		return;
	err = kashim_set_option(fd, &o);
	if (KASHIM_UNLIKELY(err != 0)) {
		int saved_errno = errno;

		errno = (int)-err;
		kashim_apply_failed(fd, rt, &o);
		errno = saved_errno;
	}
}

static void log_decision(int fd, const struct kashim_profile *p, unsigned own, const char *why,
			 const struct kashim_addr *a)
{
	char where[80] = "", rule[200] = "";
	const struct kashim_sockopt *o = p->opts;

	if (a) {
		where[0] = ' ';
		kashim_format_addr(a, where + 1, sizeof where - 1);
	}
	if (p->rule[0])
		snprintf(rule, sizeof rule, " rule %s:", p->rule);
	else if (a)
		snprintf(rule, sizeof rule, " no rule matches:");
	if (p->enabled)
		kashim_log(KASHIM_LOG_DEBUG, "fd %d (%s%s):%s keepalive idle=%d interval=%d count=%d user_timeout=%d%s",
			   fd, why, where, rule, o[1].value, o[2].value, o[3].value, p->nopts > 4 ? o[4].value : 0,
			   own ? " (the program's own options kept)" : "");
	else
		kashim_log(KASHIM_LOG_DEBUG, "fd %d (%s%s):%s keepalive = false; left alone", fd, why, where, rule);
}

void kashim_decide(int fd, const struct kashim_runtime *rt, const struct kashim_profile *p,
		   const struct kashim_profile *had, unsigned state, const char *why, const struct kashim_addr *a)
{
	unsigned old = (unsigned)fd < KASHIM_FDMAP_FDS ? kashim_fd_state(fd) : 0;
	unsigned own = p->override && p->enabled ? 0 : old & KASHIM_FS_OWN_ALL;
	int protocol = -1;

	/* SO_KEEPALIVE (index 0) last: another thread adopting the same
	 * inherited listener that sees keepalive on must also see kashim's
	 * other values, or it would take them for the owner's choice. */
	for (unsigned i = KASHIM_NOPTS; i-- > 0;) {
		int want = value_in(p, i), before = value_in(had, i);

		if ((own & (KASHIM_FS_OWN << i)) || want == before)
			continue;
		if (i == KASHIM_OPT_USER_TIMEOUT) {
			/* The kernel refuses TCP_USER_TIMEOUT on MPTCP sockets. */
			if (protocol < 0)
				protocol = kashim_fd_protocol(fd);
			if (protocol == IPPROTO_MPTCP)
				continue;
		}
		set_one(fd, rt, i, want);
	}
	if (p->enabled && p->override) {
		state |= KASHIM_FS_OVERRIDE;
		/* An option the profile does not make stays the program's. */
		for (unsigned i = p->nopts; i < KASHIM_NOPTS; i++)
			state |= KASHIM_FS_OWN << i;
	} else {
		state |= own;
	}
	kashim_fd_set_state(fd, state);
	if (KASHIM_UNLIKELY(rt->debug))
		log_decision(fd, p, own, why, a);
}

int kashim_fd_protocol(int fd)
{
	int protocol = read_option(fd, SOL_SOCKET, SO_PROTOCOL);

	return protocol < 0 ? 0 : protocol;
}

bool kashim_fd_is_tcp(int fd)
{
	int protocol = kashim_fd_protocol(fd);

	return protocol == IPPROTO_TCP || protocol == IPPROTO_MPTCP;
}

bool kashim_is_listening(int fd)
{
	return read_option(fd, SOL_SOCKET, SO_ACCEPTCONN) > 0;
}

/* With override off, an owner that already turned keepalive on (a systemd
 * socket unit's KeepAlive=yes, a parent that configured it) keeps its values. */
bool kashim_has_keepalive(int fd)
{
	return read_option(fd, SOL_SOCKET, SO_KEEPALIVE) > 0;
}

bool kashim_has_values(int fd, const struct kashim_profile *p)
{
	for (unsigned i = 1; i < p->nopts; i++)
		if (read_option(fd, p->opts[i].level, p->opts[i].name) != p->opts[i].value)
			return false;
	return true;
}

/* The peer of @fd when it is connected (one getpeername()). */
static bool peer_of(int fd, struct kashim_addr *a)
{
	int (*name)(int, struct sockaddr *, socklen_t *) = KASHIM_REAL(real_getpeername, "getpeername");
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int saved_errno = errno;
	bool known = name && name(fd, (struct sockaddr *)&ss, &len) == 0 &&
		     kashim_addr_of((struct sockaddr *)&ss, len, a);

	errno = saved_errno;
	return known;
}

void kashim_settle(int fd, const struct kashim_runtime *rt, enum kashim_origin origin, const char *why)
{
	unsigned refine = rt->rules ? KASHIM_FS_REFINE : 0;
	const struct kashim_profile *p;
	struct kashim_addr a;
	bool known;

	/* The owner turned keepalive on: every option is its choice. */
	if (origin == KASHIM_INHERITED && !rt->base.override && kashim_has_keepalive(fd))
		kashim_fd_set_state(fd, kashim_fd_state(fd) | KASHIM_FS_OWN_ALL);
	kashim_decide(fd, rt, &rt->base, NULL, KASHIM_FS_DECIDED | refine, why, NULL);
	if (!refine)
		return;
	if (kashim_is_listening(fd)) {
		p = kashim_rules_local(rt, fd, &a, &known);
		kashim_decide(fd, rt, p, &rt->base, KASHIM_FS_DECIDED, why, known ? &a : NULL);
	} else if (origin == KASHIM_MADE && peer_of(fd, &a)) {
		/* Connected while the settings were read: a client socket. */
		kashim_decide(fd, rt, kashim_rules_dest(rt, &a), &rt->base, KASHIM_FS_DECIDED, why, &a);
	}
}

bool kashim_adopt(int fd, const char *why)
{
	const struct kashim_runtime *rt;
	unsigned pending_why;

	/* Protocol first: a process whose only sockets are not TCP never
	 * reads the config. */
	if (!kashim_fd_is_tcp(fd)) {
		kashim_fd_set_state(fd, kashim_fd_state(fd) | KASHIM_FS_DECIDED);
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
	kashim_settle(fd, rt, KASHIM_INHERITED, why);
	return true;
}
