/* SPDX-License-Identifier: MIT */
/*
 * elfsym.c - symbol lookup over the loaded objects' own hash tables.
 *
 * Why not dlsym(): each call takes ld.so's lock, runs under its exception
 * handler, clears the program's pending dlerror() and costs about 1,100
 * instructions (16 of them added 17,300 to every process start). Here one
 * dl_iterate_phdr() walk visits each object once; per object and name a
 * Bloom-filter test (about 20 instructions) rejects almost every miss. No
 * other libc function is called: the first call of each would cost a lazy
 * binding (about 750 instructions) in every process.
 *
 * The objects come in load order, which at start is the global search
 * order: the program, the preloaded libraries in order, then their
 * dependencies breadth first. "Next" requests start after the object that
 * contains this code, as RTLD_NEXT does.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <stddef.h>
#include <stdint.h>

#include "elfsym.h"

#define BLOOM_BITS (8 * sizeof(ElfW(Addr)))

/* What one object's dynamic section says about its symbols. */
struct dynobj {
	const ElfW(Sym) *symtab;
	const char *strtab;
	const uint32_t *gnu;    /* DT_GNU_HASH, or NULL */
	const uint32_t *sysv;   /* DT_HASH, or NULL */
	const ElfW(Half) *versym;
	ElfW(Addr) base;
};

struct walk {
	struct kashim_symreq *req;
	unsigned n;
	uint32_t settled, all;  /* bit i: request i found, or found as an IFUNC */
	bool past_self, any_default;
	uint32_t gnu_hash[KASHIM_SYMREQ_MAX];
};

static uint32_t gnu_hash(const char *s)
{
	uint32_t h = 5381;

	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

static uint32_t sysv_hash(const char *s)
{
	uint32_t h = 0, g;

	for (; *s; s++) {
		h = (h << 4) + (unsigned char)*s;
		g = h & 0xf0000000u;
		h ^= g >> 24;
		h &= ~g;
	}
	return h;
}

/* glibc relocates most d_ptr entries in place, musl and read-only dynamic
 * sections do not: an address below the object's base is still an offset. */
static const void *dyn_ptr(ElfW(Addr) base, ElfW(Addr) v)
{
	return (const void *)(v < base ? v + base : v);
}

static bool dynobj_from(const struct dl_phdr_info *info, struct dynobj *o)
{
	const ElfW(Dyn) *d = NULL;

	for (unsigned i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
			d = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
	if (!d)
		return false;
	*o = (struct dynobj){.base = info->dlpi_addr};
	for (; d->d_tag != DT_NULL; d++) {
		if (d->d_tag == DT_SYMTAB)
			o->symtab = dyn_ptr(o->base, d->d_un.d_ptr);
		else if (d->d_tag == DT_STRTAB)
			o->strtab = dyn_ptr(o->base, d->d_un.d_ptr);
		else if (d->d_tag == DT_GNU_HASH)
			o->gnu = dyn_ptr(o->base, d->d_un.d_ptr);
		else if (d->d_tag == DT_HASH)
			o->sysv = dyn_ptr(o->base, d->d_un.d_ptr);
		else if (d->d_tag == DT_VERSYM)
			o->versym = dyn_ptr(o->base, d->d_un.d_ptr);
	}
	return o->symtab && o->strtab && (o->gnu || o->sysv);
}

/* strcmp() == 0 without calling libc: the first call of an imported
 * function costs ld.so a symbol lookup (lazy binding) in every process. */
static bool same_name(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* Symbol @i is a definition of @name that dlsym() would return: defined,
 * global or weak, a function or an object (an IFUNC counts, and is then
 * refused by the caller), not a hidden (non-default) version. */
static bool usable(const struct dynobj *o, uint32_t i, const char *name)
{
	const ElfW(Sym) *s = &o->symtab[i];
	unsigned type = ELF64_ST_TYPE(s->st_info), bind = ELF64_ST_BIND(s->st_info);

	if (s->st_shndx == SHN_UNDEF)
		return false;
	if (bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE)
		return false;
	if (type != STT_FUNC && type != STT_OBJECT && type != STT_GNU_IFUNC)
		return false;
	if (o->versym && (o->versym[i] & 0x8000) && (o->versym[i] & 0x7fff) >= 2)
		return false;
	return same_name(o->strtab + s->st_name, name);
}

static const ElfW(Sym) *gnu_lookup(const struct dynobj *o, const char *name, uint32_t h)
{
	const uint32_t *g = o->gnu;
	uint32_t nbuckets = g[0], symoffset = g[1], bloom_size = g[2], shift = g[3];
	const ElfW(Addr) *bloom = (const ElfW(Addr) *)(g + 4);
	const uint32_t *buckets = (const uint32_t *)(bloom + bloom_size);
	const uint32_t *chain = buckets + nbuckets;
	ElfW(Addr) word = bloom[(h / BLOOM_BITS) % bloom_size];
	ElfW(Addr) one = 1, mask = (one << (h % BLOOM_BITS)) | (one << ((h >> shift) % BLOOM_BITS));
	uint32_t i;

	if (!nbuckets || (word & mask) != mask)
		return NULL;
	i = buckets[h % nbuckets];
	if (i < symoffset)
		return NULL;
	for (;; i++) {
		uint32_t h2 = chain[i - symoffset];

		if ((h | 1) == (h2 | 1) && usable(o, i, name))
			return &o->symtab[i];
		if (h2 & 1)
			return NULL;
	}
}

static const ElfW(Sym) *sysv_lookup(const struct dynobj *o, const char *name)
{
	uint32_t nbucket = o->sysv[0];
	const uint32_t *bucket = o->sysv + 2, *chain = bucket + nbucket;

	if (!nbucket)
		return NULL;
	for (uint32_t i = bucket[sysv_hash(name) % nbucket]; i != STN_UNDEF; i = chain[i])
		if (usable(o, i, name))
			return &o->symtab[i];
	return NULL;
}

/* True when @info is the object this code is in. */
static bool is_self(const struct dl_phdr_info *info)
{
	uintptr_t here = (uintptr_t)&kashim_symbols_find;

	for (unsigned i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + p->p_vaddr;

		if (p->p_type == PT_LOAD && here >= start && here - start < p->p_memsz)
			return true;
	}
	return false;
}

/* dl_iterate_phdr's callback: search one object for every request not yet
 * settled that may look there. Returns nonzero (stop) once all are. */
static int visit(struct dl_phdr_info *info, size_t size, void *data)
{
	struct walk *w = data;
	struct dynobj o;

	(void)size;
	if (!w->past_self && is_self(info)) {
		w->past_self = true;
		return 0;
	}
	/* Before this library only RTLD_DEFAULT's requests look. */
	if (!w->past_self && !w->any_default)
		return 0;
	if (!dynobj_from(info, &o))
		return 0;
	for (unsigned i = 0; i < w->n; i++) {
		struct kashim_symreq *r = &w->req[i];
		const ElfW(Sym) *s;

		if ((w->settled & (1u << i)) || (r->next && !w->past_self))
			continue;
		s = o.gnu ? gnu_lookup(&o, r->name, w->gnu_hash[i]) : sysv_lookup(&o, r->name);
		if (!s)
			continue;
		/* The first definition wins. An IFUNC's address is what its
		 * resolver returns, which only ld.so knows how to ask: the
		 * request stays unfound, marked, for the caller to give to dlsym(). */
		w->settled |= 1u << i;
		r->ifunc = ELF64_ST_TYPE(s->st_info) == STT_GNU_IFUNC;
		if (!r->ifunc) {
			*r->slot = (void *)(o.base + s->st_value);
			r->found = true;
		}
	}
	return w->settled == w->all;
}

unsigned kashim_symbols_find(struct kashim_symreq *req, unsigned n)
{
	struct walk w = {.req = req, .n = n > KASHIM_SYMREQ_MAX ? KASHIM_SYMREQ_MAX : n};
	unsigned found = 0;

	w.all = w.n == 32 ? ~0u : (1u << w.n) - 1;
	for (unsigned i = 0; i < w.n; i++) {
		req[i].found = req[i].ifunc = false;
		w.gnu_hash[i] = gnu_hash(req[i].name);
		w.any_default |= !req[i].next;
	}
	dl_iterate_phdr(visit, &w);
	for (unsigned i = 0; i < w.n; i++)
		found += req[i].found;
	return found;
}

/* dl_iterate_phdr's callback for kashim_self_path(). */
static int visit_self(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	if (!is_self(info))
		return 0;
	*(const char **)data = info->dlpi_name;
	return 1;
}

const char *kashim_self_path(void)
{
	const char *name = NULL;

	dl_iterate_phdr(visit_self, &name);
	return name && *name ? name : NULL;
}
