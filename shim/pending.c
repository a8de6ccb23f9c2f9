/*
 * SPDX-License-Identifier: MIT
 *
 * pending.c - TCP sockets that appeared while another thread was reading the
 * settings. Nobody waits for that thread (it may be waiting for ld.so's lock,
 * which the caller may hold), so the socket is returned to the program at
 * once and noted here; the reader configures every noted socket as soon as
 * the settings are READY. A socket made by socket() or accepted from a
 * listener kashim had not configured is therefore configured within the
 * reading, not at some later connect().
 *
 * Lock-free and allocation-free: a fixed array of words, each 0 or an fd + 1
 * with the reasons above it, claimed and emptied with compare-and-swap, so
 * it is safe from signal handlers and in a child forked at any moment (the
 * child's entries name its own copies of the same fds). Full: the socket is
 * left for connect()/accept() to adopt, as before this list existed.
 */
#define _GNU_SOURCE
#include <errno.h>

#include "kashim.h"

#define PENDING_SLOTS 1024
#define PENDING_FD_MASK 0xffffffu

/* In .data, as kashim_fdmap: 4 KiB of .bss would cost every process an
 * anonymous mmap at start (make bench, spawn; tests/perf/startup.t). */
__attribute__((section(".data.kashim_pending"))) static _Atomic unsigned pending[PENDING_SLOTS];
__attribute__((section(".data.kashim_pending"))) _Atomic unsigned kashim_pending_count;

static unsigned entry_of(int fd, unsigned why)
{
	return ((unsigned)fd + 1) | why;
}

static int fd_of(unsigned entry)
{
	return (int)(entry & PENDING_FD_MASK) - 1;
}

/* Empty slot @i if it still holds @entry; true for the one caller that did. */
static bool take_slot(unsigned i, unsigned entry)
{
	if (!atomic_compare_exchange_strong(&pending[i], &entry, 0))
		return false;
	atomic_fetch_sub(&kashim_pending_count, 1);
	return true;
}

/* The slot holding @fd, or -1. */
static int find(int fd, unsigned *entry)
{
	for (unsigned i = 0; i < PENDING_SLOTS; i++) {
		unsigned e = atomic_load(&pending[i]);

		if (e && fd_of(e) == fd) {
			*entry = e;
			return (int)i;
		}
	}
	return -1;
}

bool kashim_pending_add(int fd, unsigned why)
{
	unsigned entry = entry_of(fd, why);

	if ((unsigned)fd >= KASHIM_FDMAP_FDS)
		return false;
	for (unsigned i = 0; i < PENDING_SLOTS; i++) {
		unsigned empty = 0;

		if (!atomic_compare_exchange_strong(&pending[i], &empty, entry))
			continue;
		atomic_fetch_add(&kashim_pending_count, 1);
		/* The reader may have emptied the list just before this entry
		 * went in: then the settings are READY and it is ours to do.
		 * (Sequentially consistent on both sides: one of the two sees
		 * the other.) */
		if (atomic_load(&kashim_state) == KASHIM_READY && take_slot(i, entry))
			kashim_pending_settle(fd, why, &kashim_rt);
		return true;
	}
	return false;
}

bool kashim_pending_take(int fd, unsigned *why)
{
	unsigned entry;
	int i;

	while ((i = find(fd, &entry)) >= 0) {
		if (take_slot((unsigned)i, entry)) {
			*why = entry & ~PENDING_FD_MASK;
			return true;
		}
	}
	return false;
}

void kashim_pending_chosen(int fd)
{
	unsigned entry;
	int i;

	while ((i = find(fd, &entry)) >= 0) {
		if (entry & KASHIM_PENDING_CHOSEN)
			return;
		if (atomic_compare_exchange_strong(&pending[i], &entry, entry | KASHIM_PENDING_CHOSEN))
			return;
	}
	kashim_pending_add(fd, KASHIM_PENDING_CHOSEN);
}

void kashim_pending_forget(int fd)
{
	unsigned why;

	while (kashim_pending_take(fd, &why))
		;
}

void kashim_pending_forget_range(unsigned first, unsigned last)
{
	for (unsigned i = 0; i < PENDING_SLOTS; i++) {
		unsigned entry = atomic_load(&pending[i]);

		if (entry && (unsigned)fd_of(entry) >= first && (unsigned)fd_of(entry) <= last)
			take_slot(i, entry);
	}
}

void kashim_pending_settle(int fd, unsigned why, const struct kashim_runtime *rt)
{
	kashim_fd_settle(fd);
	if (!rt->enabled)
		return;
	/* The program chose for this socket while the settings were read:
	 * its choice stands unless override says kashim's values win. */
	if ((why & KASHIM_PENDING_CHOSEN) && !rt->override) {
		if (rt->debug)
			kashim_log(KASHIM_LOG_DEBUG, "fd %d: the program set keepalive options itself; left as it is", fd);
		return;
	}
	/* Accepted: it has what its listener had. A listener whose owner
	 * turned keepalive on passed the owner's choice on. */
	if ((why & KASHIM_PENDING_ACCEPTED) && !rt->override && kashim_has_keepalive(fd)) {
		if (rt->debug)
			kashim_log(KASHIM_LOG_DEBUG, "fd %d (accepted): already has SO_KEEPALIVE; left as it is", fd);
		return;
	}
	if (!(why & KASHIM_PENDING_SOCKET) && !kashim_fd_is_tcp(fd))
		return;
	kashim_apply(fd, rt, why & KASHIM_PENDING_ACCEPTED ? "accepted while the settings were read"
							  : "made while the settings were read");
}

void kashim_pending_drain(const struct kashim_runtime *rt)
{
	int saved_errno = errno;

	if (atomic_load(&kashim_pending_count) == 0)
		return;
	for (unsigned i = 0; i < PENDING_SLOTS; i++) {
		unsigned entry = atomic_load(&pending[i]);

		if (entry && take_slot(i, entry))
			kashim_pending_settle(fd_of(entry), entry & ~PENDING_FD_MASK, rt);
	}
	errno = saved_errno;
}
