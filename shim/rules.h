/* SPDX-License-Identifier: MIT */
/*
 * rules.h - the shim's side of destination and listen rules.
 *
 * Without rules nothing here runs: socket() configures every TCP socket at
 * once, as it always did. With rules (kashim_mode RULES), socket() only
 * marks a new TCP socket pending; connect() decides once the destination is
 * known, listen() once the local address is, and accepted sockets inherit
 * from their listener. Per-fd state is one byte in a map allocated at
 * initialisation, only in a process whose configuration has rules.
 */
#ifndef KASHIM_SHIM_RULES_H
#define KASHIM_SHIM_RULES_H

#include "../config/rules.h"
#include "kashim.h"

#pragma GCC visibility push(hidden)

/* What one decision makes: the setsockopt() calls of a rule, or of the
 * program's own settings when no rule matches. */
struct kashim_profile {
	bool enabled;             /* false: leave the socket as the program made it */
	bool override;            /* swallow the program's later keepalive calls */
	unsigned nopts;
	struct kashim_sockopt opts[5];
	unsigned char own[5];     /* KASHIM_FS_OWN bit of each option */
	const struct kashim_settings *settings; /* for log lines and reports */
};

struct kashim_rt_rule {
	/* An IPv4 address is tried against the spec's IPv4 part kept here
	 * (no pointer to follow, no family test per rule); IPv6 uses @spec. */
	bool v4;                        /* the spec can match an IPv4 address */
	bool v6;                        /* ...an IPv6 address */
	uint32_t v4net, v4mask;
	const struct kashim_spec *spec; /* in the ruleset: no memcpy import */
	struct kashim_profile profile;
};

/* Built once by kashim_rules_build(), never changed: one mapping with the
 * per-fd state, never unmapped. */
struct kashim_rt_rules {
	unsigned ndest, nlisten;
	const struct kashim_rt_rule *dest, *listen;
	struct kashim_profile base; /* no rule matched */
	struct kashim_ruleset *set; /* the rules' full settings (environment applied) */
	struct kashim_rt_rule rule[];
};

/* Per-fd state bits (kashim_fdstate). */
enum {
	KASHIM_FS_PENDING = 0x01,  /* TCP, not decided yet: connect() or listen() will */
	KASHIM_FS_OVERRIDE = 0x02, /* decided by a profile with override = true */
	KASHIM_FS_OVR_UT = 0x04,   /* ...which also sets TCP_USER_TIMEOUT */
	KASHIM_FS_OWN = 0x08,      /* KASHIM_FS_OWN << i: the program set option i itself */
};

/* One byte per fd below KASHIM_FDMAP_FDS; NULL in a process without rules. */
extern unsigned char *_Atomic kashim_fdstate;

/* Read keepalive.conf's rule table @set (taken over, environment applied
 * through @get, NULL in secure-execution mode) into @rt->rules and allocate
 * the per-fd state. On failure (out of memory) logs once and leaves
 * @rt->rules NULL: the program's own settings then apply to every socket. */
void kashim_rules_build(struct kashim_runtime *rt, struct kashim_ruleset *set, kashim_getenv_fn get);

static inline bool kashim_rules_pending(int fd)
{
	unsigned char *map = atomic_load_explicit(&kashim_fdstate, memory_order_relaxed);

	return map && (unsigned)fd < KASHIM_FDMAP_FDS &&
	       (__atomic_load_n(&map[fd], __ATOMIC_RELAXED) & KASHIM_FS_PENDING);
}

/* For a close() hook: @fd no longer names the socket its state was about. */
static inline void kashim_rules_forget(int fd)
{
	unsigned char *map = atomic_load_explicit(&kashim_fdstate, memory_order_relaxed);

	if (map && (unsigned)fd < KASHIM_FDMAP_FDS)
		__atomic_store_n(&map[fd], 0, __ATOMIC_RELAXED);
}

/* socket() in RULES mode: @fd is a new TCP socket; mark it pending. */
void kashim_rules_socket(int fd);

/* connect() on a pending @fd: call @real, and once the connection is under
 * way (0, EINPROGRESS, EINTR) configure @fd for its destination. A failed
 * connect leaves @fd pending, so connecting again is matched again.
 * Returns what @real returned, with its errno. */
int kashim_rules_connect(int fd, const struct sockaddr *addr, socklen_t len,
			 int (*real)(int, const struct sockaddr *, socklen_t));

/* For kashim_adopt() when the configuration has rules: a listening @fd is
 * matched by its local address and configured (marked decided only if @mark);
 * any other TCP socket becomes pending, for connect() to decide. Returns
 * true when it configured @fd. errno is preserved. */
bool kashim_rules_adopt(int fd, const struct kashim_runtime *rt, const char *why, bool mark);

/* For accept(): configure @fd, accepted on @listener before the listener
 * had its options, as the listener's rule (or the program) says. */
void kashim_apply_accepted(int fd, int listener, const struct kashim_runtime *rt, const char *why);

/* For accept() on @listener, which kashim has not decided (inherited, or
 * socket-activated), when the configuration has rules: give the listener
 * its rule's options unless it has them already (another thread adopted
 * it a moment ago), and @fd, which may have been queued before, the same.
 * False when the listener is decided here instead: its rule says
 * keepalive = false, or its owner turned keepalive on itself with other
 * values (override off); @fd then has what the listener gave it. */
bool kashim_rules_accept_undecided(int listener, int fd, const struct kashim_runtime *rt);

/* dup(), dup2(), fcntl(F_DUPFD): @to names what @from names. */
static inline void kashim_rules_copy(int from, int to)
{
	unsigned char *map = atomic_load_explicit(&kashim_fdstate, memory_order_relaxed);

	if (map && (unsigned)from < KASHIM_FDMAP_FDS && (unsigned)to < KASHIM_FDMAP_FDS)
		__atomic_store_n(&map[to], __atomic_load_n(&map[from], __ATOMIC_RELAXED), __ATOMIC_RELAXED);
}

/* For setsockopt() when the configuration has rules: true when the
 * program's call of keepalive option @name on @fd must be swallowed (@fd
 * was decided by a rule with override = true). A pending socket remembers
 * that the program chose option @name itself. No system call unless it
 * swallows. */
bool kashim_rules_setsockopt(int fd, int name);

#pragma GCC visibility pop

#endif
