/* SPDX-License-Identifier: MIT */
/*
 * glibc-compat.c - the few C library functions the config reader (and the
 * libconfuse linked into the portable one) would otherwise bind at a glibc
 * symbol version newer than GLIBC_2.17, defined here with hidden
 * visibility: every call inside the reader binds to them at link time, so
 * the reader built on a new glibc loads on every glibc from 2.17 on.
 *
 *   fstat, stat    GLIBC_2.33 (before, inline wrappers of __fxstat/__xstat):
 *                  the newfstatat system call, whose struct stat is glibc's
 *                  on x86_64 and aarch64 (checked below)
 *   fmemopen       GLIBC_2.22 (the older one has other semantics): a
 *                  read-only stream over fopencookie (GLIBC_2.2.5)
 *   reallocarray   GLIBC_2.26: realloc with the overflow check
 *
 * Nothing here for musl (no symbol versions) or other architectures (their
 * kernel struct stat differs from glibc's): tests/package/glibc.t checks
 * the result with objdump.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__GLIBC__) && ((defined(__x86_64__) && !defined(__ILP32__)) || defined(__aarch64__))

#ifdef __x86_64__
_Static_assert(sizeof(struct stat) == 144, "glibc's struct stat is the kernel's on x86_64");
#else
_Static_assert(sizeof(struct stat) == 128, "glibc's struct stat is the kernel's on aarch64");
#endif

int fstat(int fd, struct stat *st)
{
	return (int)syscall(SYS_newfstatat, fd, "", st, AT_EMPTY_PATH);
}

int stat(const char *restrict path, struct stat *restrict st)
{
	return (int)syscall(SYS_newfstatat, AT_FDCWD, path, st, 0);
}

void *reallocarray(void *ptr, size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(ptr, nmemb * size);
}

struct kashim_memstream {
	const char *buf;
	size_t len, pos;
};

static ssize_t memstream_read(void *cookie, char *out, size_t n)
{
	struct kashim_memstream *m = cookie;

	if (n > m->len - m->pos)
		n = m->len - m->pos;
	memcpy(out, m->buf + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

static int memstream_close(void *cookie)
{
	free(cookie);
	return 0;
}

/* Read-only ("r", "rb"): the only use libconfuse makes of it
 * (cfg_parse_buf); any other mode fails with EINVAL. */
FILE *fmemopen(void *buf, size_t len, const char *mode)
{
	struct kashim_memstream *m;
	FILE *f;

	if (!buf || (strcmp(mode, "r") != 0 && strcmp(mode, "rb") != 0)) {
		errno = EINVAL;
		return NULL;
	}
	m = malloc(sizeof *m);
	if (!m)
		return NULL;
	*m = (struct kashim_memstream){.buf = buf, .len = len};
	f = fopencookie(m, "r", (cookie_io_functions_t){.read = memstream_read, .close = memstream_close});
	if (!f)
		free(m);
	return f;
}
#endif
