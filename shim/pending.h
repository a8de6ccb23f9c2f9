/* SPDX-License-Identifier: MIT */
/*
 * pending.h - TCP sockets that appeared while another thread was reading
 * the settings (pending.c).
 */
#ifndef KASHIM_SHIM_PENDING_H
#define KASHIM_SHIM_PENDING_H

#include <stdatomic.h>
#include <stdbool.h>

#include "runtime.h"

#pragma GCC visibility push(hidden)

/* Why a socket is pending: made by socket(), or returned by accept() on a
 * listener kashim had not configured. */
enum {
	KASHIM_PENDING_SOCKET = 1u << 24,
	KASHIM_PENDING_ACCEPTED = 1u << 25,
};

/* Number of pending entries: the list is looked at only when it is not 0. */
extern _Atomic unsigned kashim_pending_count;

/* Remember @fd, a TCP socket that appeared while the settings were not
 * known, for the thread reading them to decide when it is done (or for
 * the caller, if that thread finished meanwhile). False when the list is
 * full: the fd is left for connect()/accept()/listen() to adopt, and what
 * the program sets on it meanwhile is recorded in its state all the same. */
bool kashim_pending_add(int fd, unsigned why);

/* Take @fd's socket out of the list; true (and *why) when it was there. */
bool kashim_pending_take(int fd, unsigned *why);

/* Decide one pending socket. */
void kashim_pending_decide(int fd, unsigned why, const struct kashim_runtime *rt);

/* Called once by the thread that made kashim_rt READY: decide every entry. */
void kashim_pending_drain(const struct kashim_runtime *rt);

#pragma GCC visibility pop

#endif
