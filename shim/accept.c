/*
 * accept.c - accept() and accept4(). Linux copies SO_KEEPALIVE, TCP_KEEP*
 * and TCP_USER_TIMEOUT from a listener to every socket it accepts, so a
 * listener configured by socket() costs no system call per connection here:
 * the hot path is one bit test and a jump to libc's accept (make bench,
 * connect; tests/perf/accept.t counts the calls).
 * A listener kashim has not seen (inherited, systemd's LISTEN_FDS) is
 * configured on its first accept, together with the connection that accept
 * returned; later connections inherit.
 */
#define _GNU_SOURCE
#include <errno.h>

#include "kashim.h"

/* True when accept() on @listener needs nothing from kashim. */
static inline bool accept_passes(int listener)
{
	return KASHIM_LIKELY(kashim_fd_settled(listener) || kashim_mode_now() == KASHIM_MODE_LEAVE);
}

static int after_accept(int listener, int fd)
{
	if (fd >= 0 && KASHIM_UNLIKELY(!kashim_fd_settled(listener))) {
		int saved_errno = errno;

		if (kashim_adopt(listener, "listener, inherited")) {
			const struct kashim_runtime *rt = kashim_runtime();

			if (rt)
				kashim_apply(fd, rt, "accepted before its listener was configured");
		}
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
