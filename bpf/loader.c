// SPDX-License-Identifier: MIT
/*
 * loader.c - kashim-bpf: attach kashim's sock_ops and cgroup/setsockopt
 * programs to cgroups, so every TCP connection made or accepted by their
 * processes gets keepalive, with no preload and no system call in them.
 *
 *   kashim-bpf attach [OPTIONS] CGROUP | attach --all   (also --dry-run)
 *   kashim-bpf explain [OPTIONS] CGROUP
 *   kashim-bpf detach CGROUP | detach --stale | detach [-c FILE] --all
 *   kashim-bpf status [--json | --prometheus]
 *   kashim-bpf reload [-c FILE] [CGROUP]
 *   kashim-bpf --systemd-dropin UNIT
 *
 * Nothing keeps running: the links are pinned in bpffs (pins.c).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loader.h"

#ifndef KASHIM_VERSION
#define KASHIM_VERSION "unknown"
#endif

/* Contract: see loader.h. */
void kb_err(const char *fmt, ...)
{
	va_list ap;

	fputs("kashim-bpf: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Contract: prints the usage text on @out. */
static void usage(FILE *out)
{
	fprintf(out,
		"usage: kashim-bpf attach [OPTION]... [--dry-run] CGROUP\n"
		"       kashim-bpf attach [-c FILE] [--evict] --all\n"
		"       kashim-bpf explain [OPTION]... [--to HOST:PORT | --listen [HOST:]PORT] CGROUP\n"
		"       kashim-bpf detach CGROUP | --stale | [-c FILE] --all\n"
		"       kashim-bpf status [--json | --prometheus]\n"
		"       kashim-bpf reload [-c FILE] [CGROUP]\n"
		"       kashim-bpf --systemd-dropin UNIT\n"
		"\n"
		"Give every TCP connection made or accepted in a cgroup keepalive, from the\n"
		"kernel (cgroup BPF sock_ops), for programs the preload cannot reach.\n"
		"CGROUP is a cgroup v2 directory, a path below the cgroup2 mount, or a\n"
		"systemd unit name (web.service, x.slice). Settings: defaults < %s\n"
		"top level < its cgroup \"...\" section < these options.\n"
		"\n"
		"  -c, --config FILE        read FILE instead (it must exist)\n"
		"  -s, --section TITLE      apply the cgroup section TITLE, whatever it names\n"
		"  -i, --idle SECONDS       idle time before the first probe, 1..%d\n"
		"  -n, --interval SECONDS   time between probes, 1..%d\n"
		"  -k, --count COUNT        unanswered probes before the drop, 1..%d\n"
		"  -u, --user-timeout MS|auto  TCP_USER_TIMEOUT, 0..%ld (0 leaves the kernel's)\n"
		"      --off                exempt CGROUP: its connections are left alone,\n"
		"                           even when a parent cgroup has an attachment\n"
		"      --override           veto the programs' own keepalive setsockopt()\n"
		"      --dry-run            attach: show what CGROUP would get, change nothing\n"
		"      --evict              attach even when a parent's program attached with\n"
		"                           BPF_F_ALLOW_OVERRIDE then stops running for CGROUP\n"
		"      --all                attach, detach: every cgroup section of the config file\n"
		"      --to HOST:PORT       explain: for a connection made to HOST:PORT, the\n"
		"                           destination rule that applies\n"
		"      --listen [HOST:]PORT explain: the same for a connection accepted there\n"
		"      --stale              detach: every attachment whose cgroup was removed\n"
		"      --json               status: JSON output\n"
		"      --prometheus         status: the counters in Prometheus text format\n"
		"  -h, --help               show this help\n"
		"  -V, --version            show the version\n"
		"\n"
		"Exit status: 0 done, 1 the kernel or system refused (reason given: no\n"
		"BPF, no cgroup2, not root), 2 bad input. See kashim-bpf(8).\n",
		kb_default_config(), KASHIM_IDLE_MAX, KASHIM_INTERVAL_MAX, KASHIM_COUNT_MAX,
		KASHIM_USER_TIMEOUT_MAX);
}

static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Contract: one line naming what was wrong, then the help hint; returns 2. */
static int bad_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("kashim-bpf: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (try 'kashim-bpf --help')\n", stderr);
	return KB_EXIT_USAGE;
}

/* Contract: KB_EXIT_OK as root, else one line and KB_EXIT_REFUSED. */
static int need_root(const char *what)
{
	if (geteuid() == 0)
		return KB_EXIT_OK;
	kb_err("%s needs root (it loads BPF programs and pins them in %s)", what, KB_BPFFS);
	return KB_EXIT_REFUSED;
}

/* Contract: resolves @name into @cg, or prints one line and returns the
 * status to exit with. */
static int resolve(const char *name, struct kb_cgroup *cg)
{
	char why[2300];
	int rc = kb_cgroup_resolve(name, cg, why, sizeof why);

	if (rc == KB_EXIT_USAGE)
		kb_err("unknown cgroup '%s': %s", name, why);
	return rc;
}

/* Contract: one line on stdout saying what @verb (attached...) did. */
static void print_settings(const char *verb, const char *cgroup, const struct kashim_bpf_conf *c)
{
	if (!c->keepalive)
		printf("%s %s: exempt (keepalive off: its connections are left alone)\n", verb, cgroup);
	else
		printf("%s %s: keepalive idle %d s, interval %d s, count %d, user_timeout %d ms%s\n", verb,
		       cgroup, c->idle, c->interval, c->count, c->user_timeout,
		       c->override ? ", override" : "");
}

/* ---- attach / explain --------------------------------------------------- */

/* Contract: kb_attach, then one line saying what it did; its status. */
static int attach_print(const struct kb_cgroup *cg, const struct kashim_bpf_conf *conf, bool evict)
{
	enum kb_attach_result result;
	const char *why;
	char verb[128];
	int rc = kb_attach(cg, conf, evict, &result, &why);

	if (rc != KB_EXIT_OK)
		return rc;
	if (result == KB_REPLACED)
		snprintf(verb, sizeof verb, "replaced the pinned attachment (%s) of", why);
	else
		snprintf(verb, sizeof verb, "%s", result == KB_UPDATED ? "updated" : "attached");
	print_settings(verb, cg->path, conf);
	return KB_EXIT_OK;
}

struct titles {
	char **v;
	size_t n;
};

/* Contract: appends a copy of @title to the struct titles @ctx (dropped
 * when out of memory). */
static void add_title(void *ctx, const char *title)
{
	struct titles *t = ctx;
	char **v = realloc(t->v, (t->n + 1) * sizeof *v);

	if (!v)
		return;
	t->v = v;
	if ((t->v[t->n] = strdup(title)))
		t->n++;
}

/* Contract: true when programs are pinned for systemd unit @name. */
static bool unit_pinned(const char *name)
{
	char dir[512];

	return kb_is_unit_name(name) && access(kb_unit_pin_dir(name, dir, sizeof dir), F_OK) == 0;
}

/* attach --all, one section @title (the @i-th): its settings for @cg,
 * explained (@dry_run), pinned for systemd (@unit: a unit whose cgroup does
 * not exist yet) or attached. Returns an exit status. */
static int attach_section(const struct kb_options *given, const char *title, struct kb_cgroup *cg,
			  bool unit, bool dry_run)
{
	struct kb_options o = *given;
	struct kashim_bpf_conf conf;
	char dir[2300];
	int rc;

	o.section = title;
	if ((rc = kb_profile_build(cg, &o, &conf, NULL)) != KB_EXIT_OK)
		return rc;
	if (dry_run) {
		kb_profile_explain(stdout, cg, &conf);
		return KB_EXIT_OK;
	}
	if (unit) {
		bool updated;

		if (kb_pin_programs(title, &conf, &updated) != KB_EXIT_OK)
			return KB_EXIT_REFUSED;
		if (updated)
			print_settings("updated the programs pinned for", title, &conf);
		else
			printf("pinned programs for %s in %s (BPFProgram=, see --systemd-dropin)\n", title,
			       kb_unit_pin_dir(title, dir, sizeof dir));
		return KB_EXIT_OK;
	}
	return attach_print(cg, &conf, o.evict);
}

/* attach --all: the cgroup of section @i of @t into @cg and @ids[@i]; with
 * *@unit, programs pinned for systemd (the unit not started yet, or its
 * programs pinned already). *@skip after reporting a section that does
 * not apply (its cgroup missing, or named by an earlier section: the first
 * applies, as for one cgroup); returns what it adds to the exit status. */
static int section_cgroup(const char *path, const struct titles *t, size_t i, uint64_t *ids,
			  struct kb_cgroup *cg, bool *unit, bool *skip)
{
	char why[2300];
	size_t first;
	int rc = kb_cgroup_resolve(t->v[i], cg, why, sizeof why);

	if (rc == KB_EXIT_OK && unit_pinned(t->v[i])) {
		/* systemd attaches the unit's pinned programs: they get the
		 * settings, no second copy. */
		*unit = true;
	} else if (rc != KB_EXIT_OK && cg->unit_not_found) {
		/* Not started yet: programs for systemd to attach. */
		memset(cg, 0, sizeof *cg);
		snprintf(cg->path, sizeof cg->path, "unit %s", t->v[i]);
		cg->id = (1ull << 63) | (uint64_t)i;
		*unit = true;
	} else if (rc != KB_EXIT_OK) {
		kb_err("%s: cgroup section \"%s\": %s; skipped", path, t->v[i], why);
		*skip = true;
		/* A unit found twice is an error; a path not there yet (a
		 * cgroup made later) is not. */
		return kb_is_unit_name(t->v[i]) ? rc : KB_EXIT_OK;
	}
	ids[i] = cg->id;
	for (first = 0; first < i && ids[first] != cg->id && !(*unit && !strcmp(t->v[first], t->v[i]));)
		first++;
	if (first < i) {
		kb_err("%s: cgroup section \"%s\" names the same cgroup as section \"%s\" before it, "
		       "which applies; skipped", path, t->v[i], t->v[first]);
		*skip = true;
	}
	return KB_EXIT_OK;
}

/* attach --all: every cgroup section of the file. A section naming a
 * systemd unit whose cgroup does not exist yet gets its programs pinned for
 * BPFProgram= (kashim-bpf --systemd-dropin); others that do not resolve are
 * reported and skipped, the rest attached. */
static int attach_all(const struct kb_options *given, bool dry_run)
{
	const char *path = given->config ? given->config : kb_default_config();
	struct titles t = {0};
	int rc = kb_profile_sections(path, add_title, &t), worst = KB_EXIT_OK;
	uint64_t *ids;

	if (rc != KB_EXIT_OK)
		return rc;
	if (!dry_run && (rc = need_root("attach")) != KB_EXIT_OK)
		return rc;
	if (!dry_run && (rc = kb_pins_prepare()) != KB_EXIT_OK)
		return rc;
	if (t.n == 0)
		printf("%s has no cgroup section: nothing to attach\n", path);
	ids = calloc(t.n ? t.n : 1, sizeof *ids);
	for (size_t i = 0; ids && i < t.n; i++) {
		struct kb_cgroup cg;
		bool unit = false, skip = false;

		rc = section_cgroup(path, &t, i, ids, &cg, &unit, &skip);
		if (!skip)
			rc = attach_section(given, t.v[i], &cg, unit, dry_run);
		if (rc != KB_EXIT_OK && worst == KB_EXIT_OK)
			worst = rc;
	}
	if (!ids) {
		kb_err("out of memory");
		worst = KB_EXIT_REFUSED;
	}
	for (size_t i = 0; i < t.n; i++)
		free(t.v[i]);
	free(t.v);
	free(ids);
	return worst;
}

/* Contract: attach (or, with @dry_run, explain) the settings for CGROUP. */
static int attach_one(const char *name, const struct kb_options *o, bool dry_run)
{
	struct kashim_ruleset *rules = NULL;
	struct kashim_bpf_conf conf;
	struct kb_cgroup cg;
	struct kb_attachment a;
	int rc;

	if ((rc = resolve(name, &cg)) != KB_EXIT_OK)
		return rc;
	if ((rc = kb_profile_build(&cg, o, &conf, dry_run ? &rules : NULL)) != KB_EXIT_OK)
		return rc;
	if (dry_run) {
		kb_profile_explain(stdout, &cg, &conf);
		if (o->has_target)
			kb_target_explain(stdout, &o->target, rules, &conf);
		free(rules);
		if (geteuid() == 0 && kb_read(cg.id, &a))
			printf("attached      yes: kashim-bpf status shows what applies now\n");
		else
			printf("attached      %s\n", geteuid() == 0 ? "no" : "unknown (not root)");
		return KB_EXIT_OK;
	}
	if ((rc = need_root("attach")) != KB_EXIT_OK || (rc = kb_pins_prepare()) != KB_EXIT_OK)
		return rc;
	return attach_print(&cg, &conf, o->evict);
}

/* Contract: the attach and explain commands: parse their options. */
enum { OPT_OFF = 256, OPT_OVERRIDE, OPT_DRY_RUN, OPT_ALL, OPT_EVICT, OPT_TO, OPT_LISTEN };

/* One option of attach/explain into @o (or the flags); KB_EXIT_OK or the
 * exit status of a usage error, already reported. */
static int attach_option(int opt, const char *arg, struct kb_options *o, bool explain, bool *dry_run,
			 bool *all, char **argv)
{
	static const struct {
		int opt;
		enum kashim_field field;
		const char *name;
	} numbers[] = {{'i', KASHIM_F_IDLE, "-i/--idle"},
		       {'n', KASHIM_F_INTERVAL, "-n/--interval"},
		       {'k', KASHIM_F_COUNT, "-k/--count"},
		       {'u', KASHIM_F_USER_TIMEOUT, "-u/--user-timeout"}};

	for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
		if (opt == numbers[i].opt)
			return kb_option_set(o, numbers[i].field, numbers[i].name, arg) ? KB_EXIT_OK : KB_EXIT_USAGE;
	switch (opt) {
	case 'c':
		o->config = arg;
		return KB_EXIT_OK;
	case 's':
		o->section = arg;
		return KB_EXIT_OK;
	case OPT_OFF:
		kb_option_set(o, KASHIM_F_KEEPALIVE, "--off", NULL);
		return KB_EXIT_OK;
	case OPT_OVERRIDE:
		kb_option_set(o, KASHIM_F_OVERRIDE, "--override", NULL);
		return KB_EXIT_OK;
	case OPT_DRY_RUN:
		*dry_run = true;
		return KB_EXIT_OK;
	case OPT_EVICT:
		o->evict = true;
		return KB_EXIT_OK;
	case OPT_TO:
	case OPT_LISTEN:
		if (!explain && !*dry_run)
			return bad_usage("%s goes with explain (or attach --dry-run)", argv[optind - 1]);
		o->has_target = true;
		return kb_target_parse(opt == OPT_TO ? "--to" : "--listen", opt == OPT_LISTEN, arg, &o->target)
			       ? KB_EXIT_OK
			       : KB_EXIT_USAGE;
	case OPT_ALL:
		if (explain)
			return bad_usage("explain takes no --all (use attach --all --dry-run)");
		*all = true;
		return KB_EXIT_OK;
	case ':':
		return bad_usage("option %s needs a value", argv[optind - 1]);
	default:
		return bad_usage("%s: unknown option '%s'", argv[0], argv[optind - 1]);
	}
}

static int cmd_attach(int argc, char **argv, bool explain)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},   {"section", required_argument, NULL, 's'},
		{"idle", required_argument, NULL, 'i'},     {"interval", required_argument, NULL, 'n'},
		{"count", required_argument, NULL, 'k'},    {"user-timeout", required_argument, NULL, 'u'},
		{"off", no_argument, NULL, OPT_OFF},        {"override", no_argument, NULL, OPT_OVERRIDE},
		{"dry-run", no_argument, NULL, OPT_DRY_RUN}, {"all", no_argument, NULL, OPT_ALL},
		{"evict", no_argument, NULL, OPT_EVICT},   {"to", required_argument, NULL, OPT_TO},
		{"listen", required_argument, NULL, OPT_LISTEN},
		{NULL, 0, NULL, 0},
	};
	struct kb_options o;
	bool dry_run = explain, all = false;
	int opt, rc;

	memset(&o, 0, sizeof o);
	kashim_settings_defaults(&o.values);
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":c:s:i:n:k:u:", longopts, NULL)) != -1)
		if ((rc = attach_option(opt, optarg, &o, explain, &dry_run, &all, argv)) != KB_EXIT_OK)
			return rc;
	if (all) {
		if (optind < argc)
			return bad_usage("attach --all takes no CGROUP, got '%s'", argv[optind]);
		if (o.section)
			return bad_usage("attach --all takes no -s (every section applies)");
		return attach_all(&o, dry_run);
	}
	if (optind == argc)
		return bad_usage("%s needs a CGROUP", argv[0]);
	if (argc - optind > 1)
		return bad_usage("%s takes one CGROUP, got also '%s'", argv[0], argv[optind + 1]);
	return attach_one(argv[optind], &o, dry_run);
}

/* ---- detach ------------------------------------------------------------- */

/* detach --stale: every attachment whose cgroup was removed. */
static int detach_stale(void)
{
	struct kb_attachment *list;
	size_t n, removed = 0;
	int rc;

	if ((rc = need_root("detach")) != KB_EXIT_OK || (rc = kb_pins_prepare()) != KB_EXIT_OK)
		return rc;
	list = kb_list(&n);
	for (size_t i = 0; i < n; i++) {
		if (!list[i].stale)
			continue;
		if (kb_detach_id(list[i].cgroup_id) == KB_EXIT_OK) {
			printf("removed the stale attachment of %s (cgroup id %llu, removed)\n",
			       list[i].have_conf ? list[i].conf.cgroup : "?", (unsigned long long)list[i].cgroup_id);
			removed++;
		} else {
			rc = KB_EXIT_REFUSED;
		}
	}
	if (!removed && rc == KB_EXIT_OK)
		printf("no stale attachment\n");
	free(list);
	return rc;
}

/* detach --all, section @title: its attachment detached, or the programs
 * pinned for its unit unpinned; nothing said when it has neither. Counts
 * what it removed in *@done; returns an exit status. */
static int detach_section(const char *title, size_t *done)
{
	struct kb_cgroup cg;
	char why[2300];
	int rc;

	if (kb_is_unit_name(title) && unit_pinned(title)) {
		if ((rc = kb_unpin_unit(title)) != KB_EXIT_OK)
			return rc;
		printf("unpinned the programs for %s\n", title);
		(*done)++;
	}
	if (kb_cgroup_resolve(title, &cg, why, sizeof why) != KB_EXIT_OK)
		return KB_EXIT_OK;
	rc = kb_detach_id(cg.id);
	if (rc == KB_EXIT_USAGE)
		return KB_EXIT_OK;
	if (rc == KB_EXIT_OK) {
		printf("detached %s\n", cg.path);
		(*done)++;
	}
	return rc;
}

/* detach --all: what attach --all made for every cgroup section of the
 * file @config (the default when NULL); other attachments stay. */
static int detach_all(const char *config)
{
	const char *path = config ? config : kb_default_config();
	struct titles t = {0};
	int rc = kb_profile_sections(path, add_title, &t), worst = KB_EXIT_OK;
	size_t done = 0;

	if (rc == KB_EXIT_OK && (rc = need_root("detach")) == KB_EXIT_OK)
		rc = kb_pins_prepare();
	for (size_t i = 0; rc == KB_EXIT_OK && i < t.n; i++) {
		int one = detach_section(t.v[i], &done);

		if (one != KB_EXIT_OK && worst == KB_EXIT_OK)
			worst = one;
	}
	if (rc == KB_EXIT_OK && !done && worst == KB_EXIT_OK)
		printf("no cgroup section of %s has an attachment\n", path);
	for (size_t i = 0; i < t.n; i++)
		free(t.v[i]);
	free(t.v);
	return rc != KB_EXIT_OK ? rc : worst;
}

/* detach CGROUP: its attachment, or the programs pinned for a unit that
 * is not running. */
static int detach_one(const char *name)
{
	struct kb_cgroup cg;
	int rc;

	if (kb_is_unit_name(name) && geteuid() == 0 && kb_cgroup_resolve(name, &cg, (char[8]){0}, 8) != KB_EXIT_OK &&
	    kb_unpin_unit(name) == KB_EXIT_OK) {
		printf("unpinned the programs for %s\n", name);
		return KB_EXIT_OK;
	}
	if ((rc = resolve(name, &cg)) != KB_EXIT_OK)
		return rc;
	if ((rc = need_root("detach")) != KB_EXIT_OK || (rc = kb_pins_prepare()) != KB_EXIT_OK)
		return rc;
	rc = kb_detach_id(cg.id);
	if (rc == KB_EXIT_USAGE)
		kb_err("%s has no kashim-bpf attachment", cg.path);
	else if (rc == KB_EXIT_OK)
		printf("detached %s\n", cg.path);
	return rc;
}

/* Contract: the detach command: CGROUP, --stale or [-c FILE] --all. */
static int cmd_detach(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'}, {"all", no_argument, NULL, 'a'},
		{"stale", no_argument, NULL, 's'},        {NULL, 0, NULL, 0},
	};
	const char *config = NULL;
	bool all = false, stale = false;
	int opt;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":c:", longopts, NULL)) != -1) {
		if (opt == 'c')
			config = optarg;
		else if (opt == 'a' || opt == 's')
			*(opt == 'a' ? &all : &stale) = true;
		else if (opt == ':')
			return bad_usage("option %s needs a value", argv[optind - 1]);
		else
			return bad_usage("detach: unknown option '%s'", argv[optind - 1]);
	}
	if (all + stale + (optind < argc) != 1 || argc - optind > 1)
		return bad_usage("detach takes one CGROUP, --stale or --all");
	if (config && !all)
		return bad_usage("detach: -c goes with --all");
	return all ? detach_all(config) : stale ? detach_stale() : detach_one(argv[optind]);
}

/* ---- status ------------------------------------------------------------- */

/* Contract: the status command; its exit status. */
static int cmd_status(int argc, char **argv)
{
	enum kb_report how = KB_REPORT_TABLE;
	struct kb_attachment *list;
	size_t n;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
			how = KB_REPORT_JSON;
		else if (!strcmp(argv[i], "--prometheus"))
			how = KB_REPORT_PROMETHEUS;
		else
			return bad_usage("status: unknown argument '%s'", argv[i]);
	}
	if ((rc = need_root("status")) != KB_EXIT_OK || (rc = kb_pins_prepare()) != KB_EXIT_OK)
		return rc;
	list = kb_list(&n);
	kb_report(stdout, list, n, how);
	free(list);
	return KB_EXIT_OK;
}

/* ---- reload ------------------------------------------------------------- */

/* Contract: new settings for attachment @a from the config file, keeping
 * the options it was attached with. */
static int reload_one(const struct kb_attachment *a, const char *config)
{
	struct kb_options o;
	struct kashim_bpf_conf conf;
	struct kb_cgroup cg;
	int rc;

	if (a->stale || !a->have_conf)
		return KB_EXIT_OK;
	kb_profile_options_from_conf(&a->conf, &o);
	if (config)
		o.config = config;
	memset(&cg, 0, sizeof cg);
	snprintf(cg.path, sizeof cg.path, "%s", a->path);
	cg.id = a->cgroup_id;
	if ((rc = kb_profile_build(&cg, &o, &conf, NULL)) != KB_EXIT_OK)
		return rc;
	if (config)
		snprintf(conf.file, sizeof conf.file, "%s", config);
	if ((rc = kb_write_conf(cg.id, &conf)) == KB_EXIT_OK)
		print_settings("reloaded", cg.path, &conf);
	return rc;
}

/* Contract: new settings for the programs pinned for systemd unit @unit
 * (its cgroup section, the options it was pinned with); its status. */
static int reload_unit(const char *unit, const char *config)
{
	char dir[512];
	struct kashim_bpf_conf old, conf;
	struct kb_options o;
	struct kb_cgroup cg;
	bool updated;
	int rc;

	if (!kb_read_conf_at(kb_unit_pin_dir(unit, dir, sizeof dir), &old)) {
		kb_err("the programs pinned for %s in %s are from another build of kashim-bpf (their settings "
		       "cannot be read); refused (kashim-bpf detach %s, attach --all, then restart the unit)",
		       unit, dir, unit);
		return KB_EXIT_REFUSED;
	}
	kb_profile_options_from_conf(&old, &o);
	if (config)
		o.config = config;
	o.section = unit;
	if (kb_cgroup_resolve(unit, &cg, (char[8]){0}, 8) != KB_EXIT_OK) {
		memset(&cg, 0, sizeof cg);
		snprintf(cg.path, sizeof cg.path, "unit %s", unit);
	}
	if ((rc = kb_profile_build(&cg, &o, &conf, NULL)) != KB_EXIT_OK)
		return rc;
	if ((rc = kb_pin_programs(unit, &conf, &updated)) == KB_EXIT_OK)
		print_settings("reloaded the programs pinned for", unit, &conf);
	return rc;
}

/* Contract: reload_unit for every unit with pinned programs; the worst
 * status, *@n counted. */
static int reload_units(const char *config, size_t *n)
{
	DIR *d = opendir(KB_PIN_UNITS);
	struct dirent *e;
	struct kashim_bpf_conf conf;
	char dir[600];
	int rc, worst = KB_EXIT_OK;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof dir, "%s/%s", KB_PIN_UNITS, e->d_name);
		/* The unit's name, dots and all, is its section's title. */
		if (!kb_read_conf_at(dir, &conf) || !conf.section[0])
			continue;
		(*n)++;
		if ((rc = reload_unit(conf.section, config)) != KB_EXIT_OK && worst == KB_EXIT_OK)
			worst = rc;
	}
	if (d)
		closedir(d);
	return worst;
}

/* Contract: the reload command; its exit status (the worst of all). */
static int cmd_reload(int argc, char **argv)
{
	const char *config = NULL, *name = NULL;
	struct kb_attachment *list;
	size_t n;
	int rc, worst = KB_EXIT_OK;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) {
			if (++i == argc)
				return bad_usage("option %s needs a value", argv[i - 1]);
			config = argv[i];
		} else if (!strncmp(argv[i], "--config=", 9)) {
			config = argv[i] + 9;
		} else if (argv[i][0] == '-') {
			return bad_usage("reload: unknown option '%s'", argv[i]);
		} else if (name) {
			return bad_usage("reload takes at most one CGROUP");
		} else {
			name = argv[i];
		}
	}
	if (config && access(config, F_OK) < 0) {
		kb_err("-c %s: %s", config, strerror(errno));
		return KB_EXIT_USAGE;
	}
	if (name && unit_pinned(name)) {
		if ((rc = need_root("reload")) != KB_EXIT_OK || (rc = kb_pins_prepare()) != KB_EXIT_OK)
			return rc;
		return reload_unit(name, config);
	}
	if (name) {
		struct kb_cgroup cg;
		struct kb_attachment a;

		if ((rc = resolve(name, &cg)) != KB_EXIT_OK)
			return rc;
		if ((rc = need_root("reload")) != KB_EXIT_OK || (rc = kb_pins_prepare()) != KB_EXIT_OK)
			return rc;
		if (!kb_read(cg.id, &a)) {
			kb_err("%s has no kashim-bpf attachment", cg.path);
			return KB_EXIT_USAGE;
		}
		return reload_one(&a, config);
	}
	if ((rc = need_root("reload")) != KB_EXIT_OK || (rc = kb_pins_prepare()) != KB_EXIT_OK)
		return rc;
	list = kb_list(&n);
	for (size_t i = 0; i < n; i++)
		if ((rc = reload_one(&list[i], config)) != KB_EXIT_OK && worst == KB_EXIT_OK)
			worst = rc;
	free(list);
	list = NULL;
	if ((rc = reload_units(config, &n)) != KB_EXIT_OK && worst == KB_EXIT_OK)
		worst = rc;
	if (!n)
		printf("no kashim-bpf attachment to reload\n");
	free(list);
	return worst;
}

/* ---- --systemd-dropin --------------------------------------------------- */

/* Contract: prints a drop-in that has systemd attach the programs
 * `attach --all` pinned for UNIT; 2 for a bad unit name. */
static int systemd_dropin(int argc, char **argv)
{
	char unit[256], dir[512];
	const char *name;
	size_t len;

	if (argc != 2)
		return bad_usage("--systemd-dropin takes one UNIT and no other option (settings go in the cgroup section)");
	name = argv[1];
	len = strlen(name);
	if (!len || len > 200 || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					      "0123456789:_.@-\\") != len || name[0] == '.' || name[0] == '-' ||
	    strstr(name, ".."))
		return bad_usage("--systemd-dropin: '%s' is not a unit name", name);
	snprintf(unit, sizeof unit, "%s%s", name, kb_is_unit_name(name) ? "" : ".service");
	printf("# /etc/systemd/system/%s.d/kashim-bpf.conf\n"
	       "# systemd attaches kashim-bpf's programs to %s's cgroup when it starts.\n"
	       "# The settings are those of the section cgroup \"%s\" of %s,\n"
	       "# loaded at boot by kashim-bpf.service (kashim-bpf attach --all). Then:\n"
	       "#   systemctl daemon-reload && systemctl restart kashim-bpf.service %s\n"
	       "# and check with: kashim-bpf status; ka-status --all\n"
	       "[Unit]\n"
	       "Wants=kashim-bpf.service\n"
	       "After=kashim-bpf.service\n"
	       "\n"
	       "[Service]\n"
	       "BPFProgram=sock_ops:%s/sock_ops\n"
	       "BPFProgram=setsockopt:%s/setsockopt\n",
	       unit, unit, unit, kb_default_config(), unit, kb_unit_pin_dir(unit, dir, sizeof dir), dir);
	return KB_EXIT_OK;
}

/* Contract: dispatches the command; returns its exit status. */
int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd)
		return bad_usage("no command given");
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage(stdout);
		return KB_EXIT_OK;
	}
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		printf("kashim-bpf (kashim) %s\n", KASHIM_VERSION);
		return KB_EXIT_OK;
	}
	if (!strcmp(cmd, "attach"))
		return cmd_attach(argc - 1, argv + 1, false);
	if (!strcmp(cmd, "explain"))
		return cmd_attach(argc - 1, argv + 1, true);
	if (!strcmp(cmd, "detach"))
		return cmd_detach(argc - 1, argv + 1);
	if (!strcmp(cmd, "status"))
		return cmd_status(argc - 1, argv + 1);
	if (!strcmp(cmd, "reload"))
		return cmd_reload(argc - 1, argv + 1);
	if (!strcmp(cmd, "--systemd-dropin"))
		return systemd_dropin(argc - 1, argv + 1);
	if (!strncmp(cmd, "--systemd-dropin=", 17)) {
		char *args[] = {argv[0], argv[1] + 17, NULL};

		return systemd_dropin(argc == 2 ? 2 : 3, args);
	}
	return bad_usage("unknown command '%s'", cmd);
}
