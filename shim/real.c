/* SPDX-License-Identifier: MIT */
/*
 * real.c - the addresses of libc's versions of the interposed functions.
 * All of the shim's pointers to libc live here, nowhere else. They are
 * found once, at load (load.c), and never looked up again: after load a
 * hook only reads them.
 */
#define _GNU_SOURCE
#include <dlfcn.h> /* RTLD_NEXT, RTLD_DEFAULT: constants only */
#include <stdatomic.h>

#include "elfsym.h"
#include "kashim.h"
#include "load.h"

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

#define REAL(fn) {#fn, (void **)&real_##fn, true, false, false}

/* Every function the hooks pass calls on to, in the order they are found. */
static struct kashim_symreq reals[] = {
	REAL(socket),      REAL(connect),   REAL(accept), REAL(accept4),     REAL(setsockopt),
	REAL(getsockopt),  REAL(close),     REAL(dup),    REAL(dup2),        REAL(dup3),
	REAL(fcntl),       REAL(fcntl64),   REAL(listen), REAL(getsockname), REAL(close_range),
	REAL(closefrom),   REAL(chroot),    REAL(getpeername),
};

#define NREALS (sizeof reals / sizeof reals[0])

/* A symbol whose definition is an IFUNC is asked of ld.so (allowed here, at
 * load; none of glibc's socket functions is one). A failed dlsym() would
 * leave an error for the program's next dlerror(): cleared at once. A symbol
 * the walk did not find at all is not there (libc without closefrom): ld.so
 * searches the same tables, so it is not asked. */
static void ask_ldso(struct kashim_symreq *r)
{
	void *fn;

	if (!kashim_libdl_find())
		return;
	fn = kashim_libdl.sym(r->next ? RTLD_NEXT : RTLD_DEFAULT, r->name);
	if (fn)
		*r->slot = fn, r->found = true;
	else
		kashim_libdl.error();
}

struct kashim_libdl kashim_libdl;

bool kashim_libdl_find(void)
{
	static bool looked;
	struct kashim_symreq req[] = {
		{"dlopen", (void **)&kashim_libdl.open, false, false, false},
		{"dlsym", (void **)&kashim_libdl.sym, false, false, false},
		{"dlclose", (void **)&kashim_libdl.close, false, false, false},
		{"dlerror", (void **)&kashim_libdl.error, false, false, false},
	};

	if (!looked) {
		kashim_symbols_find(req, sizeof req / sizeof req[0]);
		looked = true;
	}
	return kashim_libdl.open && kashim_libdl.sym && kashim_libdl.close && kashim_libdl.error;
}

void kashim_symbols_resolve(struct kashim_symreq *extra, unsigned nextra)
{
	struct kashim_symreq req[KASHIM_SYMREQ_MAX];
	unsigned n = 0;

	for (unsigned i = 0; i < NREALS; i++)
		req[n++] = reals[i];
	for (unsigned i = 0; i < nextra && n < KASHIM_SYMREQ_MAX; i++)
		req[n++] = extra[i];
	if (kashim_symbols_find(req, n) < n) {
		for (unsigned i = 0; i < n; i++)
			if (req[i].ifunc)
				ask_ldso(&req[i]);
	}
	for (unsigned i = 0; i < nextra && NREALS + i < n; i++)
		extra[i].found = req[NREALS + i].found;
}

/* KASHIM_REAL's slow path: *@slot is NULL (or close()'s stand-in). Once
 * the library is loaded that is final: libc has no such function, and the
 * caller fails with ENOSYS or passes. Before (another library's constructor
 * calls socket() before kashim's has run: ld.so is initialising, looking up
 * is allowed) it loads now; from inside that load (a log line's socket) or
 * from another thread meanwhile, it finds just @symbol. */
void *kashim_lookup_real(void **slot, const char *symbol)
{
	struct kashim_symreq one = {symbol, slot, true, false, false};
	void *fn;

	if (kashim_load_early() == KASHIM_LOAD_BUSY)
		kashim_symbols_find(&one, 1);
	fn = __atomic_load_n(slot, __ATOMIC_RELAXED);
	/* close()'s stand-in is not libc's close. */
	return fn == (void *)kashim_close_first ? NULL : fn;
}
