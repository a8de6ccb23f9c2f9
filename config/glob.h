/* SPDX-License-Identifier: MIT */
/*
 * glob.h - the program section matcher: fnmatch(3) with flags 0, in kashim's
 * own code so that the shim can match titles at its first TCP socket
 * without calling into libc (glibc's fnmatch may allocate) and the tools
 * match exactly as the shim does.
 *
 * Bytes, as fnmatch in the C locale: `*` any string (including '/' and a
 * leading '.'), `?` any one byte, `[...]` a set with `!` or `^` to negate,
 * ranges `a-z`, the classes `[:alpha:]` and the others of fnmatch(3); a
 * backslash quotes the next character; `[.c.]` and `[=c=]` are c. An
 * unknown class name, or a backslash ending the pattern, matches nothing
 * (fnmatch reports an error). A `[` with no closing `]` is an ordinary
 * character, as POSIX says; glibc 2.36 disagrees with itself there ("[a"
 * matches "[a", "[a-" does not match "[a-"), so such titles, and a `[=`
 * inside a set that is not `[=c=]`, may match differently from fnmatch.
 * Everything else agrees with glibc's fnmatch (test_config compares them
 * on random patterns).
 */
#ifndef KASHIM_GLOB_H
#define KASHIM_GLOB_H

#include <stdbool.h>

/* True when @name matches @pattern, as fnmatch(pattern, name, 0) == 0. No
 * allocation, no library call, bounded stack (no recursion). */
bool kashim_glob_match(const char *pattern, const char *name);

#endif
