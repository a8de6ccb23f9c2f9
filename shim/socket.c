/*
 * socket.c - socket(): configure every new TCP socket right away, so that
 * connect() and accept() on it need nothing more (a listener passes its
 * settings on to every connection it accepts).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>

#include "kashim.h"

/* AF_INET/AF_INET6 stream sockets with protocol 0 or TCP. The type carries
 * SOCK_NONBLOCK|SOCK_CLOEXEC: compare the low bits (SOCK_TYPE_MASK), a bit
 * test would also match SOCK_RAW and SOCK_SEQPACKET. */
static inline bool is_tcp_request(int domain, int type, int protocol)
{
	return (domain == AF_INET || domain == AF_INET6) && (type & 0xf) == SOCK_STREAM &&
	       (protocol == 0 || protocol == IPPROTO_TCP);
}

/* Contract: returns exactly what libc's socket() returns, with its errno;
 * a TCP socket additionally has the configured keepalive options. */
KASHIM_EXPORT int socket(int domain, int type, int protocol)
{
	int (*real)(int, int, int) = KASHIM_REAL(real_socket, "socket");
	const struct kashim_runtime *rt;
	int fd;

	if (KASHIM_UNLIKELY(!real)) {
		errno = ENOSYS;
		return -1;
	}
	fd = real(domain, type, protocol);
	if (fd < 0)
		return fd;
	if (!is_tcp_request(domain, type, protocol)) {
		kashim_fd_settle(fd);
		return fd;
	}
	rt = kashim_runtime();
	if (KASHIM_UNLIKELY(!rt))
		return fd; /* made during our own initialisation: connect() adopts it */
	kashim_fd_settle(fd);
	if (KASHIM_LIKELY(rt->enabled))
		kashim_apply(fd, rt, domain == AF_INET6 ? "socket AF_INET6" : "socket AF_INET");
	else if (rt->debug)
		kashim_log(KASHIM_LOG_DEBUG, "fd %d (socket): keepalive = false for this program; left alone", fd);
	return fd;
}
