/* SPDX-License-Identifier: MIT */
/*
 * real.c - the addresses of libc's versions of the interposed functions.
 * All of the shim's pointers to libc live here, nowhere else.
 */
#define _GNU_SOURCE
#include <dlfcn.h>

#include "kashim.h"

int (*real_socket)(int, int, int);
int (*real_connect)(int, const struct sockaddr *, socklen_t);
int (*real_accept)(int, struct sockaddr *, socklen_t *);
int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
int (*real_setsockopt)(int, int, int, const void *, socklen_t);
int (*real_getsockopt)(int, int, int, void *, socklen_t *);
int (*real_close)(int) = kashim_close_first;
int (*real_dup)(int);
int (*real_dup2)(int, int);
int (*real_dup3)(int, int, int);
int (*real_fcntl)(int, int, ...);
int (*real_fcntl64)(int, int, ...);
int (*real_close_range)(unsigned, unsigned, int);
void (*real_closefrom)(int);
int (*real_chroot)(const char *);
int (*real_listen)(int, int);
int (*real_getsockname)(int, struct sockaddr *, socklen_t *);
int (*real_getpeername)(int, struct sockaddr *, socklen_t *);

void *kashim_lookup_real(void **slot, const char *symbol)
{
	void *fn = dlsym(RTLD_NEXT, symbol);

	__atomic_store_n(slot, fn, __ATOMIC_RELAXED);
	return fn;
}
