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

#include "../config/compiled.h"

static const char *me = "kashim-compile";

/* The parser's messages end in "; file ignored" (what a program did with
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

static const struct kashim_logger stderr_logger = { .write = to_stderr };

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

/* --check: what the shim would make of FILE.cache now. */
static void report_cache(const char *file, const char *cache)
{
	struct kashim_compiled_view v;
	enum kashim_compiled_status st = kashim_compiled_open(cache, false, &v);

	if (st != KASHIM_COMPILED_OK) {
		printf("%s: %s; run %s %s\n", cache, kashim_compiled_status_text(st), me, file);
		return;
	}
	if (kashim_compiled_freshness(&v, file) == KASHIM_COMPILED_FRESH)
		printf("%s: up to date\n", cache);
	else
		printf("%s: changed since compiled: programs use the last compiled form; run %s %s\n",
		       cache, me, file);
	kashim_compiled_close(&v);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = { { "check", no_argument, NULL, 'c' },
						  { "help", no_argument, NULL, 'h' },
						  { NULL, 0, NULL, 0 } };
	const char *file = KASHIM_SYSCONF_PATH;
	char cache[PATH_MAX];
	struct kashim_compile_info info;
	bool check = false;
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
	switch (kashim_compile_file(file, check, &stderr_logger, &info)) {
	case KASHIM_COMPILE_INVALID:
		fprintf(stderr,
			"%s: %s is not valid; nothing compiled (the previous %s, if any, stays in force)\n",
			me, file, cache);
		return 2;
	case KASHIM_COMPILE_CHANGED:
		fprintf(stderr, "%s: %s changed while it was being read; run %s again\n", me, file,
			me);
		return 1;
	case KASHIM_COMPILE_FAILED:
		fprintf(stderr, "%s: %s: cannot %s: %s; the previous form stays in force\n", me,
			cache, info.what, strerror(errno));
		return 1;
	case KASHIM_COMPILE_DONE:
		break;
	}
	printf("%s%s%s: %s (%u program section%s, %u rule%s)\n", check ? "" : me, check ? "" : ": ",
	       file, check ? "valid" : "compiled", info.sections, info.sections == 1 ? "" : "s",
	       info.rules, info.rules == 1 ? "" : "s");
	if (check)
		report_cache(file, cache);
	return 0;
}
