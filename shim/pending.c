/* SPDX-License-Identifier: MIT */
/*
 * pending.c - TCP sockets that appeared while another thread was reading the
 * settings. Nobody waits for that thread (it may be waiting for ld.so's lock,
 * which the caller may hold), so the socket is returned to the program at
 * once and noted here; the reader configures every noted socket as soon as
 * the settings are READY. A socket made by socket() or accepted from a
 * listener kashim had not configured is therefore configured within the
 * reading, not at some later connect().
 *
 * Lock-free and allocation-free: a fixed array of words, each 0 or an fd + 1
 * with the reasons above it, claimed and emptied with compare-and-swap (an
 * entry is emptied through the claimed state, so whoever takes it reads the
 * cookie written with it, never one of a socket added meanwhile), so
 * it is safe from signal handlers and in a child forked at any moment (the
 * child's entries name its own copies of the same sockets). Each entry also
 * holds the socket's cookie (SO_COOKIE, unique for the life of the system),
 * checked before the socket is touched: an fd number closed and reused in
 * the meantime is dropped, so close() never has to look at this list.
 * Full: the socket is left for connect()/accept()/listen() to adopt; what
 * the program sets on it meanwhile is in its state (fdstate.h) either way.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>

#include "kashim.h"
#include "rules.h"

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif

#define PENDING_SLOTS 1024
#define PENDING_FD_MASK 0xffffffu
#define PENDING_WRITING (1u << 31) /* claimed, cookie not written yet */

/* In .data, as kashim_fdmap: .bss this size would cost every process an
 * anonymous mmap at start (make bench, spawn; tests/perf/startup.t). */
__attribute__((section(".data.kashim_pending"))) static _Atomic unsigned pending[PENDING_SLOTS];
__attribute__((section(".data.kashim_pending"))) static _Atomic uint64_t pending_cookie[PENDING_SLOTS];
__attribute__((section(".data.kashim_pending"))) _Atomic unsigned kashim_pending_count;

static int fd_of(unsigned entry)
{
	return (int)(entry & PENDING_FD_MASK) - 1;
}

/* The socket's cookie; 0 when it has none (not a socket, closed). */
static uint64_t cookie_of(int fd)
{
	int (*get)(int, int, int, void *, socklen_t *) = KASHIM_REAL(real_getsockopt, "getsockopt");
	int saved_errno = errno;
	uint64_t cookie = 0;
	socklen_t len = sizeof cookie;

	if (!get || get(fd, SOL_SOCKET, SO_COOKIE, &cookie, &len) != 0)
		cookie = 0;
	errno = saved_errno;
	return cookie;
}

/* Empty slot @i if it still holds @entry; true for the one caller that did,
 * with the cookie written with that entry in *@cookie. The slot stays
 * claimed (PENDING_WRITING, never 0) while the cookie is read: no new entry
 * can take the slot and write its own cookie over it in between. */
static bool take_slot(unsigned i, unsigned entry, uint64_t *cookie)
{
	if (!atomic_compare_exchange_strong(&pending[i], &entry, PENDING_WRITING))
		return false;
	*cookie = atomic_load(&pending_cookie[i]);
	atomic_store(&pending[i], 0);
	atomic_fetch_sub(&kashim_pending_count, 1);
	return true;
}

/* The published slot holding @fd's socket @cookie, or -1. */
static int find(int fd, uint64_t cookie, unsigned *entry)
{
	for (unsigned i = 0; i < PENDING_SLOTS; i++) {
		unsigned e = atomic_load(&pending[i]);

		if (e && !(e & PENDING_WRITING) && fd_of(e) == fd && atomic_load(&pending_cookie[i]) == cookie) {
			*entry = e;
			return (int)i;
		}
	}
	return -1;
}

/* Settle the entry taken with @cookie, unless its fd names another socket now. */
static void decide_taken(unsigned entry, uint64_t cookie, const struct kashim_runtime *rt)
{
	int fd = fd_of(entry);

	if (cookie_of(fd) == cookie)
		kashim_pending_decide(fd, entry & ~PENDING_FD_MASK, rt);
}

bool kashim_pending_add(int fd, unsigned why)
{
	uint64_t cookie = cookie_of(fd);
	unsigned entry = ((unsigned)fd + 1) | why;

	if ((unsigned)fd >= KASHIM_FDMAP_FDS || cookie == 0)
		return false;
	for (unsigned i = 0; i < PENDING_SLOTS; i++) {
		unsigned empty = 0;

		if (!atomic_compare_exchange_strong(&pending[i], &empty, entry | PENDING_WRITING))
			continue;
		atomic_store(&pending_cookie[i], cookie);
		atomic_fetch_add(&kashim_pending_count, 1);
		atomic_store(&pending[i], entry);
		/* The reader may have emptied the list just before this entry
		 * was published: then the settings are READY and it is ours to
		 * do. (Sequentially consistent on both sides: one of the two
		 * sees the other.) */
		if (atomic_load(&kashim_state) == KASHIM_READY && take_slot(i, entry, &cookie))
			decide_taken(entry, cookie, &kashim_rt);
		return true;
	}
	return false;
}

bool kashim_pending_take(int fd, unsigned *why)
{
	uint64_t cookie = cookie_of(fd), taken;
	unsigned entry;
	int i;

	/* An entry refilled for a closed socket of the same number between
	 * find() and the take is dropped: only @fd's own socket counts. */
	while (cookie && (i = find(fd, cookie, &entry)) >= 0) {
		if (take_slot((unsigned)i, entry, &taken) && taken == cookie) {
			*why = entry & ~PENDING_FD_MASK;
			return true;
		}
	}
	return false;
}

void kashim_pending_decide(int fd, unsigned why, const struct kashim_runtime *rt)
{
	const struct kashim_profile *p;
	struct kashim_addr a;
	bool known;

	if (why & KASHIM_PENDING_SOCKET) {
		kashim_settle(fd, rt, KASHIM_MADE, "made while the settings were read");
		return;
	}
	/* Accepted: it has what its listener had, and its listener's local
	 * address, so its listen rule. A listener whose owner turned
	 * keepalive on passed the owner's choice on. */
	if (!kashim_fd_is_tcp(fd)) {
		kashim_fd_decide(fd);
		return;
	}
	p = kashim_rules_local(rt, fd, &a, &known);
	if (!p->override && kashim_has_keepalive(fd))
		kashim_fd_set_state(fd, kashim_fd_state(fd) | KASHIM_FS_OWN_ALL);
	kashim_decide(fd, rt, p, NULL, KASHIM_FS_DECIDED, "accepted while the settings were read", known ? &a : NULL);
}

void kashim_pending_drain(const struct kashim_runtime *rt)
{
	int saved_errno = errno;

	if (atomic_load(&kashim_pending_count) == 0)
		return;
	for (unsigned i = 0; i < PENDING_SLOTS; i++) {
		unsigned entry = atomic_load(&pending[i]);
		uint64_t cookie;

		if (entry && !(entry & PENDING_WRITING) && take_slot(i, entry, &cookie))
			decide_taken(entry, cookie, rt);
	}
	errno = saved_errno;
}
