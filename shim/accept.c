/* SPDX-License-Identifier: MIT */
/*
 * accept.c - accept() and accept4(). Linux copies SO_KEEPALIVE, TCP_KEEP*
 * and TCP_USER_TIMEOUT from a listener to every socket it accepts, so a
 * listener configured by socket() or listen() costs no system call per
 * connection here: the hot path is one byte test, the call and one byte
 * store, the accepted socket taking its listener's state (what override
 * keeps, what the program owns; make bench, connect; tests/perf/accept.t
 * counts the calls).
 * A listener kashim has not seen (inherited, systemd's LISTEN_FDS) is
 * configured on its first accept, together with every connection accepted
 * until its queue has drained; later connections inherit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "kashim.h"
#include "rules.h"

/* Connections waiting in @listener's accept queue (TCP_INFO reports the
 * queue length of a listener in tcpi_unacked); -1 when unknown. */
static int queued(int listener)
{
	int (*get)(int, int, int, void *, socklen_t *) = KASHIM_REAL(real_getsockopt, "getsockopt");
	struct tcp_info info;
	socklen_t len = sizeof info;

	if (!get || get(listener, IPPROTO_TCP, TCP_INFO, &info, &len) != 0 || info.tcpi_state != TCP_LISTEN)
		return -1;
	return (int)info.tcpi_unacked;
}

/* Listener @listener, which kashim has not decided, gets profile @p unless
 * it has it already (another thread adopted it a moment ago) or its owner
 * chose (override off). Returns the state its connections take. */
static unsigned give_listener(int listener, const struct kashim_runtime *rt, const struct kashim_profile *p,
			      const struct kashim_addr *a)
{
	bool on = kashim_has_keepalive(listener);

	if (on && kashim_has_values(listener, p))
		return kashim_fd_state(listener) | KASHIM_FS_DECIDED;
	if (on && !p->override) {
		/* The owner (a socket unit's KeepAlive=yes) chose: its values
		 * are on the listener and every connection. */
		kashim_fd_set_state(listener, KASHIM_FS_DECIDED | KASHIM_FS_OWN_ALL);
		if (rt->debug)
			kashim_log(KASHIM_LOG_DEBUG, "fd %d (listener, inherited): already has SO_KEEPALIVE; left as it is",
				   listener);
		return KASHIM_FS_DECIDED | KASHIM_FS_OWN_ALL;
	}
	/* Not DECIDED yet: accept() stays on this path until the queue of
	 * connections copied before is drained. */
	kashim_decide(listener, rt, p, NULL, 0, "listener, inherited", a);
	return kashim_fd_state(listener) | KASHIM_FS_DECIDED;
}

/* @fd was accepted on @listener, which kashim has not decided: an inherited
 * or socket-activated listener. Its connections queued before kashim
 * configured it were copied from it without the options, so every
 * connection accepted while it is undecided gets them itself (whichever
 * thread accepted it: no lock, no per-listener record). The listener is
 * decided once its queue has been seen empty after it was configured.
 * Several threads may do this at once; each step is idempotent. */
static void accepted_undecided(int listener, int fd)
{
	const struct kashim_runtime *rt;
	const struct kashim_profile *p;
	struct kashim_addr a;
	int saved_errno = errno;
	unsigned state;
	bool known;

	if (!kashim_fd_is_tcp(listener)) {
		kashim_fd_decide(listener);
		goto out;
	}
	rt = kashim_runtime();
	if (!rt) {
		/* Another thread reads the settings: it decides @fd when done. */
		kashim_fd_set_state(fd, 0);
		kashim_pending_add(fd, KASHIM_PENDING_ACCEPTED);
		goto out;
	}
	kashim_mode_decide(rt);
	p = kashim_rules_local(rt, listener, &a, &known);
	state = give_listener(listener, rt, p, known ? &a : NULL);
	if ((state & KASHIM_FS_OWN_ALL) == KASHIM_FS_OWN_ALL)
		kashim_fd_set_state(fd, state); /* the owner's values, copied */
	else
		kashim_decide(fd, rt, p, NULL, KASHIM_FS_DECIDED, "accepted before its listener was configured",
			      known ? &a : NULL);
	if (queued(listener) <= 0)
		kashim_fd_set_state(listener, kashim_fd_state(listener) | KASHIM_FS_DECIDED);
out:
	errno = saved_errno;
}

/* An accepted socket takes its decided listener's state. */
static inline int inherit(int listener_state, int fd)
{
	if (fd >= 0)
		kashim_fd_set_state(fd, (unsigned)listener_state);
	return fd;
}

/* The first accept() of the process, or one on a listener kashim has not
 * decided. The decision to configure the connection is taken before the
 * call: a connection returned to a call that started while the listener was
 * undecided may have been queued before the listener had the options. */
static __attribute__((noinline)) int accept_slow(int listener, struct sockaddr *addr, socklen_t *len, int flags,
						 bool four)
{
	int (*real)(int, struct sockaddr *, socklen_t *) = KASHIM_REAL(real_accept, "accept");
	int (*real4)(int, struct sockaddr *, socklen_t *, int) = KASHIM_REAL(real_accept4, "accept4");
	unsigned state = kashim_fd_state(listener);
	int fd;

	if (KASHIM_UNLIKELY(four ? !real4 : !real)) {
		errno = ENOSYS;
		return -1;
	}
	fd = four ? real4(listener, addr, len, flags) : real(listener, addr, len);
	if (fd < 0 || kashim_mode_now() == KASHIM_MODE_LEAVE)
		return fd;
	if (state & KASHIM_FS_DECIDED)
		return inherit((int)(state & ~KASHIM_FS_REFINE), fd);
	accepted_undecided(listener, fd);
	return fd;
}

/* Contract: returns exactly what libc's accept() returns, with its errno. */
KASHIM_EXPORT int accept(int listener, struct sockaddr *addr, socklen_t *len)
{
	int (*real)(int, struct sockaddr *, socklen_t *) = __atomic_load_n(&real_accept, __ATOMIC_RELAXED);
	unsigned state;

	if (KASHIM_UNLIKELY(real == NULL))
		return accept_slow(listener, addr, len, 0, false);
	if (kashim_mode_now() == KASHIM_MODE_LEAVE)
		return real(listener, addr, len);
	state = kashim_fd_state(listener);
	if (KASHIM_LIKELY((state & (KASHIM_FS_DECIDED | KASHIM_FS_REFINE)) == KASHIM_FS_DECIDED))
		return inherit((int)state, real(listener, addr, len));
	return accept_slow(listener, addr, len, 0, false);
}

/* Contract: returns exactly what libc's accept4() returns, with its errno. */
KASHIM_EXPORT int accept4(int listener, struct sockaddr *addr, socklen_t *len, int flags)
{
	int (*real)(int, struct sockaddr *, socklen_t *, int) = __atomic_load_n(&real_accept4, __ATOMIC_RELAXED);
	unsigned state;

	if (KASHIM_UNLIKELY(real == NULL))
		return accept_slow(listener, addr, len, flags, true);
	if (kashim_mode_now() == KASHIM_MODE_LEAVE)
		return real(listener, addr, len, flags);
	state = kashim_fd_state(listener);
	if (KASHIM_LIKELY((state & (KASHIM_FS_DECIDED | KASHIM_FS_REFINE)) == KASHIM_FS_DECIDED))
		return inherit((int)state, real(listener, addr, len, flags));
	return accept_slow(listener, addr, len, flags, true);
}
