/* SPDX-License-Identifier: MIT */
/*
 * load.h - what libkashim.so does once, when it is loaded (load.c, a
 * constructor of priority 101): libc's functions found, the KASHIM_* and
 * libkeepalive (KEEP*) variables the process started with copied into
 * kashim's own storage and parsed, AT_SECURE and argv[0]'s basename read,
 * the log destination set, the fork handler registered. Everything here is
 * read-only after load: no allocation, no parsing, no lock when called.
 */
#ifndef KASHIM_LOAD_H
#define KASHIM_LOAD_H

#include <stdbool.h>
#include <sys/types.h>

#include "../config/kashim_settings.h"
#include "elfsym.h"

#pragma GCC visibility push(hidden)

/* Secure-execution mode (AT_SECURE: set-user-ID, set-group-ID, file
 * capabilities), or no way to tell: trust no environment. */
bool kashim_secure(void);

/* argv[0]'s basename (program_invocation_short_name), "" if unknown. */
const char *kashim_invocation_name(void);

/* kashim's copy of variable @name (KASHIM_* or a libkeepalive KEEP*) as
 * the process started with it, else NULL; always NULL in secure-execution
 * mode. A program that changes, clears or overwrites its environment later
 * (nginx writes its process title over it) changes nothing here. */
const char *kashim_env(const char *name);

/* Apply the environment overlay parsed at load onto @s: libkeepalive's
 * variables, then KASHIM_*, each field with its source. Invalid variables
 * were found at load (kashim_deferred_report logs them) and are not
 * applied. Nothing in secure mode. */
void kashim_env_apply(struct kashim_settings *s);

/* libc's mmap, found at load; NULL if it has none. */
extern void *(*kashim_mmap)(void *, size_t, int, int, int, off_t);

/* For real.c's KASHIM_REAL slow path: run the load now unless it has been
 * started. DONE: it is complete (every function that exists is found).
 * BUSY: it is under way, in this thread (a log line made while loading) or
 * in another one that got there first. */
enum { KASHIM_LOAD_DONE, KASHIM_LOAD_BUSY };
int kashim_load_early(void);

/* real.c: find libc's functions for the hooks, and @extra with them, in
 * one walk over the loaded objects. */
void kashim_symbols_resolve(struct kashim_symreq *extra, unsigned nextra);

/* log.c: where messages go (KASHIM_LOG) and whether debug lines are kept
 * (KASHIM_DEBUG), set once at load; @path is copied. False (and messages
 * keep going to syslog) when @path is KASHIM_LOG_PATH_MAX bytes or longer. */
#define KASHIM_LOG_PATH_MAX 256
bool kashim_log_setup(enum kashim_log_to to, const char *path, bool debug);
bool kashim_log_debug(void);

/* init.c: run in the child after fork(). Registered at load. */
void kashim_runtime_forked(void);

#pragma GCC visibility pop

#endif
