/* SPDX-License-Identifier: MIT */
/*
 * socket.c - socket(): configure every new TCP socket right away, so that
 * connect() and accept() on it need nothing more (a listener passes its
 * settings on to every connection it accepts).
 *
 * Every socket a program makes comes through here, so the common cases are
 * kept short (make bench counts them): a TCP socket once the settings are
 * known costs one byte test, the decided bit and the calls; in a program
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

#if defined(__x86_64__) && defined(__linux__)
#include <sys/syscall.h>

/* setsockopt(2) without libc: the result (0 or -errno) comes back in a
 * register and errno is never touched, so the hot path needs neither
 * __errno_location() nor a saved copy, and no call into libc's wrapper
 * (make bench, socket: 20 instructions fewer per socket). Another
 * library interposing setsockopt() does not see kashim's own calls. */
static inline long set_option(int fd, const struct kashim_sockopt *o)
{
	register long optval __asm__("r10") = (long)&o->value;
	register long optlen __asm__("r8") = sizeof(int);
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((long)SYS_setsockopt), "D"((long)fd), "S"((long)o->level), "d"((long)o->name),
			   "r"(optval), "r"(optlen)
			 : "rcx", "r11", "memory");
	return ret;
}
#else
/* libc's setsockopt, with the same contract: 0 or -errno, errno untouched
 * (KASHIM_MODE_CONFIGURE guarantees it is resolved). */
static inline long set_option(int fd, const struct kashim_sockopt *o)
{
	int (*set)(int, int, int, const void *, socklen_t) = __atomic_load_n(&real_setsockopt, __ATOMIC_RELAXED);
	int saved_errno = errno;
	long err;

	if (KASHIM_LIKELY(set(fd, o->level, o->name, &o->value, sizeof(int)) == 0))
		return 0;
	err = -errno;
	errno = saved_errno;
	return err;
}
#endif

/* Out of line: option @i of kashim_rt failed on @fd with error @err. Log
 * it; the program's errno is untouched. */
static __attribute__((noinline, cold)) void configure_failed(int fd, unsigned i, long err)
{
	int saved_errno = errno;

	errno = (int)-err;
	kashim_apply_failed(fd, &kashim_rt, &kashim_rt.opts[i]);
	errno = saved_errno;
}

/* Out of line: the options after the usual 4 (user_timeout). */
static __attribute__((noinline)) void configure_more(int fd)
{
	for (unsigned i = 4; i < kashim_rt.nopts; i++) {
		long ret = set_option(fd, &kashim_rt.opts[i]);

		if (KASHIM_UNLIKELY(ret != 0))
			configure_failed(fd, i, ret);
	}
}

/* Mark a new TCP socket decided and make the calls: kashim_apply() with its
 * loop unrolled for the 4 options every configuration starts with. errno
 * is never touched. */
static inline __attribute__((always_inline)) void configure(int fd)
{
	const struct kashim_sockopt *o = kashim_rt.opts;
	long ret;

	kashim_fd_decide(fd);
#define KASHIM_CONFIGURE_ONE(i)                               \
	do {                                                  \
		ret = set_option(fd, &o[i]);                  \
		if (KASHIM_UNLIKELY(ret != 0))                \
			configure_failed(fd, i, ret);         \
	} while (0)
	KASHIM_CONFIGURE_ONE(0);
	KASHIM_CONFIGURE_ONE(1);
	KASHIM_CONFIGURE_ONE(2);
	KASHIM_CONFIGURE_ONE(3);
#undef KASHIM_CONFIGURE_ONE
	if (KASHIM_UNLIKELY(kashim_rt.nopts > 4))
		configure_more(fd);
}

/* Everything but the hot path: a socket made before the settings are known
 * (which reads them) or while another thread reads them (noted for it to
 * configure), and any socket under KASHIM_DEBUG. @domain: AF_INET or
 * AF_INET6. */
static __attribute__((noinline)) int socket_slow(int fd, int domain)
{
	const struct kashim_runtime *rt;

	/* With rules, connect() or listen() decides once the address is known. */
	if (kashim_mode_now() == KASHIM_MODE_RULES) {
		kashim_rules_socket(fd);
		return fd;
	}
	rt = kashim_runtime();
	if (KASHIM_UNLIKELY(!rt)) {
		int saved_errno = errno;

		kashim_pending_add(fd, KASHIM_PENDING_SOCKET);
		errno = saved_errno;
		return fd;
	}
	kashim_mode_decide(rt);
	if (rt->rules) {
		kashim_rules_socket(fd);
		if (rt->debug)
			kashim_log(KASHIM_LOG_DEBUG, "fd %d (socket): rules apply; decided at connect or listen", fd);
		return fd;
	}
	kashim_fd_decide(fd);
	if (rt->enabled)
		kashim_apply(fd, rt, domain == AF_INET6 ? "socket AF_INET6" : "socket AF_INET");
	else if (rt->debug)
		kashim_log(KASHIM_LOG_DEBUG, "fd %d (socket): keepalive = false for this program; left alone", fd);
	return fd;
}

/* socket() once libc's socket is known and the program is not left alone. */
static inline __attribute__((always_inline)) int socket_with(int (*real)(int, int, int), unsigned mode,
							       int domain, int type, int protocol)
{
	/* The domain of a TCP request, else 0. (An empty asm that pinned this
	 * test before the call, so one register lives across it, now costs an
	 * instruction more than it saves: make bench, socket 125 with it, 124
	 * without.) */
	int tcp_domain = KASHIM_LIKELY(is_tcp_request(domain, type, protocol)) ? domain : 0;
	int fd = real(domain, type, protocol);

	if (fd < 0)
		return fd;
	if (!tcp_domain) {
		kashim_fd_decide(fd);
		return fd;
	}
	if (KASHIM_LIKELY(mode == KASHIM_MODE_CONFIGURE)) {
		configure(fd);
		return fd;
	}
	return socket_slow(fd, tcp_domain);
}

/* The first socket() of the process: look libc's up first. */
static __attribute__((noinline, cold)) int socket_first(int domain, int type, int protocol)
{
	int (*real)(int, int, int) = KASHIM_REAL(real_socket, "socket");

	if (KASHIM_UNLIKELY(!real)) {
		errno = ENOSYS;
		return -1;
	}
	return socket_with(real, kashim_mode_now(), domain, type, protocol);
}

/* Contract: returns exactly what libc's socket() returns, with its errno;
 * a TCP socket additionally has the configured keepalive options. */
KASHIM_EXPORT int socket(int domain, int type, int protocol)
{
	int (*real)(int, int, int) = __atomic_load_n(&real_socket, __ATOMIC_RELAXED);
	unsigned mode = kashim_mode_now();

	if (KASHIM_UNLIKELY(!real))
		return socket_first(domain, type, protocol);
	if (mode == KASHIM_MODE_LEAVE)
		return real(domain, type, protocol);
	return socket_with(real, mode, domain, type, protocol);
}
