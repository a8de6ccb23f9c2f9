/* SPDX-License-Identifier: MIT */
/*
 * settings.c - defaults, environment overrides, validation and description
 * of kashim's settings. Pure functions over struct kashim_settings: no
 * global state, no allocation, so the shim can run them in any process.
 */
#include "kashim_settings.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* fields.h, one row per field. */
static const struct kashim_field_info fields[KASHIM_NFIELDS] = {
#define KASHIM_INFO(ID, NAME, KIND, MIN, MAX, DFLT, LEVEL, OPTION, BIT, ENV, LIBKA, SHORT, LONG, \
		    ARG, UNIT, COLUMN, HELP)                                                      \
	[KASHIM_F_##ID] = {#NAME, KASHIM_KIND_##KIND, MIN, MAX, DFLT, LEVEL, OPTION, BIT, ENV,     \
			   LIBKA, SHORT, LONG, ARG, UNIT, COLUMN, HELP},
	KASHIM_FIELDS(KASHIM_INFO)
#undef KASHIM_INFO
};

_Static_assert(KASHIM_FIELDS_N == KASHIM_NFIELDS, "fields.h and enum kashim_field agree");

const struct kashim_field_info *kashim_field_info(enum kashim_field f)
{
	return (unsigned)f < KASHIM_NFIELDS ? &fields[f] : NULL;
}

int kashim_field_by_name(const char *name)
{
	for (int f = 0; f < KASHIM_NFIELDS; f++)
		if (name && !strcmp(fields[f].name, name))
			return f;
	return -1;
}

void kashim_vlogf(const struct kashim_logger *log, enum kashim_level level,
		  const char *fmt, va_list ap)
{
	char msg[512];

	if (!log || !log->write)
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	log->write(log->ctx, level, msg);
}

void kashim_logf(const struct kashim_logger *log, enum kashim_level level,
		 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kashim_vlogf(log, level, fmt, ap);
	va_end(ap);
}

/* Every field at its default (a millisecond one never "auto"), every source
 * KASHIM_SRC_DEFAULT (0), no file, section or rule. */
static const struct kashim_settings defaults = {
#define KASHIM_DEFAULT(ID, NAME, KIND, MIN, MAX, DFLT, ...) .NAME = DFLT,
	KASHIM_FIELDS(KASHIM_DEFAULT)
#undef KASHIM_DEFAULT
};

void kashim_settings_defaults(struct kashim_settings *s)
{
	*s = defaults;
}

const char *kashim_field_name(enum kashim_field f)
{
	return (unsigned)f < KASHIM_NFIELDS ? fields[f].name : "?";
}

bool kashim_field_range(enum kashim_field f, long *min, long *max)
{
	if ((unsigned)f >= KASHIM_NFIELDS || fields[f].kind == KASHIM_KIND_BOOL)
		return false;
	*min = fields[f].min, *max = fields[f].max;
	return true;
}

bool kashim_parse_number(const char *text, long min, long max, long *out)
{
	long v = 0;

	if (!text || !*text)
		return false;
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		/* Stop before overflow: every allowed max fits in a long. */
		if (v > (max - (*p - '0')) / 10)
			return false;
		v = v * 10 + (*p - '0');
	}
	if (v < min)
		return false;
	*out = v;
	return true;
}

bool kashim_parse_bool(const char *text, bool *out)
{
	static const char *const yes[] = {"on", "true", "yes", "1"};
	static const char *const no[] = {"off", "false", "no", "0"};

	if (!text)
		return false;
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (!strcasecmp(text, yes[i])) {
			*out = true;
			return true;
		}
		if (!strcasecmp(text, no[i])) {
			*out = false;
			return true;
		}
	}
	return false;
}

bool kashim_parse_user_timeout(const char *text, long *ms, bool *is_auto)
{
	if (text && !strcasecmp(text, "auto")) {
		*is_auto = true;
		*ms = 0;
		return true;
	}
	if (!kashim_parse_number(text, 0, KASHIM_USER_TIMEOUT_MAX, ms))
		return false;
	*is_auto = false;
	return true;
}

bool kashim_parse_log_dest(const char *text, enum kashim_log_to *to)
{
	if (!text)
		return false;
	if (!strcmp(text, "syslog"))
		*to = KASHIM_TO_SYSLOG;
	else if (!strcmp(text, "stderr"))
		*to = KASHIM_TO_STDERR;
	else if (text[0] == '/')
		*to = KASHIM_TO_FILE;
	else
		return false;
	return true;
}

bool kashim_field_parse(enum kashim_field f, const char *text, long *v)
{
	bool b;

	switch (fields[f].kind) {
	case KASHIM_KIND_BOOL:
		if (!kashim_parse_bool(text, &b))
			return false;
		*v = b;
		return true;
	case KASHIM_KIND_MS:
		if (text && !strcasecmp(text, "auto")) {
			*v = KASHIM_VALUE_AUTO;
			return true;
		}
		/* fall through */
	case KASHIM_KIND_INT:
		return kashim_parse_number(text, fields[f].min, fields[f].max, v);
	}
	return false;
}

const char *kashim_field_expect(enum kashim_field f, char *buf, size_t len)
{
	const struct kashim_field_info *i = &fields[f];

	if (i->kind == KASHIM_KIND_BOOL)
		snprintf(buf, len, "on or off");
	else if (i->kind == KASHIM_KIND_MS)
		snprintf(buf, len, "a number of %s from %ld to %ld or \"auto\"", i->unit, i->min,
			 i->max);
	else
		snprintf(buf, len, "a whole number from %ld to %ld", i->min, i->max);
	return buf;
}

/* Read and store each kind of member; an "auto" one reads as KASHIM_VALUE_AUTO. */
#define KASHIM_GET_BOOL(s, name) return (s)->name;
#define KASHIM_GET_INT(s, name) return (s)->name;
#define KASHIM_GET_MS(s, name) return (s)->name##_auto ? KASHIM_VALUE_AUTO : (s)->name;
#define KASHIM_SET_BOOL(s, name, v) (s)->name = (v) != 0;
#define KASHIM_SET_INT(s, name, v) (s)->name = (int)(v);
#define KASHIM_SET_MS(s, name, v) (s)->name##_auto = (v) < 0, (s)->name = (v) < 0 ? 0 : (v);

long kashim_settings_get(const struct kashim_settings *s, enum kashim_field f)
{
	switch (f) {
#define KASHIM_GET(ID, NAME, KIND, ...) case KASHIM_F_##ID: KASHIM_GET_##KIND(s, NAME)
	KASHIM_FIELDS(KASHIM_GET)
#undef KASHIM_GET
	default:
		return 0;
	}
}

long kashim_settings_applied(const struct kashim_settings *s, enum kashim_field f)
{
	switch (f) {
#define KASHIM_APPLIED(ID, NAME, ...) case KASHIM_F_##ID: return (long)s->NAME;
	KASHIM_FIELDS(KASHIM_APPLIED)
#undef KASHIM_APPLIED
	default:
		return 0;
	}
}

void kashim_settings_set(struct kashim_settings *s, enum kashim_field f, long v,
			 enum kashim_source source)
{
	switch (f) {
#define KASHIM_SET(ID, NAME, KIND, ...) case KASHIM_F_##ID: KASHIM_SET_##KIND(s, NAME, v) break;
	KASHIM_FIELDS(KASHIM_SET)
#undef KASHIM_SET
	default:
		return;
	}
	s->source[f] = (unsigned char)source;
}

void kashim_settings_copy_field(struct kashim_settings *dst, const struct kashim_settings *src,
				enum kashim_field f, enum kashim_source source)
{
	kashim_settings_set(dst, f, kashim_settings_get(src, f), source);
}

/* Apply one variable's text to field @f. Returns false (and logs) when the
 * text is not valid for the field; the field is then left as it was. */
static bool apply_env_value(struct kashim_settings *s, enum kashim_field f,
			    const char *var, const char *text, enum kashim_source src,
			    const struct kashim_logger *log)
{
	char expect[96];
	long v;

	if (!kashim_field_parse(f, text, &v)) {
		kashim_logf(log, KASHIM_LOG_WARN, "environment %s=\"%.64s\" is not %s; ignored",
			    var, text, kashim_field_expect(f, expect, sizeof expect));
		return false;
	}
	kashim_settings_set(s, f, v, src);
	return true;
}

int kashim_settings_apply_env(struct kashim_settings *s, kashim_getenv_fn get,
			      const struct kashim_logger *log)
{
	int bad = 0;
	const char *text;

	if (!get)
		return 0;
	for (int f = 0; f < KASHIM_NFIELDS; f++) {
		const char *var = fields[f].libkeepalive;

		if (!var || !(text = get(var)))
			continue;
		/* libkeepalive only knows KEEPALIVE=off; any other value means
		 * "leave it on", as it did there. */
		if (f == KASHIM_F_KEEPALIVE) {
			if (!strcasecmp(text, "off"))
				kashim_settings_set(s, f, false, KASHIM_SRC_LIBKEEPALIVE);
			continue;
		}
		bad += !apply_env_value(s, f, var, text, KASHIM_SRC_LIBKEEPALIVE, log);
	}
	for (int f = 0; f < KASHIM_NFIELDS; f++) {
		if ((text = get(fields[f].env)))
			bad += !apply_env_value(s, f, fields[f].env, text, KASHIM_SRC_ENV, log);
	}
	return bad;
}

void kashim_settings_finish(struct kashim_settings *s)
{
	long long ms = ((long long)s->idle + (long long)s->interval * s->count) * 1000;

	/* At the largest idle, interval and count this is 4194176000 ms, more
	 * than the kernel's int holds: capped, so the value always applies. */
	if (s->user_timeout_auto)
		s->user_timeout = ms > KASHIM_USER_TIMEOUT_MAX ? KASHIM_USER_TIMEOUT_MAX : (long)ms;
}

const char *kashim_source_describe(const struct kashim_settings *s,
				   enum kashim_field f, char *buf, size_t len)
{
	switch (s->source[f]) {
	case KASHIM_SRC_FILE:
		snprintf(buf, len, "file %s", s->file);
		break;
	case KASHIM_SRC_SECTION:
		snprintf(buf, len, "program section \"%s\" in %s", s->section, s->file);
		break;
	case KASHIM_SRC_RULE:
		snprintf(buf, len, "rule %s in %s", s->rule, s->file);
		break;
	case KASHIM_SRC_LIBKEEPALIVE:
		snprintf(buf, len, "environment %s", fields[f].libkeepalive);
		break;
	case KASHIM_SRC_ENV:
		snprintf(buf, len, "environment %s", fields[f].env);
		break;
	default:
		snprintf(buf, len, "default");
		break;
	}
	return buf;
}
