/* SPDX-License-Identifier: MIT */
/*
 * runtime.h - this process's settings, read once (init.c) and never changed
 * once kashim_state is READY: the hooks only read them.
 */
#ifndef KASHIM_SHIM_RUNTIME_H
#define KASHIM_SHIM_RUNTIME_H

#include <stdatomic.h>
#include <stdbool.h>

#include "../config/kashim_settings.h"
#include "compiler.h"

#pragma GCC visibility push(hidden)

/* One setsockopt() call, precomputed once so the hooks only loop. */
struct kashim_sockopt {
	int level;
	int name;
	int value;
};

/* The keepalive options, in the order of a profile's calls; also the bit of
 * each in a socket's state (KASHIM_FS_OWN << index, fdstate.h). */
enum {
	KASHIM_OPT_KEEPALIVE,
	KASHIM_OPT_IDLE,
	KASHIM_OPT_INTERVAL,
	KASHIM_OPT_COUNT,
	KASHIM_OPT_USER_TIMEOUT,
	KASHIM_NOPTS
};

/* What one decision gives a socket: the program's settings (the base) or a
 * destination/listen rule's. */
struct kashim_profile {
	bool enabled;             /* false: kashim sets nothing */
	bool override;            /* the program's keepalive calls are answered, not made */
	unsigned nopts;           /* opts[0..nopts) are made: 0, 4, or 5 with TCP_USER_TIMEOUT */
	struct kashim_sockopt opts[KASHIM_NOPTS]; /* at their KASHIM_OPT_* index */
	const char *rule;         /* for log lines: the rule's name, "" for the base */
};

struct kashim_rt_rules; /* rules.h */

/* How the hooks behave, decided with the settings so that the hot paths test
 * one byte: LEAVE (keepalive off, no rules, no debug log: every hook passes
 * through), CONFIGURE (socket() gives every TCP socket the base profile; no
 * rules), RULES (the same at socket(), refined at connect() and listen()),
 * UNKNOWN (settings not read yet, KASHIM_DEBUG, or rules over a base that is
 * off: the slow paths, which do everything). */
enum { KASHIM_MODE_UNKNOWN, KASHIM_MODE_LEAVE, KASHIM_MODE_CONFIGURE, KASHIM_MODE_RULES };

struct kashim_runtime {
	bool enabled;               /* keepalive on for this program */
	bool override;              /* keep our values against the program's setsockopt */
	bool debug;                 /* KASHIM_DEBUG: log every decision */
	unsigned nopts;
	struct kashim_sockopt opts[5];
	struct kashim_settings settings;
	const struct kashim_rt_rules *rules; /* destination/listen rules, or NULL */
	char program[64];           /* for log lines */
	/* Derived by kashim_rules_build(), which every reading ends with: */
	struct kashim_profile base; /* the program's settings as a profile */
	unsigned char mode;         /* KASHIM_MODE_* once READY */
	unsigned char new_state;    /* a new TCP socket's state (fdstate.h) */
};

/* kashim_state: UNINIT, BUSY (one thread is reading the settings) or
 * READY (kashim_rt is final). */
enum { KASHIM_UNINIT, KASHIM_BUSY, KASHIM_READY };
extern _Atomic int kashim_state;
extern struct kashim_runtime kashim_rt;

/* Slow path of kashim_runtime(): the first caller reads the settings; a
 * caller that finds another thread doing it (or its own thread, from a
 * signal handler or a library loaded meanwhile) gets NULL at once and never
 * waits: it passes the call through and leaves the socket to the pending
 * list (pending.h), or to connect()/accept(). */
const struct kashim_runtime *kashim_runtime_init(void);

/* True once the settings are READY (never reads them). */
static inline bool kashim_rt_ready(void)
{
	return atomic_load_explicit(&kashim_state, memory_order_acquire) == KASHIM_READY;
}

/* The settings for this process, immutable once returned, or NULL while
 * another thread is reading them. */
static inline const struct kashim_runtime *kashim_runtime(void)
{
	if (KASHIM_LIKELY(atomic_load_explicit(&kashim_state, memory_order_acquire) == KASHIM_READY))
		return &kashim_rt;
	return kashim_runtime_init();
}

/* The hooks' mode (above), stored with release once the settings are READY. */
extern _Atomic unsigned char kashim_mode;

static inline unsigned kashim_mode_now(void)
{
	return atomic_load_explicit(&kashim_mode, memory_order_acquire);
}

/* Publish @rt's mode (READY). */
void kashim_mode_decide(const struct kashim_runtime *rt);

/* The setsockopt() calls settings @s ask for, into @opts at their
 * KASHIM_OPT_* index: the 4 keepalive options, TCP_USER_TIMEOUT when above
 * 0. Returns how many (0 when keepalive is off). */
unsigned kashim_sockopts_from(const struct kashim_settings *s, struct kashim_sockopt opts[5]);

#pragma GCC visibility pop

#endif
