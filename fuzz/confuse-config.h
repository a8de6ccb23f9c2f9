/* SPDX-License-Identifier: MIT */
/* confuse-config.h - the config.h libconfuse's sources expect, for building
 * them instrumented into the fuzz target (make fuzz FUZZ_CONFUSE_SRC=...):
 * Debian 12's glibc has every function libconfuse would otherwise replace. */
#define PACKAGE "confuse"
#define PACKAGE_VERSION "3.3"
#define PACKAGE_STRING "confuse 3.3"
#define HAVE_STRINGS_H 1
#define HAVE_STRING_H 1
#define HAVE_UNISTD_H 1
#define HAVE_SYS_STAT_H 1
#define HAVE_FMEMOPEN 1
#define HAVE_REALLOCARRAY 1
#define HAVE_STRDUP 1
#define HAVE_STRNDUP 1
#define HAVE_STRCASECMP 1
#define _GNU_SOURCE 1
