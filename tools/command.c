/* SPDX-License-Identifier: MIT */
/*
 * command.c - what ka-run runs and preloads: COMMAND found as execvp(3)
 * finds it (with env(1)'s exit statuses), the libkashim.so to preload, and
 * LD_PRELOAD with that library in it exactly once.
 */
#define _GNU_SOURCE
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ka-run.h"
#include "kashim-inspect.h"

/* make install builds its ka-run with the installed library's path here;
 * the build tree's has none, so an installed copy never shadows it. */
#ifndef KASHIM_INSTALLED_LIB
#define KASHIM_INSTALLED_LIB ""
#endif

static bool is_regular(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

enum karun_found karun_path_search(const char *word, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char candidate[PATH_MAX];
	bool denied = false;

	if (strchr(word, '/')) {
		snprintf(out, len, "%s", word);
		return access(out, F_OK) == 0 ? KARUN_FOUND : KARUN_NOT_FOUND;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (;;) {
		size_t dir = strcspn(path, ":");

		/* An empty entry is the current directory. */
		snprintf(candidate, sizeof candidate, "%.*s/%s", (int)dir, dir ? path : ".", word);
		if (is_regular(candidate) && access(candidate, X_OK) == 0) {
			snprintf(out, len, "%s", candidate);
			return KARUN_FOUND;
		}
		if (!denied && access(candidate, F_OK) == 0) {
			snprintf(out, len, "%s", candidate);
			denied = true;
		}
		if (!path[dir])
			break;
		path += dir + 1;
	}
	return denied ? KARUN_DENIED : KARUN_NOT_FOUND;
}

void karun_resolve_command(const char *command, char *out, size_t len)
{
	struct stat st;

	switch (karun_path_search(command, out, len)) {
	case KARUN_NOT_FOUND:
		if (strchr(command, '/'))
			karun_die_status(127, "%s: No such file or directory", command);
		karun_die_status(127, "%s: command not found", command);
	case KARUN_DENIED:
		karun_die_status(126, "%s: Permission denied", out);
	case KARUN_FOUND:
		break;
	}
	if (stat(out, &st) == 0 && S_ISDIR(st.st_mode))
		karun_die_status(126, "%s: Is a directory", out);
	if (access(out, X_OK) < 0)
		karun_die_status(126, "%s: Permission denied", out);
}

/* The directory ka-run's own executable is in (symlinks followed), or "". */
static void own_directory(char *out, size_t len)
{
	char self[PATH_MAX];

	if (!realpath("/proc/self/exe", self)) {
		snprintf(out, len, "%s", "");
		return;
	}
	snprintf(out, len, "%s", dirname(self));
}

/* Store @lib in @k->lib with its directory made absolute (LD_PRELOAD is
 * relative to each process's cwd); refuse what LD_PRELOAD cannot hold. */
static void take_library(struct karun *k, const char *lib)
{
	char copy[PATH_MAX], dir[PATH_MAX];

	snprintf(copy, sizeof copy, "%s", lib);
	if (!realpath(dirname(copy), dir))
		karun_die("%s: cannot resolve its directory", lib);
	snprintf(copy, sizeof copy, "%s", lib);
	snprintf(k->lib, sizeof k->lib, "%s/%s", dir, basename(copy));
	/* LD_PRELOAD is split on ' ' and ':'. */
	if (strpbrk(k->lib, " :"))
		karun_die("%s: LD_PRELOAD cannot name a path containing a space or a colon; set KASHIM_LIB to a copy elsewhere",
			  k->lib);
}

/*
 * A libkashim.so built for the other C library than @command_path's is a
 * fatal loader error in the program (exit 127). When @k->lib is for the
 * other one, take the build for the program's from where make puts it
 * (build-musl/ or build/, beside the other) or from musl/ beside the
 * library; refuse when there is none, or when KASHIM_LIB chose @k->lib.
 */
static void match_libc(struct karun *k, const char *command_path, bool chosen)
{
	enum kashim_libc want = kashim_inspect_libc(command_path), have;
	char dir[PATH_MAX], candidate[PATH_MAX];
	static const char *const musl[] = {"../build-musl/libkashim.so", "musl/libkashim.so"};
	static const char *const glibc[] = {"../build/libkashim.so"};
	const char *const *where = want == KASHIM_LIBC_MUSL ? musl : glibc;
	size_t n = want == KASHIM_LIBC_MUSL ? 2 : 1;

	if (want != KASHIM_LIBC_GLIBC && want != KASHIM_LIBC_MUSL)
		return;
	/* A library that names no C library (a stub, say) is no mismatch. */
	have = kashim_inspect_libc(k->lib);
	if (have == want || (have != KASHIM_LIBC_GLIBC && have != KASHIM_LIBC_MUSL))
		return;
	snprintf(dir, sizeof dir, "%s", k->lib);
	*strrchr(dir, '/') = '\0';
	for (size_t i = 0; !chosen && i < n; i++) {
		snprintf(candidate, sizeof candidate, "%s/%s", dir, where[i]);
		if (is_regular(candidate) && kashim_inspect_libc(candidate) == want) {
			take_library(k, candidate);
			return;
		}
	}
	karun_die("%s is a %s program but %s is built for %s: preloading it would stop the program; %s%s%s",
		  command_path, kashim_libc_name(want), k->lib, kashim_libc_name(have),
		  chosen ? "set KASHIM_LIB to a " : "build the ", kashim_libc_name(want),
		  chosen ? " build of libkashim.so"
			 : (want == KASHIM_LIBC_MUSL ? " one (make MUSL=1) or set KASHIM_LIB to one"
						     : " one (make) or set KASHIM_LIB to one"));
}

void karun_find_library(struct karun *k, const char *command_path)
{
	const char *env = getenv("KASHIM_LIB");
	char here[PATH_MAX], candidate[PATH_MAX];
	static const char *const beside[] = {"../build/libkashim.so", "../lib/libkashim.so"};

	if (env && *env) {
		if (!is_regular(env))
			karun_die("KASHIM_LIB=%s: no such file", env);
		take_library(k, env);
		if (command_path)
			match_libc(k, command_path, true);
		return;
	}
	if (*KASHIM_INSTALLED_LIB && is_regular(KASHIM_INSTALLED_LIB)) {
		take_library(k, KASHIM_INSTALLED_LIB);
		if (command_path)
			match_libc(k, command_path, false);
		return;
	}
	/* Also when the installed path is missing: a tree staged with DESTDIR,
	 * or moved, still has the library at ../lib. */
	own_directory(here, sizeof here);
	for (size_t i = 0; *here && i < sizeof beside / sizeof beside[0]; i++) {
		snprintf(candidate, sizeof candidate, "%s/%s", here, beside[i]);
		if (is_regular(candidate)) {
			take_library(k, candidate);
			if (command_path)
				match_libc(k, command_path, false);
			return;
		}
	}
	karun_die("cannot find libkashim.so%s%s%s in %s/../build or %s/../lib; set KASHIM_LIB=/path/to/libkashim.so",
		  *KASHIM_INSTALLED_LIB ? " at " : "", KASHIM_INSTALLED_LIB,
		  *KASHIM_INSTALLED_LIB ? "," : "", here, here);
}

/* Append @entry to the ':' list in @out. */
static void append(char *out, size_t len, const char *entry, size_t n)
{
	size_t used = strlen(out);

	snprintf(out + used, len - used, "%s%.*s", used ? ":" : "", (int)n, entry);
}

void karun_with_preload(const char *old, const char *lib, char *out, size_t len)
{
	bool found = false, stale = false;

	out[0] = '\0';
	for (const char *p = old; *p;) {
		size_t n = strcspn(p, " :");
		const char *slash = memrchr(p, '/', n);
		const char *base = slash ? slash + 1 : p;

		if (n == strlen(lib) && !strncmp(p, lib, n))
			found = true;
		else if ((size_t)(p + n - base) == strlen("libkashim.so") &&
			 !strncmp(base, "libkashim.so", strlen("libkashim.so")))
			stale = true;
		else if (n)
			append(out, len, p, n);
		p += n + (p[n] != '\0');
	}
	if (found && !stale) {
		snprintf(out, len, "%s", old);
		return;
	}
	append(out, len, lib, strlen(lib));
}

void karun_warn_unreachable(const char *path)
{
	karun_print_unreachable(stderr, "ka-run: warning: ", path);
}
