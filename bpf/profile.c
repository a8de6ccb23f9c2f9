// SPDX-License-Identifier: MIT
/*
 * profile.c - the settings and rules of one attachment, resolved by the
 * shim's own config code (kashim_conffile_load_cgroup(), which builds a
 * cgroup section's profile as the compiled form's program profiles are
 * built) so keys, ranges, messages and precedence are the same: defaults <
 * keepalive.conf top level < its `cgroup "..."` section < kashim-bpf's
 * options (which take the place the environment has for the shim); rules:
 * the section's in file order, then the top level's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../config/conffile.h"
#include "../config/rules.h"
#include "loader.h"

#ifndef KASHIM_SYSCONF_PATH
#define KASHIM_SYSCONF_PATH "/etc/keepalive.conf"
#endif

/* Options use the shim's environment slot: the highest precedence. */
#define KB_SRC_OPTION KASHIM_SRC_ENV

/* Contract: field @f's option as messages name it: "-i/--idle", "--off". */
static const char *option_name(enum kashim_field f, char *buf, size_t len)
{
	const struct kashim_field_info *i = kashim_field_info(f);

	if (i->short_opt)
		snprintf(buf, len, "-%c/--%s", i->short_opt, i->long_opt);
	else
		snprintf(buf, len, "--%s", i->long_opt);
	return buf;
}

/* Contract: see loader.h. */
const char *kb_default_config(void)
{
	return KASHIM_SYSCONF_PATH;
}

/* Contract: see loader.h. */
bool kb_option_set(struct kb_options *o, enum kashim_field f, const char *opt, const char *text)
{
	const struct kashim_field_info *i = kashim_field_info(f);
	long v;

	if (!i)
		return false;
	/* An on/off setting's option is a flag: the opposite of its default. */
	if (i->kind == KASHIM_KIND_BOOL) {
		v = !i->dflt;
	} else if (!kashim_field_parse(f, text, &v)) {
		kb_err("%s must be a whole number of %s from %ld to %ld%s, not '%s'", opt, i->unit, i->min,
		       i->max, i->kind == KASHIM_KIND_MS ? " or auto" : "", text);
		return false;
	}
	kashim_settings_set(&o->values, f, v, KASHIM_SRC_DEFAULT);
	o->mask |= 1u << f;
	return true;
}

/* Contract: the config code's messages, one "kashim-bpf: " line each. */
static void log_stderr(void *ctx, enum kashim_level level, const char *msg)
{
	(void)ctx;
	(void)level;
	kb_err("%s", msg);
}

struct match_ctx {
	const struct kb_cgroup *cg;
	const char *section;
	bool matched;
};

/* A section applies when its title names the same cgroup (by id), or, with
 * -s, when it is exactly the title asked for. */
static bool match_title(void *ctx, const char *title)
{
	struct match_ctx *m = ctx;
	struct kb_cgroup other;
	char why[256];

	if (m->section)
		m->matched = !strcmp(title, m->section);
	else
		m->matched = kb_cgroup_resolve(title, &other, why, sizeof why) == KB_EXIT_OK &&
			     other.id == m->cg->id;
	return m->matched;
}

/* Contract: the profile of @cg from the config file (one resolution:
 * its settings and rules), with the options on top of the settings; on
 * KB_EXIT_OK the caller free()s p->title and p->rules. */
static int profile_resolve(const struct kb_cgroup *cg, const struct kb_options *o,
			   struct kashim_conf_profile *p)
{
	const struct kashim_logger log = {.write = log_stderr};
	struct match_ctx m = {.cg = cg, .section = o->section};
	const struct kashim_conf_cgroup_query q = {.match = match_title, .ctx = &m};
	const char *path = o->config ? o->config : kb_default_config();
	struct kashim_settings base;
	enum kashim_conf_result r;

	kashim_settings_defaults(&base);
	r = kashim_conffile_load_cgroup(path, &q, &base, p, &log);
	if (r == KASHIM_CONF_INVALID) {
		kb_err("%s is not valid; nothing changed", path);
		return KB_EXIT_USAGE;
	}
	if (r == KASHIM_CONF_MISSING && o->config) {
		kb_err("-c %s: no such file", path);
		return KB_EXIT_USAGE;
	}
	if (o->section && !m.matched) {
		kb_err("-s %s: no cgroup section \"%s\" in %s", o->section, o->section, path);
		free((char *)p->title);
		free(p->rules);
		return KB_EXIT_USAGE;
	}
	snprintf(p->settings.file, sizeof p->settings.file, "%s", path);
	for (int f = 0; f < KASHIM_NFIELDS; f++)
		if (o->mask & (1u << f))
			kashim_settings_copy_field(&p->settings, &o->values, f, KB_SRC_OPTION);
	kashim_settings_finish(&p->settings);
	return KB_EXIT_OK;
}

/* One rule of the file into @out: its SPEC, and @base with the keys the
 * rule sets on top (but not over an option), derived again. */
static void rule_to_conf(const struct kashim_rule *rule, const struct kashim_settings *base, unsigned mask,
			 struct kashim_bpf_rule *out)
{
	struct kashim_settings r = *base;
	const struct kashim_spec *sp = &rule->spec;

	for (int f = 0; f < KASHIM_NFIELDS; f++)
		if (rule->settings.source[f] == KASHIM_SRC_RULE && !(mask & (1u << f)))
			kashim_settings_copy_field(&r, &rule->settings, f, KASHIM_SRC_RULE);
	kashim_settings_finish(&r);
	memset(out, 0, sizeof *out);
	out->listen = rule->kind == KASHIM_RULE_LISTEN;
	out->family = sp->family;
	out->nports = sp->nports < KASHIM_BPF_RULE_PORTS ? sp->nports : KASHIM_BPF_RULE_PORTS;
	out->v4 = sp->v4;
	out->v4mask = sp->v4mask;
	for (int i = 0; i < 2; i++) {
		out->v6[i] = sp->v6[i];
		out->v6mask[i] = sp->v6mask[i];
	}
	for (unsigned i = 0; i < out->nports; i++) {
		out->port_lo[i] = sp->ports[i].lo;
		out->port_hi[i] = sp->ports[i].hi;
	}
	out->keepalive = r.keepalive;
	out->idle = r.idle;
	out->interval = r.interval;
	out->count = r.count;
	out->user_timeout = (__s32)r.user_timeout;
}

/* Contract: the profile's rules @rules into @conf, each on top of the
 * settings @s (options in @mask still win); KB_EXIT_USAGE after one line
 * naming the file and the first rule over when there are more than the
 * programs hold. */
static int rules_to_conf(const struct kashim_ruleset *rules, const struct kashim_settings *s,
			 unsigned mask, struct kashim_bpf_conf *conf)
{
	char whose[200] = "";

	if (!rules)
		return KB_EXIT_OK;
	if (rules->n > KASHIM_BPF_RULES_MAX) {
		if (s->section[0])
			snprintf(whose, sizeof whose, " (cgroup section \"%s\"'s, then the top level's)",
				 s->section);
		kb_err("%s: %s: %u destination and listen rules%s; the kernel backend holds at most %d",
		       s->file, rules->rule[KASHIM_BPF_RULES_MAX].settings.rule, rules->n, whose,
		       KASHIM_BPF_RULES_MAX);
		return KB_EXIT_USAGE;
	}
	for (unsigned i = 0; i < rules->n; i++)
		rule_to_conf(&rules->rule[i], s, mask, &conf->rules[i]);
	conf->nrules = rules->n;
	return KB_EXIT_OK;
}

/* Contract: the programs' settings for @cg from profile @p (built with
 * @o); see kb_profile_build(). */
static int profile_to_conf(const struct kashim_conf_profile *p, const struct kb_options *o,
			   const struct kb_cgroup *cg, struct kashim_bpf_conf *conf)
{
	const struct kashim_settings *s = &p->settings;

	memset(conf, 0, sizeof *conf);
	conf->instance = cg->id;
	conf->keepalive = s->keepalive;
	conf->override = s->override;
	conf->idle = s->idle;
	conf->interval = s->interval;
	conf->count = s->count;
	conf->user_timeout = (__s32)s->user_timeout;
	conf->user_timeout_auto = s->user_timeout_auto;
	for (int f = 0; f < KASHIM_NFIELDS; f++)
		conf->source[f] = s->source[f];
	conf->cli_mask = o->mask | (o->section ? KB_CLI_SECTION : 0);
	snprintf(conf->cgroup, sizeof conf->cgroup, "%s", cg->path);
	snprintf(conf->file, sizeof conf->file, "%s", s->file);
	snprintf(conf->section, sizeof conf->section, "%s", s->section);
	return rules_to_conf(p->rules, s, o->mask, conf);
}

/* Contract: see loader.h. */
int kb_profile_build(const struct kb_cgroup *cg, const struct kb_options *o,
		     struct kashim_bpf_conf *conf, struct kashim_ruleset **rules)
{
	struct kashim_conf_profile p;
	int rc;

	if (rules)
		*rules = NULL;
	memset(conf, 0, sizeof *conf);
	if ((rc = profile_resolve(cg, o, &p)) != KB_EXIT_OK)
		return rc;
	rc = profile_to_conf(&p, o, cg, conf);
	free((char *)p.title);
	if (rc == KB_EXIT_OK && rules)
		*rules = p.rules;
	else
		free(p.rules);
	return rc;
}

/* Contract: see loader.h. */
void kb_profile_options_from_conf(const struct kashim_bpf_conf *conf, struct kb_options *o)
{
	memset(o, 0, sizeof *o);
	kashim_settings_defaults(&o->values);
	o->mask = conf->cli_mask & ~KB_CLI_SECTION;
	o->section = conf->cli_mask & KB_CLI_SECTION ? conf->section : NULL;
	/* A file named with -c must still exist; the default one need not. */
	o->config = conf->file[0] && strcmp(conf->file, kb_default_config()) ? conf->file : NULL;
	o->values.keepalive = conf->keepalive;
	o->values.override = conf->override;
	o->values.idle = conf->idle;
	o->values.interval = conf->interval;
	o->values.count = conf->count;
	o->values.user_timeout = conf->user_timeout_auto ? 0 : conf->user_timeout;
	o->values.user_timeout_auto = conf->user_timeout_auto;
}

/* Contract: see loader.h. */
const char *kb_source_text(const struct kashim_bpf_conf *conf, enum kashim_field f, char *buf, size_t len)
{
	switch (conf->source[f]) {
	case KASHIM_SRC_FILE:
		snprintf(buf, len, "file %s", conf->file);
		break;
	case KASHIM_SRC_SECTION:
		snprintf(buf, len, "cgroup section \"%s\" in %s", conf->section, conf->file);
		break;
	case KB_SRC_OPTION: {
		char name[48];

		snprintf(buf, len, "option %s", option_name(f, name, sizeof name));
		break;
	}
	default:
		snprintf(buf, len, "default");
		break;
	}
	return buf;
}

/* Contract: see loader.h. */
void kb_profile_explain(FILE *out, const struct kb_cgroup *cg, const struct kashim_bpf_conf *conf)
{
	char src[512];

	fprintf(out, "cgroup        %s (id %llu)\n", cg->path, (unsigned long long)cg->id);
	fprintf(out, "keepalive     %-10s %s\n", conf->keepalive ? "on" : "off (exempt)",
		kb_source_text(conf, KASHIM_F_KEEPALIVE, src, sizeof src));
	fprintf(out, "idle          %-10d %s\n", conf->idle, kb_source_text(conf, KASHIM_F_IDLE, src, sizeof src));
	fprintf(out, "interval      %-10d %s\n", conf->interval,
		kb_source_text(conf, KASHIM_F_INTERVAL, src, sizeof src));
	fprintf(out, "count         %-10d %s\n", conf->count, kb_source_text(conf, KASHIM_F_COUNT, src, sizeof src));
	fprintf(out, "user_timeout  %-10d %s%s\n", conf->user_timeout,
		kb_source_text(conf, KASHIM_F_USER_TIMEOUT, src, sizeof src),
		conf->user_timeout_auto ? " (auto)" : "");
	fprintf(out, "override      %-10s %s\n", conf->override ? "on" : "off",
		kb_source_text(conf, KASHIM_F_OVERRIDE, src, sizeof src));
}

struct list_ctx {
	void (*each)(void *ctx, const char *title);
	void *ctx;
};

/* Contract: hands @title to the list callback; never matches. */
static bool list_title(void *ctx, const char *title)
{
	struct list_ctx *l = ctx;

	l->each(l->ctx, title);
	return false;
}

/* Contract: see loader.h. */
int kb_profile_sections(const char *path, void (*each)(void *ctx, const char *title), void *ctx)
{
	const struct kashim_logger log = {.write = log_stderr};
	struct list_ctx l = {.each = each, .ctx = ctx};
	const struct kashim_conf_cgroup_query q = {.match = list_title, .ctx = &l};
	struct kashim_conf_profile p;
	struct kashim_settings s;
	enum kashim_conf_result r;

	kashim_settings_defaults(&s);
	r = kashim_conffile_load_cgroup(path, &q, &s, &p, &log);
	free((char *)p.title);
	free(p.rules);
	if (r == KASHIM_CONF_MISSING) {
		kb_err("%s: no such file", path);
		return KB_EXIT_USAGE;
	}
	if (r == KASHIM_CONF_INVALID) {
		kb_err("%s is not valid; nothing changed", path);
		return KB_EXIT_USAGE;
	}
	return KB_EXIT_OK;
}
