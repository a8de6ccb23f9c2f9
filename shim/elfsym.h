/* SPDX-License-Identifier: MIT */
/*
 * elfsym.h - find functions and variables in the loaded objects by reading
 * their dynamic symbol tables, as ld.so's own lookup does, without ld.so's
 * lock, its error state (dlerror) or its per-call bookkeeping.
 */
#ifndef KASHIM_ELFSYM_H
#define KASHIM_ELFSYM_H

#include <stdbool.h>

#pragma GCC visibility push(hidden)

/* One symbol to find. @next: only in the objects loaded after libkashim.so
 * (dlsym(RTLD_NEXT)'s meaning: a library preloaded after kashim is seen
 * before libc); otherwise in every object, the program first
 * (RTLD_DEFAULT's). The address goes to *@slot and @found is set; a
 * symbol that is not found leaves *@slot alone, and so does one whose first
 * definition is an IFUNC (only ld.so can call its resolver): @ifunc says so. */
struct kashim_symreq {
	const char *name;
	void **slot;
	bool next;
	bool found;
	bool ifunc;
};

/* Most requests one call takes. */
#define KASHIM_SYMREQ_MAX 32

/* Look up @n (at most KASHIM_SYMREQ_MAX) requests in one walk over the
 * loaded objects (dl_iterate_phdr). Each object's DT_GNU_HASH (or DT_HASH)
 * table is searched, and its DT_VERSYM says which version is the default:
 * hidden (non-default) versions are skipped, so the address is the one
 * dlsym() would give. Returns how many were found. Call it only where
 * ld.so's lock may be taken: at load. */
unsigned kashim_symbols_find(struct kashim_symreq *req, unsigned n);

/* The path libkashim.so was loaded from, as ld.so recorded it (what
 * dladdr() would say, without importing dladdr: glibc before 2.34 has it in
 * libdl only), or NULL. */
const char *kashim_self_path(void);

#pragma GCC visibility pop

#endif
