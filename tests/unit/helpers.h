/* SPDX-License-Identifier: MIT */
/* helpers.h - shared by the Check unit tests. */
#ifndef KASHIM_TEST_HELPERS_H
#define KASHIM_TEST_HELPERS_H

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "../../config/kashim_settings.h"

/* A logger that keeps every message, for asserting what was said. */
struct captured_log {
	int count;
	char text[4096];
};

static inline void capture_write(void *ctx, enum kashim_level level, const char *msg)
{
	struct captured_log *c = ctx;
	size_t used = strlen(c->text);

	(void)level;
	c->count++;
	snprintf(c->text + used, sizeof c->text - used, "%s\n", msg);
}

#define CAPTURE_LOGGER(cap) ((struct kashim_logger){.write = capture_write, .ctx = (cap)})

/* Write @text to a fresh temporary file and return its path (static buffer). */
static inline const char *write_temp(const char *text, size_t len)
{
	static char path[64];
	FILE *f;

	snprintf(path, sizeof path, "/tmp/kashim-test-XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	fclose(f);
	return path;
}

#define WRITE_CONF(text) write_temp((text), strlen(text))

#endif
