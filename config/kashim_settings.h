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

/* The kernel's ranges (MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL, MAX_TCP_KEEPCNT). */
#define KASHIM_IDLE_MAX 32767
#define KASHIM_INTERVAL_MAX 32767
#define KASHIM_COUNT_MAX 127
#define KASHIM_USER_TIMEOUT_MAX 2147483647L

enum kashim_field {
	KASHIM_F_KEEPALIVE,
	KASHIM_F_IDLE,
	KASHIM_F_INTERVAL,
	KASHIM_F_COUNT,
	KASHIM_F_USER_TIMEOUT,
	KASHIM_F_OVERRIDE,
	KASHIM_NFIELDS
};

/* Where a value came from, lowest precedence first. */
enum kashim_source {
	KASHIM_SRC_DEFAULT,
	KASHIM_SRC_FILE,          /* the config file's top level */
	KASHIM_SRC_SECTION,       /* the matching program "..." section */
	KASHIM_SRC_RULE,          /* the destination or listen rule that matched */
	KASHIM_SRC_LIBKEEPALIVE,  /* KEEPALIVE, KEEPIDLE, KEEPINTVL, KEEPCNT */
	KASHIM_SRC_ENV            /* KASHIM_* */
};

struct kashim_settings {
	bool keepalive;
	bool override;
	bool user_timeout_auto;   /* user_timeout = auto: derived by kashim_settings_finish() */
	int idle;                 /* seconds */
	int interval;             /* seconds */
	int count;                /* probes */
	long user_timeout;        /* milliseconds; 0 leaves the kernel default */
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
