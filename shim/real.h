/* SPDX-License-Identifier: MIT */
/*
 * real.h - libc's versions of the interposed functions (real.c).
 */
#ifndef KASHIM_SHIM_REAL_H
#define KASHIM_SHIM_REAL_H

#include <stdbool.h>
#include <sys/socket.h>

#include "compiler.h"

#pragma GCC visibility push(hidden)

extern int (*real_socket)(int, int, int);
extern int (*real_connect)(int, const struct sockaddr *, socklen_t);
extern int (*real_accept)(int, struct sockaddr *, socklen_t *);
extern int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
extern int (*real_setsockopt)(int, int, int, const void *, socklen_t);
extern int (*real_getsockopt)(int, int, int, void *, socklen_t *);
extern int (*real_close)(int);
extern int (*real_dup)(int);
extern int (*real_dup2)(int, int);
extern int (*real_dup3)(int, int, int);
extern int (*real_fcntl)(int, int, ...);
extern int (*real_fcntl64)(int, int, ...);
extern int (*real_close_range)(unsigned, unsigned, int);
extern void (*real_closefrom)(int);
extern int (*real_chroot)(const char *);
extern int (*real_listen)(int, int);
extern int (*real_getsockname)(int, struct sockaddr *, socklen_t *);
extern int (*real_getpeername)(int, struct sockaddr *, socklen_t *);

/* Out of line, for KASHIM_REAL: *@slot after load (NULL: libc has no
 * @symbol); before it, runs the load first. Never dlsym(), never a lock. */
void *kashim_lookup_real(void **slot, const char *symbol);

/* Evaluates to libc's function for @ptr (e.g. real_socket), found at load
 * (load.c; a hook before its constructor runs it early). Races are benign: every thread stores the same address. On the
 * hot path one load and one test: the look-up is a call away, so the hooks
 * keep no register for it (a statement expression, GCC and Clang). */
#define KASHIM_REAL(ptr, symbol)                                                       \
	__extension__({                                                                \
		__typeof__(ptr) kashim_fn_ = __atomic_load_n(&(ptr), __ATOMIC_RELAXED); \
		if (KASHIM_UNLIKELY(kashim_fn_ == NULL))                               \
			kashim_fn_ = (__typeof__(ptr))kashim_lookup_real((void **)&(ptr), symbol); \
		kashim_fn_;                                                            \
	})

/* The C library's dynamic-loading functions. The shim imports none of them:
 * glibc before 2.34 keeps them in libdl.so.2, which a program need not have
 * loaded, and a library importing them there stops every program it is
 * preloaded into. kashim_libdl_find() looks them up by the load-time walk
 * (elfsym.c), only when one is needed and only at load; a member left NULL
 * is not there (glibc 2.33 or older, a program without libdl). */
struct kashim_libdl {
	void *(*open)(const char *, int);
	void *(*sym)(void *, const char *);
	int (*close)(void *);
	char *(*error)(void);
};
extern struct kashim_libdl kashim_libdl;

/* Fill kashim_libdl (once); true when open, sym, close and error are all
 * there. Load only (a constructor, or a hook before kashim's). */
bool kashim_libdl_find(void);

/* close(): libc's close, or, until it is known, a stand-in that looks it
 * up; never NULL, so close() needs no test. */
int kashim_close_first(int fd);

#pragma GCC visibility pop

#endif
