/* SPDX-License-Identifier: MIT */
/*
 * kashim_settings.h - the resolved keepalive settings and the pure functions
 * that build them (defaults, environment, validation, description).
 *
 * Nothing here interposes anything or talks to libconfuse: the shim links it
 * statically, the config plugin links its own copy, and the unit tests link it
 * alone.
 */
#ifndef KASHIM_SETTINGS_H
#define KASHIM_SETTINGS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Symbols the shim and its config plugin export; everything else is hidden
 * (-fvisibility=hidden). */
#define KASHIM_EXPORT __attribute__((visibility("default")))

/* The config file read when KASHIM_CONFIG is unset; the Makefile passes
 * $(SYSCONFDIR)/keepalive.conf. */
#ifndef KASHIM_SYSCONF_PATH
#define KASHIM_SYSCONF_PATH "/etc/keepalive.conf"
#endif

#include "fields.h"

/* One per row of the table in fields.h, in its order. */
enum kashim_field {
#define KASHIM_ENUM_FIELD(ID, ...) KASHIM_F_##ID,
	KASHIM_FIELDS(KASHIM_ENUM_FIELD)
#undef KASHIM_ENUM_FIELD
	KASHIM_NFIELDS
};

/* What a field holds: on/off, a whole number, or milliseconds or "auto". */
enum kashim_kind { KASHIM_KIND_BOOL, KASHIM_KIND_INT, KASHIM_KIND_MS };

/* A field's row of fields.h (see there for each column). */
struct kashim_field_info {
	const char *name;
	enum kashim_kind kind;
	long min, max, dflt;
	int level, option;        /* setsockopt(); -1, -1 for none */
	unsigned bpf_bit;
	const char *env, *libkeepalive;
	char short_opt;           /* 0: none */
	const char *long_opt, *arg, *unit, *column, *help;
};

/* The row of field @f; NULL when @f is not a field. */
const struct kashim_field_info *kashim_field_info(enum kashim_field f);

/* The field named @name in keepalive.conf, or -1. */
int kashim_field_by_name(const char *name);

/* Where a value came from, lowest precedence first. */
enum kashim_source {
	KASHIM_SRC_DEFAULT,
	KASHIM_SRC_FILE,          /* the config file's top level */
	KASHIM_SRC_SECTION,       /* the matching program "..." section */
	KASHIM_SRC_RULE,          /* the destination or listen rule that matched */
	KASHIM_SRC_LIBKEEPALIVE,  /* KEEPALIVE, KEEPIDLE, KEEPINTVL, KEEPCNT */
	KASHIM_SRC_ENV            /* KASHIM_* */
};

/* One member per field, named as in keepalive.conf: bool, int or long (ms,
 * with NAME_auto for "auto", derived by kashim_settings_finish()). */
#define KASHIM_MEMBER_BOOL(name) bool name;
#define KASHIM_MEMBER_INT(name) int name;
#define KASHIM_MEMBER_MS(name) long name; bool name##_auto;
#define KASHIM_MEMBER(ID, NAME, KIND, ...) KASHIM_MEMBER_##KIND(NAME)

struct kashim_settings {
	KASHIM_FIELDS(KASHIM_MEMBER)
	unsigned char source[KASHIM_NFIELDS];
	char section[128];        /* title of the program section that matched, or "" */
	char file[256];           /* the config file that was applied, or "" */
	char rule[160];           /* for KASHIM_SRC_RULE: destination "SPEC" (line N) */
};

/* Diagnostics sink: every message kashim's config code produces goes here,
 * never to stdout/stderr of the host program. */
enum kashim_level { KASHIM_LOG_DEBUG, KASHIM_LOG_WARN };
struct kashim_logger {
	void (*write)(void *ctx, enum kashim_level level, const char *msg);
	void *ctx;
};

/* Format a message into a bounded stack buffer and hand it to @log.
 * A NULL logger or write function drops the message. */
void kashim_logf(const struct kashim_logger *log, enum kashim_level level,
		 const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void kashim_vlogf(const struct kashim_logger *log, enum kashim_level level,
		  const char *fmt, va_list ap);

/* Fill @s with the built-in defaults: keepalive on, idle 60, interval 10,
 * count 5, user_timeout 0, override off; every source DEFAULT. */
void kashim_settings_defaults(struct kashim_settings *s);

/* Name of a field as written in keepalive.conf ("idle", "user_timeout"...). */
const char *kashim_field_name(enum kashim_field f);

/* Inclusive range of an integer field; false for the boolean fields. */
bool kashim_field_range(enum kashim_field f, long *min, long *max);

/* Parse a whole decimal number in [min, max]: digits only, no sign, no
 * spaces, no overflow. Returns true and stores it on success; on failure
 * leaves *out alone. */
bool kashim_parse_number(const char *text, long min, long max, long *out);

/* Parse on/off, true/false, yes/no, 1/0 (case-insensitive). */
bool kashim_parse_bool(const char *text, bool *out);

/* Parse a user_timeout value: a number of ms in range, or "auto". */
bool kashim_parse_user_timeout(const char *text, long *ms, bool *is_auto);

/* "auto" for a KASHIM_KIND_MS field, as kashim_field_parse() and
 * kashim_settings_get() give it and kashim_settings_set() takes it. */
#define KASHIM_VALUE_AUTO (-1L)

/* Parse @text for field @f by its kind (on/off words, a whole number in
 * range, or milliseconds or "auto"); false when it is not valid. */
bool kashim_field_parse(enum kashim_field f, const char *text, long *v);

/* What field @f accepts, for messages: "on or off", "a whole number from 1
 * to 32767", "a number of milliseconds from 0 to 2147483647 or \"auto\"". */
const char *kashim_field_expect(enum kashim_field f, char *buf, size_t len);

/* Field @f of @s as a number: 0/1, the number, or KASHIM_VALUE_AUTO for
 * an "auto" one. */
long kashim_settings_get(const struct kashim_settings *s, enum kashim_field f);

/* Field @f of @s as a socket gets it: an "auto" one as derived by
 * kashim_settings_finish(). */
long kashim_settings_applied(const struct kashim_settings *s, enum kashim_field f);

/* Store @v (as kashim_settings_get() gives it) in field @f of @s, which
 * then says it came from @source. */
void kashim_settings_set(struct kashim_settings *s, enum kashim_field f, long v,
			 enum kashim_source source);

/* Where the shim's messages go (KASHIM_LOG, ka-run --log). */
enum kashim_log_to { KASHIM_TO_SYSLOG, KASHIM_TO_STDERR, KASHIM_TO_FILE };

/* Parse a log destination: "syslog", "stderr" or an absolute file path
 * (anything starting with '/'). False for anything else. */
bool kashim_parse_log_dest(const char *text, enum kashim_log_to *to);

typedef const char *(*kashim_getenv_fn)(const char *name);

/* Apply libkeepalive's variables, then KASHIM_KEEPALIVE, KASHIM_IDLE,
 * KASHIM_INTERVAL, KASHIM_COUNT, KASHIM_USER_TIMEOUT, KASHIM_OVERRIDE, each
 * one read through @get. A variable that is set but invalid gets one
 * message naming it, its value and the allowed range, and is ignored; the
 * others still apply. Returns the number of invalid variables. */
int kashim_settings_apply_env(struct kashim_settings *s, kashim_getenv_fn get,
			      const struct kashim_logger *log);

/* Copy field @f (user_timeout with its "auto" flag) from @src into @dst,
 * which then says it came from @source. */
void kashim_settings_copy_field(struct kashim_settings *dst, const struct kashim_settings *src,
				enum kashim_field f, enum kashim_source source);

/* Derive what depends on other fields (user_timeout = auto). Call once,
 * after the last source has been applied. */
void kashim_settings_finish(struct kashim_settings *s);

/* Describe where field @f came from, e.g. "program section \"redis-*\"" or
 * "environment KASHIM_IDLE", into @buf. Returns buf. */
const char *kashim_source_describe(const struct kashim_settings *s,
				   enum kashim_field f, char *buf, size_t len);

#endif
