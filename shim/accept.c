/*
 * accept.c - accept() and accept4(). Linux copies SO_KEEPALIVE, TCP_KEEP*
 * and TCP_USER_TIMEOUT from a listener to every socket it accepts, so a
 * listener configured by socket() costs no system call per connection here.
 * A listener kashim has not seen (inherited, systemd's LISTEN_FDS) is
 * configured on its first accept, together with the connection that accept
 * returned; later connections inherit.
 */
#define _GNU_SOURCE
#include <errno.h>

#include "kashim.h"

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

/* Contract: returns exactly what libc's accept() returns, with its errno. */
KASHIM_EXPORT int accept(int listener, struct sockaddr *addr, socklen_t *len)
{
	int (*real)(int, struct sockaddr *, socklen_t *) = KASHIM_REAL(real_accept, "accept");

	if (KASHIM_UNLIKELY(!real)) {
		errno = ENOSYS;
		return -1;
	}
	return after_accept(listener, real(listener, addr, len));
}

/* Contract: returns exactly what libc's accept4() returns, with its errno. */
KASHIM_EXPORT int accept4(int listener, struct sockaddr *addr, socklen_t *len, int flags)
{
	int (*real)(int, struct sockaddr *, socklen_t *, int) = KASHIM_REAL(real_accept4, "accept4");

	if (KASHIM_UNLIKELY(!real)) {
		errno = ENOSYS;
		return -1;
	}
	return after_accept(listener, real(listener, addr, len, flags));
}
