/*
 * connect.c - connect(): a TCP socket kashim has not seen (inherited from a
 * parent, or made with syscall(SYS_socket)) is configured before it connects.
 * A socket that socket() already handled costs nothing here, so whatever the
 * program set on it in between stands.
 */
#define _GNU_SOURCE
#include <errno.h>

#include "kashim.h"

/* Contract: returns exactly what libc's connect() returns, with its errno. */
KASHIM_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	int (*real)(int, const struct sockaddr *, socklen_t) = KASHIM_REAL(real_connect, "connect");

	if (KASHIM_UNLIKELY(!real)) {
		errno = ENOSYS;
		return -1;
	}
	if (KASHIM_UNLIKELY(!kashim_fd_settled(fd)))
		kashim_adopt(fd, "connect, inherited");
	return real(fd, addr, len);
}
