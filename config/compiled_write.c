/* SPDX-License-Identifier: MIT */
/*
 * compiled_write.c - the writer of FILE.cache (compiled.h), for the tools
 * (kashim-compile, ka-run -c). Not linked into the shim.
 */
#define _GNU_SOURCE
#include "compiled.h"
#include "conffile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t align8(uint64_t n)
{
	return (n + 7) & ~(uint64_t)7;
}

static size_t ruleset_bytes(const struct kashim_ruleset *set)
{
	return set ? sizeof *set + set->n * sizeof set->rule[0] : 0;
}

/* Bytes of the whole form; 0 when it would be too large. */
static uint64_t form_size(const struct kashim_conf_profiles *p)
{
	uint64_t size = sizeof(struct kashim_compiled_header) +
			p->n * sizeof(struct kashim_compiled_profile);

	for (unsigned i = 0; i < p->n; i++) {
		size += align8(ruleset_bytes(p->profile[i].rules));
		if (p->profile[i].title)
			size += align8(strlen(p->profile[i].title) + 1);
	}
	return size > KASHIM_COMPILED_MAX_BYTES || p->n > KASHIM_COMPILED_MAX_PROFILES ? 0 : size;
}

/* Copy profile @i (its rules and title placed at *@off) into @buf. */
static void put_profile(unsigned char *buf, const struct kashim_conf_profile *in, unsigned i,
			uint64_t *off)
{
	const struct kashim_compiled_header *h = (const struct kashim_compiled_header *)buf;
	struct kashim_compiled_profile *out =
		(struct kashim_compiled_profile *)(buf + h->profiles_off) + i;
	size_t n = ruleset_bytes(in->rules);

	out->settings = in->settings;
	if (n) {
		memcpy(buf + *off, in->rules, n);
		out->rules_off = *off;
		*off += align8(n);
	}
	if (in->title) {
		size_t len = strlen(in->title) + 1;

		memcpy(buf + *off, in->title, len);
		out->title_off = *off;
		*off += align8(len);
	}
}

unsigned char *kashim_compiled_build(const struct kashim_conf_profiles *profiles, uint64_t dev,
				     uint64_t ino, uint64_t size, int64_t mtime_sec,
				     int64_t mtime_nsec, size_t *len)
{
	uint64_t total = form_size(profiles), off;
	struct kashim_compiled_header *h;
	unsigned char *buf;

	if (!total || !profiles->n || !(buf = calloc(1, total)))
		return NULL;
	h = (struct kashim_compiled_header *)buf;
	memcpy(h->magic, "KASHIMC", 8);
	h->version = KASHIM_COMPILED_VERSION;
	h->byte_order = 0x01020304;
	h->word_size = sizeof(long);
	h->nfields = KASHIM_NFIELDS;
	h->settings_size = sizeof(struct kashim_settings);
	h->rule_size = sizeof(struct kashim_rule);
	h->nprofiles = profiles->n;
	h->total_size = total;
	h->src_dev = dev, h->src_ino = ino, h->src_size = size;
	h->src_mtime_sec = mtime_sec, h->src_mtime_nsec = mtime_nsec;
	h->profiles_off = sizeof *h;
	off = h->profiles_off + profiles->n * sizeof(struct kashim_compiled_profile);
	for (unsigned i = 0; i < profiles->n; i++)
		put_profile(buf, &profiles->profile[i], i, &off);
	h->checksum = kashim_compiled_checksum(buf, total);
	*len = total;
	return buf;
}

/* Write all of @buf to @fd. */
static bool write_all(int fd, const unsigned char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* fsync the directory holding @path, so that the rename survives a crash. */
static bool sync_dir(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int fd;
	bool ok;

	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else
		snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ok = fsync(fd) == 0;
	close(fd);
	return ok;
}

bool kashim_compiled_write_file(const char *path, const unsigned char *buf, size_t len,
				const char **what)
{
	char tmp[4096 + 16];
	int fd, saved;

	if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp) {
		*what = "path too long";
		errno = ENAMETOOLONG;
		return false;
	}
	*what = "create a temporary file";
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return false;
	*what = "write";
	if (!write_all(fd, buf, len))
		goto fail;
	*what = "chmod";
	if (fchmod(fd, 0644) != 0)
		goto fail;
	*what = "fsync";
	if (fsync(fd) != 0)
		goto fail;
	*what = "close";
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	*what = "rename";
	if (rename(tmp, path) != 0)
		goto fail;
	*what = "fsync the directory";
	return sync_dir(path);
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = saved;
	return false;
}

/* Rules written in the file: each section's own, and the top level's once
 * (every profile's table ends with them). */
static unsigned count_rules(const struct kashim_conf_profiles *p)
{
	unsigned top = p->profile[0].rules ? p->profile[0].rules->n : 0, n = top;

	for (unsigned i = 1; i < p->n; i++)
		n += (p->profile[i].rules ? p->profile[i].rules->n : 0) - top;
	return n;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Build the form of @p and write it beside @text. */
static enum kashim_compile_result write_form(const char *text, const struct kashim_conf_profiles *p,
					     const struct stat *st,
					     struct kashim_compile_info *info)
{
	char cache[4096];
	unsigned char *form;
	size_t len;
	bool ok;

	info->what = "name FILE.cache (path too long)";
	errno = ENAMETOOLONG;
	if (!kashim_compiled_path(text, cache, sizeof cache))
		return KASHIM_COMPILE_FAILED;
	info->what = "build the form (too large, or out of memory)";
	errno = ENOMEM;
	form = kashim_compiled_build(p, st->st_dev, st->st_ino, (uint64_t)st->st_size,
				     st->st_mtim.tv_sec, st->st_mtim.tv_nsec, &len);
	if (!form)
		return KASHIM_COMPILE_FAILED;
	ok = kashim_compiled_write_file(cache, form, len, &info->what);
	free(form);
	return ok ? KASHIM_COMPILE_DONE : KASHIM_COMPILE_FAILED;
}

enum kashim_compile_result kashim_compile_file(const char *text, bool check_only,
					       const struct kashim_logger *log,
					       struct kashim_compile_info *info)
{
	struct kashim_conf_profiles p;
	struct kashim_settings base;
	struct stat before, after;
	enum kashim_compile_result r;

	info->sections = info->rules = 0;
	info->what = NULL;
	if (stat(text, &before) != 0) {
		kashim_logf(log, KASHIM_LOG_WARN, "%s: %s", text, strerror(errno));
		return KASHIM_COMPILE_INVALID;
	}
	kashim_settings_defaults(&base);
	if (kashim_conffile_load_profiles(text, &base, &p, log) != KASHIM_CONF_APPLIED) {
		if (!S_ISREG(before.st_mode))
			kashim_logf(log, KASHIM_LOG_WARN, "%s: not a regular file", text);
		return KASHIM_COMPILE_INVALID;
	}
	info->sections = p.n - 1;
	info->rules = count_rules(&p);
	if (stat(text, &after) != 0 || !same_file(&before, &after))
		r = KASHIM_COMPILE_CHANGED;
	else
		r = check_only ? KASHIM_COMPILE_DONE : write_form(text, &p, &before, info);
	kashim_conf_profiles_free(&p);
	return r;
}
