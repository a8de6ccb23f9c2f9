/* SPDX-License-Identifier: MIT */
/*
 * compiled.h - keepalive.conf compiled (FILE.cache), as ld.so.cache is to
 * ld.so.conf: the tools parse and check the text once (kashim-compile) and
 * write what every program can get; the shim only reads it back, with
 * system calls, at its first TCP socket.
 *
 * The form is this build's structs, laid out one after the other (no
 * pointers: offsets from the start), so a reader can use them in place:
 *
 *   header                      struct kashim_compiled_header
 *   profiles[nprofiles]         struct kashim_compiled_profile: 0 is the
 *                               top level alone, then each program section
 *                               in file order (first match wins)
 *   rule sets                   struct kashim_ruleset (config/rules.h) of
 *                               each profile that has rules
 *   titles                      the sections' globs, NUL-terminated
 *
 * Everything is 8-byte aligned. A form written by another kashim (format
 * version, struct sizes, byte order, word size) is "foreign"; one whose
 * size, offsets, counts, values or checksum are wrong is "damaged"; both
 * are refused whole. Freshness is a separate question: the text file's
 * st_dev, st_ino, st_size and st_mtim are recorded when it is compiled.
 *
 * The reader (kashim_compiled_open() and what follows it) allocates
 * nothing, takes no lock and calls no library function but syscall(2):
 * it runs inside a host's first TCP socket (compiled.c, linked into the
 * shim). The writer is for the tools and may allocate (compiled_write.c,
 * which the shim does not link: no malloc or rename import in the host).
 */
#ifndef KASHIM_COMPILED_H
#define KASHIM_COMPILED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kashim_settings.h"
#include "rules.h"

/* FILE.cache beside FILE. */
#define KASHIM_COMPILED_SUFFIX ".cache"
/* Bumped whenever the layout below changes meaning. */
#define KASHIM_COMPILED_VERSION 1
/* Forms larger than this are refused (1024 rules per profile). */
#define KASHIM_COMPILED_MAX_BYTES (64u << 20)
#define KASHIM_COMPILED_MAX_PROFILES 4096u

struct kashim_compiled_header {
	unsigned char magic[8];   /* "KASHIMC" and a NUL */
	uint32_t version;         /* KASHIM_COMPILED_VERSION */
	uint32_t byte_order;      /* 0x01020304 in the writer's byte order */
	uint16_t word_size;       /* sizeof(long) */
	uint16_t nfields;         /* KASHIM_NFIELDS */
	uint32_t settings_size;   /* sizeof(struct kashim_settings) */
	uint32_t rule_size;       /* sizeof(struct kashim_rule) */
	uint32_t nprofiles;       /* 1 (the top level) + program sections */
	uint64_t total_size;      /* of the whole form, a multiple of 8 */
	uint64_t src_dev, src_ino, src_size; /* the text file, when compiled */
	int64_t src_mtime_sec, src_mtime_nsec;
	uint64_t profiles_off;
	uint64_t checksum;        /* of every other byte: kashim_compiled_checksum() */
};

struct kashim_compiled_profile {
	uint64_t title_off;       /* the section's glob; 0 for profile 0 */
	uint64_t rules_off;       /* a struct kashim_ruleset; 0 when no rule applies */
	struct kashim_settings settings; /* the top level, then the section */
};

/* Why a form cannot be used; OK when it can. */
enum kashim_compiled_status {
	KASHIM_COMPILED_OK,
	KASHIM_COMPILED_MISSING,    /* no FILE.cache (never compiled) */
	KASHIM_COMPILED_UNREADABLE, /* cannot be opened or read, or not a regular file */
	KASHIM_COMPILED_UNSAFE,     /* required root's: not owned by root, or writable by others */
	KASHIM_COMPILED_FOREIGN,    /* written by another kashim version or machine type */
	KASHIM_COMPILED_DAMAGED,    /* truncated; or a size, offset, count, value, checksum wrong */
};

/* Whether the text file is still the one compiled. */
enum kashim_compiled_freshness {
	KASHIM_COMPILED_FRESH,
	KASHIM_COMPILED_STALE,          /* changed (inode, size or mtime) since compiled */
	KASHIM_COMPILED_SOURCE_MISSING, /* the text file does not exist (any more) */
};

/* A checked form in memory that belongs to the reader (an anonymous
 * mapping: a file replaced or truncated later cannot change or unmap it). */
struct kashim_compiled_view {
	unsigned char *base;
	size_t size;    /* bytes used */
	size_t mapped;  /* bytes mapped */
};

/* One line for each status and freshness, for messages ("damaged: ..."). */
const char *kashim_compiled_status_text(enum kashim_compiled_status st);
const char *kashim_compiled_freshness_text(enum kashim_compiled_freshness f);

/* @text with KASHIM_COMPILED_SUFFIX into @buf; false when it does not fit. */
bool kashim_compiled_path(const char *text, char *buf, size_t len);

/* FNV-1a over 64-bit words of @buf (@len a multiple of 8), the checksum
 * field itself read as 0. */
uint64_t kashim_compiled_checksum(const unsigned char *buf, size_t len);

/* Check @len bytes at @buf as a whole form: OK, FOREIGN or DAMAGED. @buf
 * must be 8-byte aligned. Reads nothing outside [buf, buf + len). */
enum kashim_compiled_status kashim_compiled_check(const unsigned char *buf, size_t len);

/*
 * Read @path into memory of its own and check it. @require_root: refuse
 * (UNSAFE) a file not owned by root or writable by group or others. On OK
 * @v holds it until kashim_compiled_close(); on any other status @v is
 * empty. System calls only: openat, fstat, mmap, read, close (and munmap on
 * failure). errno may change: the caller keeps the host's.
 */
enum kashim_compiled_status kashim_compiled_open(const char *path, bool require_root,
						 struct kashim_compiled_view *v);
void kashim_compiled_close(struct kashim_compiled_view *v);

/* Whether @text (the file @v was compiled from) is unchanged. One system
 * call (fstatat). */
enum kashim_compiled_freshness kashim_compiled_freshness(const struct kashim_compiled_view *v,
							 const char *text);

/* The profile a program gets: the first section whose glob matches
 * @exe_name or @argv0_name (either may be NULL or ""), else profile 0. */
const struct kashim_compiled_profile *
kashim_compiled_select(const struct kashim_compiled_view *v, const char *exe_name, const char *argv0_name);

/* The glob of profile @p, or NULL for profile 0. */
const char *kashim_compiled_title(const struct kashim_compiled_view *v,
				  const struct kashim_compiled_profile *p);

/* The rules of profile @p (in @v's own memory, writable), or NULL. */
struct kashim_ruleset *kashim_compiled_rules(const struct kashim_compiled_view *v,
					     const struct kashim_compiled_profile *p);

struct kashim_conf_profiles; /* conffile.h */

/*
 * Writer, for the tools: the form of @profiles, compiled from a text file
 * whose stat fields are given, in a malloc()ed buffer (*@len bytes). NULL
 * when out of memory or too large.
 */
unsigned char *kashim_compiled_build(const struct kashim_conf_profiles *profiles, uint64_t dev,
				     uint64_t ino, uint64_t size, int64_t mtime_sec, int64_t mtime_nsec,
				     size_t *len);

/*
 * Write @len bytes at @buf to @path atomically: a temporary file beside
 * it, fsync, mode 0644, rename, fsync of the directory. A reader sees the
 * old form or the new one, never a part. False with errno and the step
 * that failed in *@what.
 */
bool kashim_compiled_write_file(const char *path, const unsigned char *buf, size_t len,
				const char **what);

/* What kashim_compile_file() did. */
enum kashim_compile_result {
	KASHIM_COMPILE_DONE,     /* FILE.cache written (or, checking only, FILE valid) */
	KASHIM_COMPILE_INVALID,  /* FILE has problems (logged, each with its line), or is missing */
	KASHIM_COMPILE_CHANGED,  /* FILE changed while it was read: compile again */
	KASHIM_COMPILE_FAILED,   /* FILE.cache could not be written: errno, *what */
};

struct kashim_compile_info {
	unsigned sections, rules; /* program sections, rules written in the file */
	const char *what;         /* for FAILED: the step that failed */
};

/*
 * Parse and check @text (every problem to @log, with file and line) and,
 * unless @check_only, write its form to FILE.cache atomically. Nothing is
 * written unless the whole file is valid: the previous form stays.
 */
enum kashim_compile_result kashim_compile_file(const char *text, bool check_only,
					       const struct kashim_logger *log,
					       struct kashim_compile_info *info);

#endif
