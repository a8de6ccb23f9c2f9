/* SPDX-License-Identifier: MIT */
/*
 * settings.c - defaults, environment overrides, validation and description
 * of kashim's settings. Pure functions over struct kashim_settings: no
 * global state, no allocation, so the shim can run them in any process.
 */
#include "kashim_settings.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Each field's names: in keepalive.conf, as kashim's own variable, and as
 * libkeepalive's (so its users switch by changing LD_PRELOAD only; NULL
 * where it has none). */
static const struct {
	const char *conf, *env, *libkeepalive;
} names[KASHIM_NFIELDS] = {
	[KASHIM_F_KEEPALIVE] = {"keepalive", "KASHIM_KEEPALIVE", "KEEPALIVE"},
	[KASHIM_F_IDLE] = {"idle", "KASHIM_IDLE", "KEEPIDLE"},
	[KASHIM_F_INTERVAL] = {"interval", "KASHIM_INTERVAL", "KEEPINTVL"},
	[KASHIM_F_COUNT] = {"count", "KASHIM_COUNT", "KEEPCNT"},
	[KASHIM_F_USER_TIMEOUT] = {"user_timeout", "KASHIM_USER_TIMEOUT", NULL},
	[KASHIM_F_OVERRIDE] = {"override", "KASHIM_OVERRIDE", NULL},
};

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

void kashim_settings_defaults(struct kashim_settings *s)
{
	memset(s, 0, sizeof *s);
	s->keepalive = true;
	s->idle = 60;
	s->interval = 10;
	s->count = 5;
	s->user_timeout = 0;
	/* memset made every source KASHIM_SRC_DEFAULT and override false. */
}

const char *kashim_field_name(enum kashim_field f)
{
	return (unsigned)f < KASHIM_NFIELDS ? names[f].conf : "?";
}

bool kashim_field_range(enum kashim_field f, long *min, long *max)
{
	switch (f) {
	case KASHIM_F_IDLE:
		*min = 1, *max = KASHIM_IDLE_MAX;
		return true;
	case KASHIM_F_INTERVAL:
		*min = 1, *max = KASHIM_INTERVAL_MAX;
		return true;
	case KASHIM_F_COUNT:
		*min = 1, *max = KASHIM_COUNT_MAX;
		return true;
	case KASHIM_F_USER_TIMEOUT:
		*min = 0, *max = KASHIM_USER_TIMEOUT_MAX;
		return true;
	default:
		return false;
	}
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

/* The int behind field @f (idle, interval, count), or NULL for the others. */
static int *int_field(struct kashim_settings *s, enum kashim_field f)
{
	switch (f) {
	case KASHIM_F_IDLE:
		return &s->idle;
	case KASHIM_F_INTERVAL:
		return &s->interval;
	case KASHIM_F_COUNT:
		return &s->count;
	default:
		return NULL;
	}
}

void kashim_settings_copy_field(struct kashim_settings *dst, const struct kashim_settings *src,
				enum kashim_field f, enum kashim_source source)
{
	int *to = int_field(dst, f);

	if (to)
		*to = *int_field((struct kashim_settings *)src, f);
	else if (f == KASHIM_F_KEEPALIVE)
		dst->keepalive = src->keepalive;
	else if (f == KASHIM_F_OVERRIDE)
		dst->override = src->override;
	else if (f == KASHIM_F_USER_TIMEOUT)
		dst->user_timeout = src->user_timeout, dst->user_timeout_auto = src->user_timeout_auto;
	else
		return;
	dst->source[f] = (unsigned char)source;
}

/* Store a validated integer into its field. */
static void set_int_field(struct kashim_settings *s, enum kashim_field f, long v)
{
	int *field = int_field(s, f);

	if (field)
		*field = (int)v;
}

/* Apply one variable's text to field @f. Returns false (and logs) when the
 * text is not valid for the field; the field is then left as it was. */
static bool apply_env_value(struct kashim_settings *s, enum kashim_field f,
			    const char *var, const char *text, unsigned char src,
			    const struct kashim_logger *log)
{
	long min, max, v;
	bool b;

	if (f == KASHIM_F_KEEPALIVE || f == KASHIM_F_OVERRIDE) {
		if (!kashim_parse_bool(text, &b)) {
			kashim_logf(log, KASHIM_LOG_WARN,
				    "environment %s=\"%.64s\" is not on or off; ignored", var, text);
			return false;
		}
		if (f == KASHIM_F_KEEPALIVE)
			s->keepalive = b;
		else
			s->override = b;
	} else if (f == KASHIM_F_USER_TIMEOUT) {
		if (!kashim_parse_user_timeout(text, &v, &b)) {
			kashim_logf(log, KASHIM_LOG_WARN,
				    "environment %s=\"%.64s\" is not a number of milliseconds from 0 to %ld or \"auto\"; ignored",
				    var, text, KASHIM_USER_TIMEOUT_MAX);
			return false;
		}
		s->user_timeout = v;
		s->user_timeout_auto = b;
	} else {
		kashim_field_range(f, &min, &max);
		if (!kashim_parse_number(text, min, max, &v)) {
			kashim_logf(log, KASHIM_LOG_WARN,
				    "environment %s=\"%.64s\" is not a whole number from %ld to %ld; ignored",
				    var, text, min, max);
			return false;
		}
		set_int_field(s, f, v);
	}
	s->source[f] = src;
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
		const char *var = names[f].libkeepalive;

		if (!var || !(text = get(var)))
			continue;
		/* libkeepalive only knows KEEPALIVE=off; any other value means
		 * "leave it on", as it did there. */
		if (f == KASHIM_F_KEEPALIVE) {
			if (!strcasecmp(text, "off")) {
				s->keepalive = false;
				s->source[f] = KASHIM_SRC_LIBKEEPALIVE;
			}
			continue;
		}
		bad += !apply_env_value(s, f, var, text, KASHIM_SRC_LIBKEEPALIVE, log);
	}
	for (int f = 0; f < KASHIM_NFIELDS; f++) {
		if ((text = get(names[f].env)))
			bad += !apply_env_value(s, f, names[f].env, text, KASHIM_SRC_ENV, log);
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
		snprintf(buf, len, "environment %s", names[f].libkeepalive);
		break;
	case KASHIM_SRC_ENV:
		snprintf(buf, len, "environment %s", names[f].env);
		break;
	default:
		snprintf(buf, len, "default");
		break;
	}
	return buf;
}
