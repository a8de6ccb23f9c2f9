/* SPDX-License-Identifier: MIT */
/*
 * accept.c - accept() and accept4(). Linux copies SO_KEEPALIVE, TCP_KEEP*
 * and TCP_USER_TIMEOUT from a listener to every socket it accepts, so a
 * listener configured by socket() costs no system call per connection here:
 * the hot path is one bit test and a jump to libc's accept (make bench,
 * connect; tests/perf/accept.t counts the calls).
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

/* True when accept() on @listener needs nothing from kashim. */
static inline bool accept_passes(int listener)
{
	/* The mode first: a program kashim leaves alone pays one byte test. */
	return KASHIM_LIKELY(kashim_mode_now() == KASHIM_MODE_LEAVE || kashim_fd_decided(listener));
}

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

/* @fd was accepted on @listener, which kashim has not decided: an inherited
 * or socket-activated listener. Its connections queued before kashim
 * configured it were copied from it without the options, so every
 * connection accepted while it is undecided is configured itself (whichever
 * thread accepted it: no lock, no per-listener record). The listener is
 * decided once its queue has been seen empty after it was configured; from
 * then on every connection inherits and accept() costs nothing. Several
 * threads may do this at once; each step is idempotent. */
static void accepted_undecided(int listener, int fd)
{
	const struct kashim_runtime *rt;
	int saved_errno = errno;
	bool on;
	int left;

	if (!kashim_fd_is_tcp(listener)) {
		kashim_fd_decide(listener);
		goto out;
	}
	rt = kashim_runtime();
	if (!rt) {
		/* Another thread reads the settings: it configures @fd when done. */
		kashim_pending_add(fd, KASHIM_PENDING_ACCEPTED);
		goto out;
	}
	kashim_mode_decide(rt);
	if (rt->rules) {
		/* The listener's rule decides, by its local address. */
		if (!kashim_rules_accept_undecided(listener, fd, rt))
			goto out;
		goto drained;
	}
	if (!rt->enabled) {
		kashim_fd_decide(listener);
		goto out;
	}
	on = kashim_has_keepalive(listener);
	if (!on || !kashim_has_values(listener, rt->opts, rt->nopts)) {
		if (on && !rt->override) {
			/* The owner (a socket unit's KeepAlive=yes) chose: its
			 * values are on the listener and every connection. */
			kashim_fd_decide(listener);
			if (rt->debug)
				kashim_log(KASHIM_LOG_DEBUG,
					   "fd %d (listener, inherited): already has SO_KEEPALIVE; left as it is", listener);
			goto out;
		}
		kashim_apply(listener, rt, "listener, inherited");
	}
	kashim_apply(fd, rt, "accepted before its listener was configured");
drained:
	left = queued(listener);
	if (left <= 0)
		kashim_fd_decide(listener);
out:
	errno = saved_errno;
}

static int after_accept(int listener, int fd)
{
	if (fd >= 0)
		accepted_undecided(listener, fd);
	return fd;
}

/* The first accept() of the process, or one on a listener kashim has not
 * decided. The decision to configure the connection is taken before the
 * call: a connection returned to a call that started while the listener was
 * undecided may have been queued before the listener had the options. */
static __attribute__((noinline)) int accept_slow(int listener, struct sockaddr *addr, socklen_t *len)
{
	int (*real)(int, struct sockaddr *, socklen_t *) = KASHIM_REAL(real_accept, "accept");

	if (KASHIM_UNLIKELY(!real)) {
		errno = ENOSYS;
		return -1;
	}
	if (accept_passes(listener))
		return real(listener, addr, len);
	return after_accept(listener, real(listener, addr, len));
}

static __attribute__((noinline)) int accept4_slow(int listener, struct sockaddr *addr, socklen_t *len, int flags)
{
	int (*real)(int, struct sockaddr *, socklen_t *, int) = KASHIM_REAL(real_accept4, "accept4");

	if (KASHIM_UNLIKELY(!real)) {
		errno = ENOSYS;
		return -1;
	}
	if (accept_passes(listener))
		return real(listener, addr, len, flags);
	return after_accept(listener, real(listener, addr, len, flags));
}

/* Contract: returns exactly what libc's accept() returns, with its errno. */
KASHIM_EXPORT int accept(int listener, struct sockaddr *addr, socklen_t *len)
{
	int (*real)(int, struct sockaddr *, socklen_t *) = __atomic_load_n(&real_accept, __ATOMIC_RELAXED);

	if (KASHIM_LIKELY(real != NULL) && accept_passes(listener))
		return real(listener, addr, len);
	return accept_slow(listener, addr, len);
}

/* Contract: returns exactly what libc's accept4() returns, with its errno. */
KASHIM_EXPORT int accept4(int listener, struct sockaddr *addr, socklen_t *len, int flags)
{
	int (*real)(int, struct sockaddr *, socklen_t *, int) = __atomic_load_n(&real_accept4, __ATOMIC_RELAXED);

	if (KASHIM_LIKELY(real != NULL) && accept_passes(listener))
		return real(listener, addr, len, flags);
	return accept4_slow(listener, addr, len, flags);
}
