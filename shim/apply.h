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

#include "../config/rules.h"
#include "runtime.h"

#pragma GCC visibility push(hidden)

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
