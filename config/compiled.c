/* SPDX-License-Identifier: MIT */
/*
 * compiled.c - the checked reader of FILE.cache (compiled.h).
 *
 * Linked into the shim, which calls it at a host's first TCP socket: no
 * allocation, no lock, no stdio, and no libc function but syscall(2), so
 * that it is safe wherever that socket is made (a signal handler, a thread
 * holding the program's locks) and binds no versioned stat symbol. Every
 * offset, count and value is checked before it is used: a damaged form is
 * refused whole, never half-used.
 */
#define _GNU_SOURCE
#include "compiled.h"
#include "glob.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL
#define CHECKSUM_OFF offsetof(struct kashim_compiled_header, checksum)

static const unsigned char magic[8] = "KASHIMC";

_Static_assert(sizeof(struct kashim_compiled_header) % 8 == 0, "header keeps 8-byte alignment");
_Static_assert(sizeof(struct kashim_compiled_profile) % 8 == 0, "profiles keep 8-byte alignment");
_Static_assert(CHECKSUM_OFF % 8 == 0, "checksum is a whole word");

const char *kashim_compiled_status_text(enum kashim_compiled_status st)
{
	switch (st) {
	case KASHIM_COMPILED_OK:
		return "valid";
	case KASHIM_COMPILED_MISSING:
		return "missing (never compiled)";
	case KASHIM_COMPILED_UNREADABLE:
		return "cannot be read";
	case KASHIM_COMPILED_UNSAFE:
		return "not owned by root or writable by others";
	case KASHIM_COMPILED_FOREIGN:
		return "written by another kashim version";
	case KASHIM_COMPILED_DAMAGED:
		return "damaged";
	}
	return "?";
}

const char *kashim_compiled_freshness_text(enum kashim_compiled_freshness f)
{
	switch (f) {
	case KASHIM_COMPILED_FRESH:
		return "up to date";
	case KASHIM_COMPILED_STALE:
		return "changed since compiled";
	case KASHIM_COMPILED_SOURCE_MISSING:
		return "removed since compiled";
	}
	return "?";
}

bool kashim_compiled_path(const char *text, char *buf, size_t len)
{
	const char *suffix = KASHIM_COMPILED_SUFFIX;
	size_t i = 0;

	for (; *text; text++)
		if (i + 1 >= len)
			return false;
		else
			buf[i++] = *text;
	for (; *suffix; suffix++)
		if (i + 1 >= len)
			return false;
		else
			buf[i++] = *suffix;
	buf[i] = '\0';
	return i > sizeof KASHIM_COMPILED_SUFFIX - 1;
}

uint64_t kashim_compiled_checksum(const unsigned char *buf, size_t len)
{
	uint64_t h = FNV_OFFSET;

	for (size_t off = 0; off + 8 <= len; off += 8) {
		uint64_t w = off == CHECKSUM_OFF ? 0 : *(const uint64_t *)(buf + off);

		h = (h ^ w) * FNV_PRIME;
	}
	return h;
}

/* True when @s[0..@len) holds a NUL: a C string inside its array. */
static bool terminated(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!s[i])
			return true;
	return false;
}

static bool is_bool(const bool *b)
{
	return *(const unsigned char *)b <= 1;
}

/* Every value a reader of @s uses is in the range the parser allows. */
static bool settings_valid(const struct kashim_settings *s)
{
	if (!is_bool(&s->keepalive) || !is_bool(&s->override) || !is_bool(&s->user_timeout_auto))
		return false;
	if (s->idle < 1 || s->idle > KASHIM_IDLE_MAX || s->interval < 1 ||
	    s->interval > KASHIM_INTERVAL_MAX || s->count < 1 || s->count > KASHIM_COUNT_MAX ||
	    s->user_timeout < 0 || s->user_timeout > KASHIM_USER_TIMEOUT_MAX)
		return false;
	for (int f = 0; f < KASHIM_NFIELDS; f++)
		if (s->source[f] > KASHIM_SRC_ENV)
			return false;
	return terminated(s->section, sizeof s->section) && terminated(s->file, sizeof s->file) &&
	       terminated(s->rule, sizeof s->rule);
}

static bool spec_valid(const struct kashim_spec *sp)
{
	if (sp->nports > KASHIM_SPEC_MAX_PORTS)
		return false;
	if (sp->family == 0)
		return sp->prefix == 0;
	if (sp->family == AF_INET)
		return sp->prefix <= 32;
	return sp->family == AF_INET6 && sp->prefix <= 128;
}

/* [@off, @off + @n) lies inside a form of @size bytes, @off aligned. */
static bool span_ok(uint64_t off, uint64_t n, uint64_t size, uint64_t min_off)
{
	return off >= min_off && off % 8 == 0 && off <= size && n <= size - off;
}

static bool ruleset_valid(const unsigned char *buf, uint64_t size, uint64_t off, uint64_t min_off)
{
	const struct kashim_ruleset *set;

	/* The pointer only once the offset is known to be inside. */
	if (!span_ok(off, sizeof *set, size, min_off))
		return false;
	set = (const struct kashim_ruleset *)(buf + off);
	if (set->n == 0 || set->n > KASHIM_RULES_MAX ||
	    !span_ok(off, sizeof *set + (uint64_t)set->n * sizeof set->rule[0], size, min_off))
		return false;
	for (unsigned i = 0; i < set->n; i++) {
		const struct kashim_rule *r = &set->rule[i];

		if (r->kind > KASHIM_RULE_LISTEN || !spec_valid(&r->spec) ||
		    !settings_valid(&r->settings))
			return false;
	}
	return true;
}

/* Profile @i: its title and rules inside the form, its values valid. */
static bool profile_valid(const unsigned char *buf, uint64_t size, uint64_t i, uint64_t min_off)
{
	const struct kashim_compiled_header *h = (const struct kashim_compiled_header *)buf;
	const struct kashim_compiled_profile *p =
		(const struct kashim_compiled_profile *)(buf + h->profiles_off) + i;

	if (!settings_valid(&p->settings))
		return false;
	if (p->rules_off && !ruleset_valid(buf, size, p->rules_off, min_off))
		return false;
	if (i == 0)
		return p->title_off == 0;
	return p->title_off >= min_off && p->title_off < size &&
	       terminated((const char *)buf + p->title_off, size - p->title_off);
}

static bool has_magic(const unsigned char *buf, size_t len)
{
	if (len < sizeof magic)
		return false;
	for (size_t i = 0; i < sizeof magic; i++)
		if (buf[i] != magic[i])
			return false;
	return true;
}

enum kashim_compiled_status kashim_compiled_check(const unsigned char *buf, size_t len)
{
	const struct kashim_compiled_header *h = (const struct kashim_compiled_header *)buf;
	uint64_t min_off;

	/* Not ours at all is foreign; ours but cut short is damaged. */
	if (!has_magic(buf, len))
		return KASHIM_COMPILED_FOREIGN;
	if (len < sizeof *h || len % 8)
		return KASHIM_COMPILED_DAMAGED;
	if (h->version != KASHIM_COMPILED_VERSION || h->byte_order != 0x01020304 ||
	    h->word_size != sizeof(long) || h->nfields != KASHIM_NFIELDS ||
	    h->settings_size != sizeof(struct kashim_settings) ||
	    h->rule_size != sizeof(struct kashim_rule))
		return KASHIM_COMPILED_FOREIGN;
	if (h->total_size != len || h->checksum != kashim_compiled_checksum(buf, len))
		return KASHIM_COMPILED_DAMAGED;
	if (h->nprofiles < 1 || h->nprofiles > KASHIM_COMPILED_MAX_PROFILES ||
	    !span_ok(h->profiles_off,
		     h->nprofiles * (uint64_t)sizeof(struct kashim_compiled_profile), len,
		     sizeof *h))
		return KASHIM_COMPILED_DAMAGED;
	min_off = h->profiles_off + h->nprofiles * (uint64_t)sizeof(struct kashim_compiled_profile);
	for (uint64_t i = 0; i < h->nprofiles; i++)
		if (!profile_valid(buf, len, i, min_off))
			return KASHIM_COMPILED_DAMAGED;
	return KASHIM_COMPILED_OK;
}

/* ---- reading a file, with system calls only ------------------------------ */

static long sys_fstatat(const char *path, struct stat *st)
{
	return syscall(SYS_newfstatat, AT_FDCWD, path, st, 0);
}

/* Read @size bytes of @fd into @buf; false on an error or a file that
 * shrank. (One that grew since fstat is read as far as @size: the check
 * of the whole form then decides.) */
static bool read_all(int fd, unsigned char *buf, size_t size)
{
	size_t got = 0;

	while (got < size) {
		long n = syscall(SYS_read, fd, buf + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return false;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return got == size;
}

/* The file's bytes in a private anonymous mapping (@v). */
static enum kashim_compiled_status load(int fd, bool require_root, struct kashim_compiled_view *v)
{
	struct stat st;
	long page = 4096;
	void *map;

	if (syscall(SYS_fstat, fd, &st) != 0 || !S_ISREG(st.st_mode))
		return KASHIM_COMPILED_UNREADABLE;
	if (require_root && (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))))
		return KASHIM_COMPILED_UNSAFE;
	if (st.st_size == 0)
		return KASHIM_COMPILED_DAMAGED;
	if (st.st_size > KASHIM_COMPILED_MAX_BYTES)
		return KASHIM_COMPILED_FOREIGN;
	v->mapped = ((size_t)st.st_size + (size_t)page - 1) & ~((size_t)page - 1);
	map = (void *)syscall(SYS_mmap, NULL, v->mapped, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return KASHIM_COMPILED_UNREADABLE;
	v->base = map;
	v->size = (size_t)st.st_size;
	if (!read_all(fd, v->base, v->size))
		return KASHIM_COMPILED_UNREADABLE;
	return kashim_compiled_check(v->base, v->size);
}

enum kashim_compiled_status kashim_compiled_open(const char *path, bool require_root,
						 struct kashim_compiled_view *v)
{
	enum kashim_compiled_status st;
	/* O_NONBLOCK: a FIFO in its place must not block the host. */
	long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	v->base = NULL;
	v->size = v->mapped = 0;
	if (fd < 0)
		return errno == ENOENT ? KASHIM_COMPILED_MISSING : KASHIM_COMPILED_UNREADABLE;
	st = load((int)fd, require_root, v);
	syscall(SYS_close, fd);
	if (st != KASHIM_COMPILED_OK)
		kashim_compiled_close(v);
	return st;
}

void kashim_compiled_close(struct kashim_compiled_view *v)
{
	if (v->base)
		syscall(SYS_munmap, v->base, v->mapped);
	v->base = NULL;
	v->size = v->mapped = 0;
}

enum kashim_compiled_freshness kashim_compiled_freshness(const struct kashim_compiled_view *v,
							 const char *text)
{
	const struct kashim_compiled_header *h = (const struct kashim_compiled_header *)v->base;
	struct stat st;

	if (sys_fstatat(text, &st) != 0)
		return errno == ENOENT || errno == ENOTDIR ? KASHIM_COMPILED_SOURCE_MISSING
							   : KASHIM_COMPILED_STALE;
	if ((uint64_t)st.st_dev != h->src_dev || (uint64_t)st.st_ino != h->src_ino ||
	    (uint64_t)st.st_size != h->src_size || (int64_t)st.st_mtim.tv_sec != h->src_mtime_sec ||
	    (int64_t)st.st_mtim.tv_nsec != h->src_mtime_nsec)
		return KASHIM_COMPILED_STALE;
	return KASHIM_COMPILED_FRESH;
}

/* ---- using a checked form ------------------------------------------------ */

static const struct kashim_compiled_profile *profiles(const struct kashim_compiled_view *v)
{
	const struct kashim_compiled_header *h = (const struct kashim_compiled_header *)v->base;

	return (const struct kashim_compiled_profile *)(v->base + h->profiles_off);
}

const struct kashim_compiled_profile *kashim_compiled_select(const struct kashim_compiled_view *v,
							     const char *exe_name,
							     const char *argv0_name)
{
	const struct kashim_compiled_header *h = (const struct kashim_compiled_header *)v->base;
	const struct kashim_compiled_profile *p = profiles(v);

	for (uint32_t i = 1; i < h->nprofiles; i++) {
		const char *glob = (const char *)v->base + p[i].title_off;

		if ((exe_name && kashim_glob_match(glob, exe_name)) ||
		    (argv0_name && kashim_glob_match(glob, argv0_name)))
			return &p[i];
	}
	return &p[0];
}

const char *kashim_compiled_title(const struct kashim_compiled_view *v,
				  const struct kashim_compiled_profile *p)
{
	return p->title_off ? (const char *)v->base + p->title_off : NULL;
}

struct kashim_ruleset *kashim_compiled_rules(const struct kashim_compiled_view *v,
					     const struct kashim_compiled_profile *p)
{
	return p->rules_off ? (struct kashim_ruleset *)(v->base + p->rules_off) : NULL;
}
