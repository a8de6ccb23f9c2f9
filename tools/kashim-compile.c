/* SPDX-License-Identifier: MIT */
/*
 * kashim-compile - check keepalive.conf and compile it into FILE.cache, the
 * form the shim reads (config/compiled.h), as ldconfig does for ld.so.
 *
 *   kashim-compile [--check] [FILE]
 *
 * FILE defaults to the system's keepalive.conf. A file with any problem is
 * refused with each problem's file:line on stderr and exit 2, and the
 * FILE.cache already there stays as it is: programs keep the last good
 * form. The new form replaces the old one atomically (temporary file,
 * fsync, rename), mode 0644.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../config/compiled.h"
#include "../config/conffile.h"

static const char *me = "kashim-compile";

/* The parser's messages end in "; file ignored" (what a program does with
 * a bad file); here the summary line says what happens instead. */
static void to_stderr(void *ctx, enum kashim_level level, const char *msg)
{
	static const char tail[] = "; file ignored";
	size_t n = strlen(msg);

	(void)ctx;
	(void)level;
	if (n >= sizeof tail - 1 && !strcmp(msg + n - (sizeof tail - 1), tail))
		n -= sizeof tail - 1;
	fprintf(stderr, "%.*s\n", (int)n, msg);
}

static const struct kashim_logger stderr_logger = {.write = to_stderr};

static void usage(FILE *out, int status)
{
	fprintf(out,
		"usage: %s [--check] [FILE]\n"
		"\n"
		"Check FILE (default %s) and compile it into FILE%s,\n"
		"which libkashim.so reads at a program's first TCP socket.\n"
		"\n"
		"      --check   only check FILE and say whether FILE%s is up to date\n"
		"  -h, --help    show this help\n"
		"\n"
		"Exit status: 0 compiled (--check: valid), 1 the form could not be written,\n"
		"2 usage error or FILE invalid (each problem as file:line on stderr; the\n"
		"previous FILE%s stays in force). See kashim-compile(8).\n",
		me, KASHIM_SYSCONF_PATH, KASHIM_COMPILED_SUFFIX, KASHIM_COMPILED_SUFFIX,
		KASHIM_COMPILED_SUFFIX);
	exit(status);
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Rules written in the file: each section's own, and the top level's
 * once (every profile's table ends with them). */
static unsigned count_rules(const struct kashim_conf_profiles *p)
{
	unsigned top = p->profile[0].rules ? p->profile[0].rules->n : 0, n = top;

	for (unsigned i = 1; i < p->n; i++)
		n += (p->profile[i].rules ? p->profile[i].rules->n : 0) - top;
	return n;
}

/* --check: what the shim would make of FILE.cache now. */
static int report_cache(const char *file, const char *cache)
{
	struct kashim_compiled_view v;
	enum kashim_compiled_status st = kashim_compiled_open(cache, false, &v);

	if (st != KASHIM_COMPILED_OK) {
		printf("%s: %s; run %s %s\n", cache, kashim_compiled_status_text(st), me, file);
		return 0;
	}
	printf("%s: %s\n", cache, kashim_compiled_freshness(&v, file) == KASHIM_COMPILED_FRESH ?
					  "up to date" :
					  "changed since compiled: programs use the last compiled form; run kashim-compile");
	kashim_compiled_close(&v);
	return 0;
}

/* Parse @file into @p, the text's identity in @st; exit 2 when invalid. */
static void parse(const char *file, struct kashim_conf_profiles *p, struct stat *st)
{
	struct kashim_settings base;
	struct stat after;

	if (stat(file, st) != 0) {
		fprintf(stderr, "%s: %s: %s\n", me, file, strerror(errno));
		exit(2);
	}
	if (!S_ISREG(st->st_mode)) {
		fprintf(stderr, "%s: %s: not a regular file\n", me, file);
		exit(2);
	}
	kashim_settings_defaults(&base);
	if (kashim_conffile_load_profiles(file, &base, p, &stderr_logger) != KASHIM_CONF_APPLIED) {
		fprintf(stderr, "%s: %s is not valid; nothing compiled (the previous %s%s, if any, stays in force)\n",
			me, file, file, KASHIM_COMPILED_SUFFIX);
		exit(2);
	}
	if (stat(file, &after) != 0 || !same_file(st, &after)) {
		fprintf(stderr, "%s: %s changed while it was being read; run %s again\n", me, file, me);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"check", no_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	const char *file = KASHIM_SYSCONF_PATH, *what;
	char cache[PATH_MAX];
	struct kashim_conf_profiles p;
	bool check = false;
	unsigned char *form;
	struct stat st;
	size_t len;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'c')
			check = true;
		else if (c == 'h')
			usage(stdout, 0);
		else
			usage(stderr, 2);
	}
	if (argc - optind > 1)
		usage(stderr, 2);
	if (optind < argc)
		file = argv[optind];
	if (!*file || !kashim_compiled_path(file, cache, sizeof cache)) {
		fprintf(stderr, "%s: FILE: %s\n", me, *file ? "path too long" : "empty name");
		exit(2);
	}
	parse(file, &p, &st);
	if (check) {
		printf("%s: valid (%u program section%s, %u rule%s)\n", file, p.n - 1, p.n == 2 ? "" : "s",
		       count_rules(&p), count_rules(&p) == 1 ? "" : "s");
		kashim_conf_profiles_free(&p);
		return report_cache(file, cache);
	}
	form = kashim_compiled_build(&p, st.st_dev, st.st_ino, (uint64_t)st.st_size, st.st_mtim.tv_sec,
				     st.st_mtim.tv_nsec, &len);
	if (!form) {
		fprintf(stderr, "%s: %s: too large to compile (or out of memory)\n", me, file);
		exit(1);
	}
	if (!kashim_compiled_write_file(cache, form, len, &what)) {
		fprintf(stderr, "%s: %s: cannot %s: %s; the previous form stays in force\n", me, cache, what,
			strerror(errno));
		exit(1);
	}
	printf("%s: %s -> %s (%u program section%s, %u rule%s)\n", me, file, cache, p.n - 1, p.n == 2 ? "" : "s",
	       count_rules(&p), count_rules(&p) == 1 ? "" : "s");
	free(form);
	kashim_conf_profiles_free(&p);
	return 0;
}
