/* SPDX-License-Identifier: MIT */
/*
 * compiled_status.c - what ka-run says about FILE.cache: whether programs
 * get the file it checks (--check), and the compiling ka-run -c FILE does
 * before it runs a command.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <unistd.h>

#include "../config/compiled.h"
#include "ka-run.h"

void karun_print_compiled(const char *config, bool user)
{
	char cache[PATH_MAX];
	struct kashim_compiled_view v;
	enum kashim_compiled_status st;
	enum kashim_compiled_freshness fresh = KASHIM_COMPILED_STALE;
	const char *fix = user ? "run kashim-compile" : "run kashim-preload reload";

	if (access(config, F_OK) != 0 || !kashim_compiled_path(config, cache, sizeof cache))
		return;
	st = kashim_compiled_open(cache, false, &v);
	if (st == KASHIM_COMPILED_OK) {
		fresh = kashim_compiled_freshness(&v, config);
		kashim_compiled_close(&v);
	}
	if (st == KASHIM_COMPILED_OK && fresh == KASHIM_COMPILED_FRESH)
		printf("compiled: %s: up to date\n", cache);
	else if (st == KASHIM_COMPILED_OK && !user)
		printf("compiled: %s: %s: %s (programs use the last compiled form until then)\n",
		       cache, kashim_compiled_freshness_text(fresh), fix);
	else if (!user)
		printf("compiled: %s: %s: programs use the defaults and environment; %s\n", cache,
		       kashim_compiled_status_text(st), fix);
	else
		printf("compiled: %s: %s: programs parse %s when they start; %s %s\n", cache,
		       st == KASHIM_COMPILED_OK ? kashim_compiled_freshness_text(fresh)
						: kashim_compiled_status_text(st),
		       config, fix, config);
}

void karun_compile_config(const char *config)
{
	struct kashim_compile_info info;

	if (*config)
		kashim_compile_file(config, false, NULL, &info);
}
