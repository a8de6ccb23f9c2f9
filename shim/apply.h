/* SPDX-License-Identifier: MIT */
/*
 * apply.h - the decision (apply.c): the one place kashim calls setsockopt()
 * on the program's sockets, with or without rules.
 *
 * Every TCP socket gets the base profile (the program's settings) when it
 * appears: socket() makes the calls at once, so a socket that never calls
 * libc's connect() (TCP Fast Open's sendto(MSG_FASTOPEN), io_uring) has
 * them too. With destination or listen rules, connect() and listen() then
 * refine it: the options whose rule value differs are set again. Options
 * the program owns (fdstate.h) are never changed unless the deciding
 * profile says override = true.
 */
#ifndef KASHIM_SHIM_APPLY_H
#define KASHIM_SHIM_APPLY_H

#include <stdbool.h>

#include <errno.h>

#include "../config/rules.h"
#include "real.h"
#include "runtime.h"

#pragma GCC visibility push(hidden)

/*
 * setsockopt(@fd, @o) as kashim makes it, in every path: 0 or -errno, the
 * program's errno untouched. On x86-64 a raw `syscall`: no libc wrapper and
 * no errno to save and restore, 20 to 25 instructions fewer per socket()
 * (make bench, socket: about 15 % of its count); another library
 * interposing setsockopt() does not see kashim's own calls. Built with
 * -DKASHIM_NO_ASM (and elsewhere) it calls libc's, which kashim_mode
 * CONFIGURE and RULES guarantee is resolved; make check builds and tests
 * both (build/noasm, test_shim-noasm).
 */
#if defined(__x86_64__) && defined(__linux__) && !defined(KASHIM_NO_ASM)
#include <sys/syscall.h>

static inline long kashim_set_option(int fd, const struct kashim_sockopt *o)
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
static inline long kashim_set_option(int fd, const struct kashim_sockopt *o)
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

/* For kashim_decide()'s @had: the socket holds values kashim does not know
 * (a rule decided it before): every option not owned is set. */
extern const struct kashim_profile kashim_had_unknown;

/*
 * Give @fd profile @p. @had: what kashim set on @fd before (NULL: nothing,
 * the socket is new or someone else's), so that only the options that
 * change are set; an option @had makes and @p does not goes back to the
 * kernel's value. @state: the state bits besides OVERRIDE and OWN
 * (DECIDED, REFINE). TCP_USER_TIMEOUT is not tried on MPTCP sockets (the
 * kernel refuses it). errno is preserved; a failure is logged once per
 * process. @why and @a (may be NULL) are for the debug log.
 */
void kashim_decide(int fd, const struct kashim_runtime *rt, const struct kashim_profile *p,
		   const struct kashim_profile *had, unsigned state, const char *why, const struct kashim_addr *a);

/* How a socket kashim did not see made came to it. */
enum kashim_origin {
	KASHIM_MADE,      /* by socket() while the settings were being read */
	KASHIM_INHERITED, /* from a parent, syscall(), SCM_RIGHTS: its owner may have chosen */
};

/* Decide about TCP socket @fd, found undecided: the base profile (with
 * override off, an inherited socket whose owner turned keepalive on keeps
 * its values), then with rules, at once for a listener (its local address)
 * and a socket this program made and connected (its peer); any other is
 * left for connect() or listen(). errno preserved. */
void kashim_settle(int fd, const struct kashim_runtime *rt, enum kashim_origin origin, const char *why);

/* For a socket kashim did not create (inherited, socket-activated, made with
 * syscall()): decide it if it is TCP (kashim_settle), else mark it decided.
 * While the settings are being read by another thread it does nothing and
 * returns false (@fd stays undecided). errno is preserved. */
bool kashim_adopt(int fd, const char *why);

/* Out of line, for socket()'s inlined calls: option @o failed on @fd with
 * the errno libc set. Logs it once per process (always under KASHIM_DEBUG). */
void kashim_apply_failed(int fd, const struct kashim_runtime *rt, const struct kashim_sockopt *o);

/* The protocol of socket @fd (SO_PROTOCOL), 0 when it is not a socket;
 * errno preserved. */
int kashim_fd_protocol(int fd);

/* True for a TCP or MPTCP socket (SO_PROTOCOL), without touching errno. */
bool kashim_fd_is_tcp(int fd);

/* True for a listening socket (SO_ACCEPTCONN), without touching errno. */
bool kashim_is_listening(int fd);

/* True when @fd already has SO_KEEPALIVE on, without touching errno. */
bool kashim_has_keepalive(int fd);

/* True when @fd, which has SO_KEEPALIVE on, has the values of @p's options
 * after SO_KEEPALIVE. errno preserved. */
bool kashim_has_values(int fd, const struct kashim_profile *p);

#pragma GCC visibility pop

#endif
