/* SPDX-License-Identifier: MIT */
/*
 * socket.c - socket(): every new TCP socket gets the base profile at once
 * (apply.h), so connect() and accept() on it need nothing more without
 * rules (a listener passes its settings on to every connection it
 * accepts), and a socket that never calls libc's connect() has them too.
 *
 * Every socket a program makes comes through here, so the common cases are
 * kept short (make bench counts them): a TCP socket once the settings are
 * known costs one byte test, one byte store and the calls; in a program
 * whose config says keepalive = false, socket() is a jump to libc's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>

#include "kashim.h"
#include "rules.h"

/* AF_INET/AF_INET6 stream sockets with protocol 0, TCP or MPTCP (TCP to
 * the program: mptcpize, Go's listeners). The type carries
 * SOCK_NONBLOCK|SOCK_CLOEXEC: compare the low bits (SOCK_TYPE_MASK), a bit
 * test would also match SOCK_RAW and SOCK_SEQPACKET. Written as three
 * masked tests, one instruction pair each, because every socket() pays it:
 *   domain - AF_INET has no bit but 8 set  <=> domain is AF_INET (2) or AF_INET6 (10)
 *   (type - SOCK_STREAM) & 0xf == 0       <=> (type & 0xf) == SOCK_STREAM
 *   protocol & ~(TCP | MPTCP) == 0         <=> protocol is 0, 6 or 262, or one of
 * 2, 4, 256, 258, 260, which the kernel refuses for a stream socket
 * (EPROTONOSUPPORT: no fd). */
static inline bool is_tcp_request(int domain, int type, int protocol)
{
	_Static_assert(AF_INET6 - AF_INET == 8 && SOCK_STREAM == 1 && IPPROTO_TCP == 6 && IPPROTO_MPTCP == 262,
		       "is_tcp_request");
	return ((unsigned)(domain - AF_INET) & ~8u) == 0 && ((unsigned)(type - SOCK_STREAM) & 0xfu) == 0 &&
	       ((unsigned)protocol & ~(unsigned)(IPPROTO_TCP | IPPROTO_MPTCP)) == 0;
}

/* Out of line: option @i of the base failed on @fd with -@err. */
static __attribute__((noinline, cold)) void configure_failed(int fd, unsigned i, long err)
{
	int saved_errno = errno;

	errno = (int)-err;
	kashim_apply_failed(fd, &kashim_rt, &kashim_rt.base.opts[i]);
	errno = saved_errno;
}

/* Out of line: TCP_USER_TIMEOUT, unless the socket is MPTCP (the kernel
 * refuses it there: not tried, nothing logged). */
static __attribute__((noinline)) void configure_more(int fd, int protocol)
{
	long err;

	if (protocol == IPPROTO_MPTCP)
		return;
	err = kashim_set_option(fd, &kashim_rt.base.opts[KASHIM_OPT_USER_TIMEOUT]);
	if (KASHIM_UNLIKELY(err != 0))
		configure_failed(fd, KASHIM_OPT_USER_TIMEOUT, err);
}

/* Out of line: some of the 4 calls failed; each failure said in order. */
static __attribute__((noinline, cold)) void configure_failed_any(int fd, long e0, long e1, long e2, long e3)
{
	const long err[4] = {e0, e1, e2, e3};

	for (unsigned i = 0; i < 4; i++)
		if (err[i] != 0)
			configure_failed(fd, i, err[i]);
}

/*
 * kashim_decide() for a new socket, the base profile and nothing recorded
 * (the case every TCP socket takes): its state, then the calls, unrolled
 * for the 4 options every enabled profile starts with, their results
 * looked at after the last: no call in between, so the fd and the option
 * length stay in their registers from one call to the next. errno
 * untouched.
 */
static inline __attribute__((always_inline)) void configure(int fd, int protocol)
{
	const struct kashim_sockopt *o = kashim_rt.base.opts;
	long e0, e1, e2, e3;

	kashim_fd_set_state(fd, kashim_rt.new_state);
	e0 = kashim_set_option(fd, &o[0]);
	e1 = kashim_set_option(fd, &o[1]);
	e2 = kashim_set_option(fd, &o[2]);
	e3 = kashim_set_option(fd, &o[3]);
	if (KASHIM_UNLIKELY((e0 | e1 | e2 | e3) != 0))
		configure_failed_any(fd, e0, e1, e2, e3);
	if (KASHIM_UNLIKELY(kashim_rt.base.nopts > 4))
		configure_more(fd, protocol);
}

/* Everything but the hot path: a socket made before the settings are known
 * (which reads them) or while another thread reads them (noted for it to
 * decide), and any socket under KASHIM_DEBUG. */
static __attribute__((noinline)) int socket_slow(int fd, int domain)
{
	const struct kashim_runtime *rt;
	int saved_errno = errno;

	/* Whatever the number meant before is gone. */
	kashim_fd_set_state(fd, 0);
	rt = kashim_runtime();
	if (KASHIM_UNLIKELY(!rt)) {
		kashim_pending_add(fd, KASHIM_PENDING_SOCKET);
	} else {
		kashim_mode_decide(rt);
		kashim_decide(fd, rt, &rt->base, NULL,
			      KASHIM_FS_DECIDED | (rt->rules ? KASHIM_FS_REFINE : 0),
			      domain == AF_INET6 ? "socket AF_INET6" : "socket AF_INET", NULL);
	}
	errno = saved_errno;
	return fd;
}

/* socket() once libc's socket is known and the program is not left alone
 * (any mode but UNKNOWN guarantees it, kashim_mode_decide; socket_first
 * looks it up). Out of line, so that socket() itself saves no register
 * before it jumps to libc's in a program kashim leaves alone; its
 * arguments in socket()'s registers, so that socket() moves none. */
static __attribute__((noinline)) int socket_with(int domain, int type, int protocol, unsigned mode)
{
	/* What to do is known before the call: one register kept across it
	 * for the TCP test and the mode. */
	unsigned what = !is_tcp_request(domain, type, protocol) ? 0 :
			KASHIM_LIKELY(mode == KASHIM_MODE_CONFIGURE || mode == KASHIM_MODE_RULES) ? 1 : 2;
	int fd = __atomic_load_n(&real_socket, __ATOMIC_RELAXED)(domain, type, protocol);

	if (fd < 0)
		return fd;
	if (KASHIM_LIKELY(what == 1)) {
		configure(fd, protocol);
		return fd;
	}
	if (what == 0) {
		kashim_fd_decide(fd);
		return fd;
	}
	return socket_slow(fd, domain);
}

/* The first socket() of the process: look libc's up first. */
static __attribute__((noinline, cold)) int socket_first(int domain, int type, int protocol)
{
	if (KASHIM_UNLIKELY(!KASHIM_REAL(real_socket, "socket"))) {
		errno = ENOSYS;
		return -1;
	}
	return socket_with(domain, type, protocol, kashim_mode_now());
}

/* Contract: returns exactly what libc's socket() returns, with its errno;
 * a TCP socket additionally has the configured keepalive options. */
KASHIM_EXPORT int socket(int domain, int type, int protocol)
{
	unsigned mode = kashim_mode_now();

	if (mode == KASHIM_MODE_LEAVE)
		return __atomic_load_n(&real_socket, __ATOMIC_RELAXED)(domain, type, protocol);
	if (KASHIM_UNLIKELY(mode == KASHIM_MODE_UNKNOWN))
		return socket_first(domain, type, protocol);
	return socket_with(domain, type, protocol, mode);
}
