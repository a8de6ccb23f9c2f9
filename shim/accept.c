/*
 * accept.c - accept() and accept4(). Linux copies SO_KEEPALIVE, TCP_KEEP*
 * and TCP_USER_TIMEOUT from a listener to every socket it accepts, so a
 * listener configured by socket() costs no system call per connection here:
 * the hot path is one bit test and a jump to libc's accept (make bench,
 * connect; tests/perf/accept.t counts the calls).
 * A listener kashim has not seen (inherited, systemd's LISTEN_FDS) is
 * configured on its first accept, together with the connection that accept
 * returned and those already queued behind it; later connections inherit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>

#include "kashim.h"
#include "rules.h"

/* True when accept() on @listener needs nothing from kashim. */
static inline bool accept_passes(int listener)
{
	return KASHIM_LIKELY(kashim_fd_settled(listener) || kashim_mode_now() == KASHIM_MODE_LEAVE);
}

/* Connections an inherited listener had already queued when kashim
 * configured it were cloned from it before (Linux copies the listener's
 * options when the handshake completes), so they do not have the options.
 * The listener stays unsettled until accept() has configured that many
 * more, one by one; later connections inherit. A few listeners at a time:
 * beyond that, their queued connections are left as they are. Only the
 * slow path touches this, under drain_lock. */
#define DRAIN_SLOTS 8
static struct {
	int listener;
	unsigned left; /* 0: free slot */
} drain[DRAIN_SLOTS];
static atomic_flag drain_lock = ATOMIC_FLAG_INIT;

/* Connections waiting in @listener's accept queue (TCP_INFO reports the
 * queue length of a listener in tcpi_unacked); 0 when unknown. */
static unsigned queued(int listener)
{
	int (*get)(int, int, int, void *, socklen_t *) = KASHIM_REAL(real_getsockopt, "getsockopt");
	struct tcp_info info;
	socklen_t len = sizeof info;

	if (!get || get(listener, IPPROTO_TCP, TCP_INFO, &info, &len) != 0 || info.tcpi_state != TCP_LISTEN)
		return 0;
	return info.tcpi_unacked;
}

/* @fd was accepted on @listener, which kashim has not settled. */
static void accepted_unsettled(int listener, int fd)
{
	const struct kashim_runtime *rt;
	unsigned i, n;

	while (atomic_flag_test_and_set_explicit(&drain_lock, memory_order_acquire))
		sched_yield();
	for (i = 0; i < DRAIN_SLOTS; i++) {
		if (drain[i].left && drain[i].listener == listener)
			break;
	}
	if (i < DRAIN_SLOTS) {
		/* One of the connections queued before the listener had the options. */
		rt = kashim_runtime();
		if (rt)
			kashim_apply_accepted(fd, listener, rt, "accepted, queued before its listener was configured");
		if (--drain[i].left == 0)
			kashim_fd_settle(listener);
	} else if (kashim_adopt_unsettled(listener, "listener, inherited")) {
		rt = kashim_runtime();
		if (rt)
			kashim_apply_accepted(fd, listener, rt, "accepted before its listener was configured");
		n = queued(listener);
		for (i = 0; n && i < DRAIN_SLOTS && drain[i].left; i++)
			;
		if (n && i < DRAIN_SLOTS)
			drain[i].listener = listener, drain[i].left = n;
		else
			kashim_fd_settle(listener);
	}
	atomic_flag_clear_explicit(&drain_lock, memory_order_release);
}

static int after_accept(int listener, int fd)
{
	if (fd >= 0 && KASHIM_UNLIKELY(!kashim_fd_settled(listener))) {
		int saved_errno = errno;

		accepted_unsettled(listener, fd);
		errno = saved_errno;
	}
	return fd;
}

/* The first accept() of the process, or one on a listener kashim has not
 * settled. */
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
