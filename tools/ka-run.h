/* SPDX-License-Identifier: MIT */
/*
 * ka-run.h - the pieces of ka-run (tools/ka-run.c): its options as the
 * KASHIM_* variables they become, the command and library it runs, the
 * --check explainer and the systemd drop-in. Every rule about a value
 * (ranges, number syntax, log destination) is config/'s; ka-run only says
 * which option broke it.
 */
#ifndef KA_RUN_H
#define KA_RUN_H

#include <limits.h>
#include <stdbool.h>

#include "../config/rules.h"
#include <stdio.h>
#include <stdnoreturn.h>

/* The variables ka-run sets, in the order it sets and prints them: the
 * config file, one per setting of config/fields.h (KARUN_FIELD(f) for
 * field f), the shim's logging. */
enum karun_var {
	KARUN_CONFIG,
#define KARUN_ENUM_FIELD(ID, ...) KARUN_##ID,
	KASHIM_FIELDS(KARUN_ENUM_FIELD)
#undef KARUN_ENUM_FIELD
	KARUN_LOG,
	KARUN_DEBUG,
	KARUN_NVARS
};
#define KARUN_FIELD(f) ((enum karun_var)(KARUN_CONFIG + 1 + (f)))

enum karun_mode { KARUN_RUN, KARUN_CHECK, KARUN_DROPIN };

struct karun {
	enum karun_mode mode;
	/* The value each option gave its variable; "" when not given. */
	char value[KARUN_NVARS][PATH_MAX];
	const char *unit;     /* --systemd-dropin UNIT, as given */
	char lib[PATH_MAX];   /* the libkashim.so to preload, absolute */
};

/* Name of a variable ("KASHIM_IDLE") and of the option that sets it ("--idle"). */
const char *karun_var_name(enum karun_var v);
const char *karun_var_option(enum karun_var v);

/* "ka-run: MSG" on stderr, exit 2 (bad input) or 126/127 (the command). */
noreturn void karun_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void karun_die_status(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void karun_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- command.c: the command, the library, LD_PRELOAD ---------------------- */

enum karun_found { KARUN_FOUND, KARUN_DENIED, KARUN_NOT_FOUND };

/*
 * Search @word as execvp(3) would: a word with a '/' is taken as it is,
 * others are looked for in $PATH (default /usr/local/bin:/usr/bin:/bin; an
 * empty entry is the current directory). @out gets the first regular
 * executable file found, or when none is, the first entry that exists
 * (KARUN_DENIED).
 */
enum karun_found karun_path_search(const char *word, char *out, size_t len);

/* The file `exec COMMAND` would run, into @out; or exits 127 (not found)
 * or 126 (not executable, a directory) with env(1)'s messages. */
void karun_resolve_command(const char *command, char *out, size_t len);

/*
 * Choose the libkashim.so to preload into @command_path (NULL when no
 * command is known: --check alone, --systemd-dropin) and store its absolute
 * path in @k->lib; exits 2 when there is none. From $KASHIM_LIB, else where
 * make install put it, else beside ka-run (../build/, ../lib/). A program
 * for the other C library (its PT_INTERP) gets the build for it
 * (../build-musl/ or musl/ beside a glibc library, ../build/ beside a musl
 * one); exits 2 when there is none or when KASHIM_LIB names the wrong one.
 */
void karun_find_library(struct karun *k, const char *command_path);

/* @old (an LD_PRELOAD value, ' ' or ':' separated) with @lib in it once,
 * into @out: unchanged when @lib is already its only libkashim.so, else
 * every other libkashim.so dropped and @lib appended. */
void karun_with_preload(const char *old, const char *lib, char *out, size_t len);

/* Warn (ka-run: warning: ...) for each reason the preload cannot reach @path. */
void karun_warn_unreachable(const char *path);

/* ---- explain.c: ka-run --check -------------------------------------------- */

/* What --check explains: the settings a program would get. Destination rules
 * (--to HOST:PORT, --listen PORT) add their fields here. */
/* --to HOST:PORT or --listen [HOST:]PORT: a connection or listener whose
 * rule --check shows. */
struct karun_target {
	enum kashim_rule_kind kind;
	const char *text;           /* as given, for messages */
	struct kashim_addr addr[8]; /* every address HOST resolves to */
	int naddr;
};

struct karun_query {
	const char *path;                   /* the executable, resolved; NULL: no program */
	const char *argv0;                  /* argv[0] it would get */
	const struct karun_target *target;  /* NULL: the program's settings alone */
};

/* Parse @text for option @option ("--to", "--listen"): "HOST:PORT",
 * "[V6]:PORT" or, for a listener, "PORT" alone (any address); HOST may be a
 * name. Exits 2 with one line naming the option when it is not valid. */
void karun_parse_target(const char *option, enum kashim_rule_kind kind, const char *text,
			struct karun_target *t);

/*
 * Print the settings the program of @q would get, each with its source,
 * with the shim's own code and precedence (the KASHIM_* variables @k set are
 * already in the environment); every problem of the config file and the
 * environment on stderr. Returns 0 when there is none, else 1.
 */
int karun_explain(const struct karun *k, const struct karun_query *q);

/* Check the config file @path alone, as the shim would read it; each problem
 * is passed to @report. Returns the number of problems. */
int karun_validate_file(const char *path, void (*report)(const char *msg));

/* compiled_status.c: one "compiled:" line on FILE.cache for --check (@user:
 * a KASHIM_CONFIG file, else the system's); and -c FILE compiled, when the
 * directory lets us (else programs parse it when they start). */
void karun_print_compiled(const char *config, bool user);
void karun_compile_config(const char *config);

/* One line per reason the preload cannot reach @path, each after @prefix,
 * into @out. Returns how many. */
int karun_print_unreachable(FILE *out, const char *prefix, const char *path);

/* ---- dropin.c: ka-run --systemd-dropin ------------------------------------ */

/* The service unit a drop-in is for, into @out: @unit with ".service" added
 * when it has no type; exits 2 when it is not a service's name. */
void karun_check_unit(const char *unit, char *out, size_t len);

/* Print the drop-in for service @unit preloading @k->lib with @k's variables. */
void karun_print_dropin(const struct karun *k, const char *unit);

#endif
