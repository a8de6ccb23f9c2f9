/* SPDX-License-Identifier: MIT */
/*
 * fdstate.c - the per-fd state map and what changes it outside the hot
 * paths. See fdstate.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fdstate.h"

/* In .data, not .bss, although it starts as zeros: ld.so maps .data from
 * the file with the rest of the writable segment, while a large .bss costs
 * every process one more mmap() at start (make bench, spawn). Untouched
 * pages cost nothing either way. */
__attribute__((section(".data.kashim_fdstate"))) _Atomic unsigned char kashim_fdstate[KASHIM_FDMAP_FDS];

/* The process these maps were last known to belong to. */
static _Atomic pid_t owner;

#ifndef KCMP_VM
#define KCMP_VM 1
#endif

bool kashim_memory_is_parents(void)
{
	int saved_errno = errno;
	pid_t pid = getpid();
	bool shared = false;

	if (pid != atomic_load_explicit(&owner, memory_order_relaxed)) {
		/* A child: of fork() (its own copy of memory) or of vfork()
		 * (its parent's). kcmp() tells; where it cannot (no
		 * CONFIG_KCMP, a parent of another user), the map is changed
		 * as a forked child's would be. */
		shared = syscall(SYS_kcmp, (long)pid, (long)syscall(SYS_getppid), (long)KCMP_VM, 0L, 0L) == 0;
		if (!shared)
			atomic_store_explicit(&owner, pid, memory_order_relaxed);
	}
	errno = saved_errno;
	return shared;
}

void kashim_fd_forget_range(unsigned first, unsigned last)
{
	if (last >= KASHIM_FDMAP_FDS)
		last = KASHIM_FDMAP_FDS - 1;
	if (first > last || kashim_memory_is_parents())
		return;
	/* Eight numbers at a time where they line up: closefrom(3) looks at
	 * the whole map. The numbers are being closed: no store races with a
	 * socket made on them. */
	for (unsigned long fd = first; fd <= last;) {
		if (fd % 8 == 0 && last - fd >= 7) {
			uint64_t *word = (uint64_t *)(void *)&kashim_fdstate[fd];

			if (__atomic_load_n(word, __ATOMIC_RELAXED))
				__atomic_store_n(word, 0, __ATOMIC_RELAXED);
			fd += 8;
		} else {
			kashim_fd_forget((int)fd++);
		}
	}
}

void kashim_fd_copy(int from, int to)
{
	unsigned state = kashim_fd_state(from);

	if ((unsigned)to >= KASHIM_FDMAP_FDS || kashim_fd_state(to) == state || kashim_memory_is_parents())
		return;
	kashim_fd_set_state(to, state);
}
