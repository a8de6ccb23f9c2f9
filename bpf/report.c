// SPDX-License-Identifier: MIT
/*
 * report.c - `kashim-bpf status`: the pinned attachments as a table, as one
 * JSON document, or their counters in the Prometheus text exposition
 * format (what node_exporter's textfile collector and a scrape read).
 *
 * Whatever cannot be read (an attachment of another build: its settings or
 * counters map of another layout) is shown as unreadable: "?" in the table,
 * absent in JSON (with "settings_readable"/"counters_readable" false) and
 * in Prometheus (kashim_bpf_counters_readable 0), never as zeros.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "loader.h"

/* Contract: the length of the valid UTF-8 sequence at @p (1..4), 0 when
 * the bytes there are not one (overlong, surrogate, past U+10FFFF, cut). */
static size_t utf8_len(const unsigned char *p)
{
	size_t n;
	unsigned cp;

	if (*p < 0x80)
		return 1;
	if (*p >= 0xc2 && *p <= 0xdf)
		n = 2, cp = *p & 0x1f;
	else if (*p >= 0xe0 && *p <= 0xef)
		n = 3, cp = *p & 0x0f;
	else if (*p >= 0xf0 && *p <= 0xf4)
		n = 4, cp = *p & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
		return 0;
	if (n == 4 && (cp < 0x10000 || cp > 0x10ffff))
		return 0;
	return n;
}

/* Contract: @s on @out as the inside of a JSON string (@prom false) or of
 * a Prometheus label value (@prom true): valid UTF-8 as it is, each byte
 * that is not part of a valid sequence as the text \udc80..\udcff (in JSON
 * the code points U+DC80..U+DCFF, Python's surrogateescape: os.fsencode()
 * gives the name's bytes back; in a label value those six characters, the
 * backslash escaped). JSON escapes '"', '\\' and control characters;
 * Prometheus only '"', '\\' and newline (its only escapes). */
static void put_escaped(FILE *out, const char *s, bool prom)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = utf8_len(p);

		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (prom && *p == '\n')
			fputs("\\n", out);
		else if (!prom && *p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else if (n)
			fwrite(p, 1, n, out);
		else
			fprintf(out, "%s%04x", prom ? "\\\\u" : "\\u", 0xdc00 | *p);
		p += n ? n : 1;
	}
}

/* Contract: @s as a JSON string on @out. */
static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	put_escaped(out, s, false);
	fputc('"', out);
}

/* Contract: the cgroup an attachment is shown under: its directory while
 * it lives, else the one it was attached to (when its settings are
 * readable), else @fallback. */
static const char *shown_cgroup(const struct kb_attachment *a, const char *fallback)
{
	if (!a->stale)
		return a->path;
	return a->have_conf ? a->conf.cgroup : fallback;
}

/* The count of outcome KASHIM_BPF_OUT_@o in counters @k. */
#define KB_OUT(k, o) ((unsigned long long)(k)->outcome[KASHIM_BPF_OUT_##o - 1])

/* Contract: the counters of @a as JSON members (", \"configured\": N..."). */
static void json_counts(FILE *out, const struct kb_attachment *a)
{
	const struct kashim_bpf_counts *k = &a->counts;

	fprintf(out, ", \"counters_readable\": %s", a->have_counts ? "true" : "false");
	if (!a->have_counts)
		return;
	fprintf(out, ", \"configured\": %llu, \"left_alone\": %llu, \"app_chose\": %llu, "
		"\"overridden\": %llu, \"exempt\": %llu, \"rule_matched\": %llu, \"vetoed\": %llu, "
		"\"failed\": %llu",
		KB_OUT(k, CONFIGURED), KB_OUT(k, APP_CHOSE) + KB_OUT(k, EXEMPT), KB_OUT(k, APP_CHOSE),
		KB_OUT(k, OVERRIDDEN), KB_OUT(k, EXEMPT), (unsigned long long)k->rule_matched,
		(unsigned long long)k->vetoed, (unsigned long long)k->failed);
}

/* Contract: the settings of @a as JSON members, with their sources. */
static void json_conf(FILE *out, const struct kb_attachment *a)
{
	const struct kashim_bpf_conf *c = &a->conf;
	char src[512];

	fprintf(out, ", \"settings_readable\": %s", a->have_conf ? "true" : "false");
	if (!a->have_conf)
		return;
	fprintf(out, ", \"keepalive\": %s, \"idle\": %d, \"interval\": %d, \"count\": %d, "
		"\"user_timeout\": %d, \"user_timeout_auto\": %s, \"override\": %s, \"sources\": {",
		c->keepalive ? "true" : "false", c->idle, c->interval, c->count, c->user_timeout,
		c->user_timeout_auto ? "true" : "false", c->override ? "true" : "false");
	for (int f = 0; f < KASHIM_NFIELDS; f++) {
		fprintf(out, "%s\"%s\": ", f ? ", " : "", kashim_field_name(f));
		json_string(out, kb_source_text(c, f, src, sizeof src));
	}
	fputc('}', out);
}

/* Contract: the attachments as one JSON document on @out. */
static void report_json(FILE *out, const struct kb_attachment *list, size_t n)
{
	fprintf(out, "{\"attachments\": [");
	for (size_t i = 0; i < n; i++) {
		const struct kb_attachment *a = &list[i];

		fprintf(out, "%s\n  {\"cgroup\": ", i ? "," : "");
		json_string(out, shown_cgroup(a, ""));
		fprintf(out, ", \"cgroup_id\": %llu, \"stale\": %s, \"detached\": %s, \"pins\": ",
			(unsigned long long)a->cgroup_id, a->stale ? "true" : "false",
			a->detached ? "true" : "false");
		json_string(out, a->dir);
		json_conf(out, a);
		json_counts(out, a);
		fprintf(out, ", \"sock_ops_run_time_ns\": %llu, \"sock_ops_run_cnt\": %llu, "
			"\"setsockopt_run_time_ns\": %llu, \"setsockopt_run_cnt\": %llu}",
			(unsigned long long)a->run_time_ns[0], (unsigned long long)a->run_cnt[0],
			(unsigned long long)a->run_time_ns[1], (unsigned long long)a->run_cnt[1]);
	}
	fprintf(out, "%s]}\n", n ? "\n" : "");
}

/* Contract: @v right-aligned in @width columns, "?" when not @known. */
static void table_count(FILE *out, bool known, __u64 v, int width)
{
	if (known)
		fprintf(out, " %*llu", width, (unsigned long long)v);
	else
		fprintf(out, " %*s", width, "?");
}

/* Contract: one table line for @a on @out. */
static void table_line(FILE *out, const struct kb_attachment *a)
{
	const struct kashim_bpf_conf *c = &a->conf;
	const struct kashim_bpf_counts *k = &a->counts;

	fprintf(out, "%-40s", shown_cgroup(a, a->dir));
	if (a->have_conf)
		fprintf(out, " %-9s %5d %5d %4d %12d %8s", c->keepalive ? "on" : "exempt", c->idle,
			c->interval, c->count, c->user_timeout, c->override ? "on" : "off");
	else
		fprintf(out, " %-9s %5s %5s %4s %12s %8s", "?", "?", "?", "?", "?", "?");
	table_count(out, a->have_counts, KB_OUT(k, CONFIGURED), 10);
	table_count(out, a->have_counts, KB_OUT(k, APP_CHOSE), 9);
	table_count(out, a->have_counts, KB_OUT(k, OVERRIDDEN), 10);
	table_count(out, a->have_counts, KB_OUT(k, EXEMPT), 7);
	if (!a->have_conf || !a->have_counts)
		/* Left by another build (a layout that differs): nothing to
		 * show as if it were ours. */
		fprintf(out, "  (another build: %s%s%s; kashim-bpf attach again replaces it)",
			a->have_conf ? "" : "settings unreadable",
			a->have_conf || a->have_counts ? "" : ", ",
			a->have_counts ? "" : "counters unreadable");
	if (a->stale)
		fputs("  (stale: cgroup removed; kashim-bpf detach --stale)", out);
	else if (a->detached)
		fputs("  (detached elsewhere: not in force; kashim-bpf attach again)", out);
	fputc('\n', out);
}

/* Contract: the attachments as a table on @out. */
static void report_table(FILE *out, const struct kb_attachment *list, size_t n)
{
	if (!n) {
		fprintf(out, "no kashim-bpf attachment\n");
		return;
	}
	fprintf(out, "%-40s %-9s %5s %5s %4s %12s %8s %10s %9s %10s %7s\n", "CGROUP", "KEEPALIVE",
		"IDLE", "INTVL", "CNT", "USER_TIMEOUT", "OVERRIDE", "CONFIGURED", "APP_CHOSE",
		"OVERRIDDEN", "EXEMPT");
	for (size_t i = 0; i < n; i++)
		table_line(out, &list[i]);
}

/* The Prometheus series, in output order, one family per name (HELP and
 * TYPE once): a counter of struct kashim_bpf_counts (at @field, with an
 * outcome label or none), or a gauge computed from the attachment. */
enum prom_gauge { PROM_COUNTER, PROM_IN_FORCE, PROM_READABLE };

static const char prom_connections_help[] =
	"TCP connection ends (connects made, connections accepted) in the cgroup or below that "
	"kashim-bpf's programs ran for, by what they got: configured, app_chose (SO_KEEPALIVE "
	"left to the application), overridden (the application's replaced), exempt (keepalive "
	"off there).";

static const struct prom_family {
	const char *name, *type, *help, *outcome;
	size_t field;         /* offsetof(struct kashim_bpf_counts, ...) */
	enum prom_gauge gauge;
} prom_families[] = {
#define KB_COUNTER(name, help, outcome, field) \
	{name, "counter", help, outcome, offsetof(struct kashim_bpf_counts, field), PROM_COUNTER}
#define KB_OUTCOME(label, o)                                                       \
	KB_COUNTER("kashim_bpf_connections_total", prom_connections_help, label, \
		   outcome[KASHIM_BPF_OUT_##o - 1])
	KB_OUTCOME("configured", CONFIGURED),
	KB_OUTCOME("app_chose", APP_CHOSE),
	KB_OUTCOME("overridden", OVERRIDDEN),
	KB_OUTCOME("exempt", EXEMPT),
	KB_COUNTER("kashim_bpf_rule_matched_connections_total",
		   "Of kashim_bpf_connections_total, those whose settings came from a "
		   "destination or listen rule.", NULL, rule_matched),
	KB_COUNTER("kashim_bpf_vetoed_calls_total",
		   "Keepalive setsockopt() calls of applications vetoed (override on).", NULL,
		   vetoed),
	KB_COUNTER("kashim_bpf_failures_total",
		   "Keepalive options the kernel refused to set, and connections without socket "
		   "storage.", NULL, failed),
#undef KB_OUTCOME
#undef KB_COUNTER
	{"kashim_bpf_attachment_in_force", "gauge",
	 "1 while the attachment's programs run for its cgroup; 0 when the cgroup was removed "
	 "(stale) or its links were detached elsewhere.", NULL, 0, PROM_IN_FORCE},
	{"kashim_bpf_counters_readable", "gauge",
	 "1 when the attachment's counters could be read; 0 when they are another build's (another "
	 "layout), and its counter series are absent.", NULL, 0, PROM_READABLE},
};

/* Contract: one sample of family @f for attachment @a on @out, or nothing
 * when its counters are unreadable. */
static void prom_sample(FILE *out, const struct prom_family *f, const struct kb_attachment *a)
{
	unsigned long long v;

	if (f->gauge == PROM_IN_FORCE)
		v = !a->stale && !a->detached;
	else if (f->gauge == PROM_READABLE)
		v = a->have_counts;
	else if (a->have_counts)
		v = *(const __u64 *)((const char *)&a->counts + f->field);
	else
		return;
	fprintf(out, "%s{cgroup=\"", f->name);
	put_escaped(out, shown_cgroup(a, a->dir), true);
	fprintf(out, "\",cgroup_id=\"%llu\"", (unsigned long long)a->cgroup_id);
	if (f->outcome)
		fprintf(out, ",outcome=\"%s\"", f->outcome);
	fprintf(out, "} %llu\n", v);
}

/* Contract: the attachments' counters in the Prometheus text format on
 * @out: each family once (HELP, TYPE), its samples together. */
static void report_prometheus(FILE *out, const struct kb_attachment *list, size_t n)
{
	const size_t nf = sizeof prom_families / sizeof prom_families[0];

	for (size_t i = 0; i < nf; i++) {
		const struct prom_family *f = &prom_families[i];

		if (i == 0 || strcmp(f->name, prom_families[i - 1].name))
			fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name,
				f->type);
		for (size_t j = 0; j < n; j++)
			prom_sample(out, f, &list[j]);
	}
}

/* Contract: see loader.h. */
void kb_report(FILE *out, const struct kb_attachment *list, size_t n, enum kb_report how)
{
	if (how == KB_REPORT_JSON)
		report_json(out, list, n);
	else if (how == KB_REPORT_PROMETHEUS)
		report_prometheus(out, list, n);
	else
		report_table(out, list, n);
}
