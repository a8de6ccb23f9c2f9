/* SPDX-License-Identifier: MIT */
/*
 * fdstate.h - what kashim knows about each fd number: one byte per fd,
 * static (no allocation), cleared when the number is closed (close(),
 * close_range(), closefrom()), copied by dup(), dup2(), dup3() and
 * fcntl(F_DUPFD*), and set by socket() and accept(). fds at or beyond
 * KASHIM_FDMAP_FDS (the default fs.nr_open) have no byte: they read as
 * decided, with nothing of the program's recorded.
 */
#ifndef KASHIM_SHIM_FDSTATE_H
#define KASHIM_SHIM_FDSTATE_H

#include <stdatomic.h>
#include <stdbool.h>

#include "compiler.h"
#include "runtime.h"

#pragma GCC visibility push(hidden)

#define KASHIM_FDMAP_FDS (1 << 20)

/*
 * DECIDED: kashim has decided about this number (made by socket(), accepted,
 *   adopted; any kind of socket). connect() and accept() on it need nothing.
 * OVERRIDE: decided by a profile with override = true: the program's calls
 *   of the options it does not own are answered and not made.
 * REFINE: with rules: connect() or listen() still matches the socket. With
 *   DECIDED, the socket holds the base profile; without, a rule's (a
 *   connect in progress, or dissolved with AF_UNSPEC): matched again.
 * OWN << i: option i is the program's: it set it itself (successfully), or
 *   it came from an owner that chose keepalive, or (under override) the
 *   profile does not make it. kashim never changes an option the program
 *   owns, unless a profile with override = true decides the socket.
 */
enum {
	KASHIM_FS_DECIDED = 0x01,
	KASHIM_FS_OVERRIDE = 0x02,
	KASHIM_FS_REFINE = 0x04,
	KASHIM_FS_OWN = 0x08,
	KASHIM_FS_OWN_ALL = 0xf8,
};
_Static_assert(KASHIM_FS_OWN << (KASHIM_NOPTS - 1) == 0x80, "one byte holds every option's bit");

/* In .data, not .bss (see fdstate.c). */
extern _Atomic unsigned char kashim_fdstate[KASHIM_FDMAP_FDS];

/* @fd's state; DECIDED for fds beyond the map and negative ones. */
static inline unsigned kashim_fd_state(int fd)
{
	if (KASHIM_UNLIKELY((unsigned)fd >= KASHIM_FDMAP_FDS))
		return KASHIM_FS_DECIDED;
	return atomic_load_explicit(&kashim_fdstate[fd], memory_order_relaxed);
}

static inline void kashim_fd_set_state(int fd, unsigned state)
{
	if (KASHIM_LIKELY((unsigned)fd < KASHIM_FDMAP_FDS))
		atomic_store_explicit(&kashim_fdstate[fd], (unsigned char)state, memory_order_relaxed);
}

static inline bool kashim_fd_decided(int fd)
{
	return kashim_fd_state(fd) & KASHIM_FS_DECIDED;
}

/* A socket kashim leaves alone (not TCP, or keepalive off): decided, nothing
 * else; whatever the number meant before is forgotten. */
static inline void kashim_fd_decide(int fd)
{
	kashim_fd_set_state(fd, KASHIM_FS_DECIDED);
}

/* The program set option @opt on @fd itself. */
static inline void kashim_fd_own(int fd, unsigned opt)
{
	if ((unsigned)fd < KASHIM_FDMAP_FDS)
		atomic_fetch_or_explicit(&kashim_fdstate[fd], (unsigned char)(KASHIM_FS_OWN << opt),
					 memory_order_relaxed);
}

/* The number is closed: forget it. A test first: most fds closed are files.
 * The byte is read and written as one compare and one move to memory, as a
 * relaxed atomic byte is on every architecture kashim builds for; spelled
 * with __atomic builtins GCC loads it into a register first (make bench,
 * close). */
static inline void kashim_fd_forget(int fd)
{
	unsigned char *state = (unsigned char *)kashim_fdstate;
	unsigned u = (unsigned)fd;

	if (u < KASHIM_FDMAP_FDS && *(state + u))
		__atomic_store_n(state + u, 0, __ATOMIC_RELAXED);
}

/* Forget every fd in [@first, @last] (close_range, closefrom). */
void kashim_fd_forget_range(unsigned first, unsigned last);

/* @to now names what @from names (dup, dup2, fcntl F_DUPFD). */
void kashim_fd_copy(int from, int to);

/* True in a child that shares its parent's memory (vfork(), or clone with
 * CLONE_VM and not CLONE_THREAD): the fd table is its own but the map is
 * its parent's, so the child must not change it. errno preserved. */
bool kashim_memory_is_parents(void);

#pragma GCC visibility pop

#endif
