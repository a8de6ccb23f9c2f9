/* SPDX-License-Identifier: MIT */
/*
 * explain.c - ka-run --check: the settings a program would get and where
 * each comes from, resolved with the shim's own code and precedence
 * (defaults, config file top level, first matching program section, the
 * first destination or listen rule matching --to/--listen, libkeepalive's
 * variables, KASHIM_*), and every problem in the config file (with file and
 * line) and in the environment.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../config/conffile.h"
#include "ka-run.h"
#include "kashim-inspect.h"

static int problems;
static void (*problem_sink)(const char *msg);

/* Logger for the shared config code: every warning is a problem, on stderr. */
static void report_problem(void *ctx, enum kashim_level level, const char *msg)
{
	(void)ctx;
	if (level != KASHIM_LOG_WARN)
		return;
	problems++;
	if (problem_sink)
		problem_sink(msg);
	else
		fprintf(stderr, "%s\n", msg);
}
static const struct kashim_logger problem_logger = {report_problem, NULL};

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static const char *env_get(const char *name)
{
	return getenv(name);
}

/* Basename of the file @path finally names (symlinks followed), which is
 * what /proc/self/exe shows the shim. */
static void exe_name_of(const char *path, char *out, size_t len)
{
	char real[PATH_MAX];

	snprintf(out, len, "%s", base_name(realpath(path, real) ? real : path));
}

/*
 * The two names the shim matches program sections against, for a process
 * started by exec(@path) with argv[0] @argv0: the executable's basename and
 * argv[0]'s. A script runs its interpreter, and the kernel makes the "#!"
 * path argv[0]; "#!/usr/bin/env prog" runs prog with argv[0] "prog".
 * @how gets a note on the resolution for the report ("" when direct).
 */
static void section_match_names(const char *path, const char *argv0, char *exe, char *arg0,
				size_t len, char *how, size_t how_len)
{
	struct kashim_exe_info info;
	char found[PATH_MAX];

	how[0] = '\0';
	kashim_inspect_exe(path, &info);
	if (!info.is_script || !info.interp[0]) {
		exe_name_of(path, exe, len);
		snprintf(arg0, len, "%s", base_name(argv0));
		return;
	}
	if (strcmp(base_name(info.interp), "env") == 0 && info.interp_arg[0]) {
		/* env's first operand that is neither an option nor NAME=VALUE. */
		char words[sizeof info.interp_arg];
		char *save = NULL;

		snprintf(words, sizeof words, "%s", info.interp_arg);
		for (char *w = strtok_r(words, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
			if (w[0] == '-' || strchr(w, '='))
				continue;
			if (karun_path_search(w, found, sizeof found) == KARUN_FOUND)
				exe_name_of(found, exe, len);
			else
				snprintf(exe, len, "%s", base_name(w));
			snprintf(arg0, len, "%s", base_name(w));
			snprintf(how, how_len, "a script run by %s %s", info.interp, info.interp_arg);
			return;
		}
	}
	exe_name_of(info.interp, exe, len);
	snprintf(arg0, len, "%s", base_name(info.interp));
	snprintf(how, how_len, "a script run by %s", info.interp);
}

int karun_print_unreachable(FILE *out, const char *prefix, const char *path)
{
	struct kashim_exe_info info;
	int n = 0;

	kashim_inspect_exe(path, &info);
	const struct {
		bool applies;
		const char *why;
	} reasons[] = {
		{info.is_elf && info.is_static,
		 "is statically linked (no PT_INTERP): LD_PRELOAD cannot reach it"},
		{info.is_go, "is a Go program: it makes its own system calls"},
		{info.setuid, "is set-user-ID: the loader ignores LD_PRELOAD for it"},
		{info.setgid, "is set-group-ID: the loader ignores LD_PRELOAD for it"},
		{info.file_caps, "has file capabilities: the loader ignores LD_PRELOAD for it"},
	};

	for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
		if (!reasons[i].applies)
			continue;
		fprintf(out, "%s%s %s, kashim has no effect\n", prefix, path, reasons[i].why);
		n++;
	}
	return n;
}

/* Where field @f came from, naming the ka-run option when ka-run set it. */
static const char *describe_source(const struct karun *k, const struct kashim_settings *s,
				   enum kashim_field f, char *buf, size_t len)
{
	char plain[512];
	const char *var;

	kashim_source_describe(s, f, plain, sizeof plain);
	if (s->source[f] == KASHIM_SRC_ENV && (var = strchr(plain, ' '))) {
		var++;
		for (int v = 0; v < KARUN_NVARS; v++) {
			if (k->value[v][0] && !strcmp(karun_var_name(v), var)) {
				snprintf(buf, len, "ka-run option %s (%s)", karun_var_option(v), var);
				return buf;
			}
		}
	}
	snprintf(buf, len, "%s", plain);
	return buf;
}

/* The value of field @f as keepalive.conf would spell it, by its kind; a
 * user_timeout-like field says when it is derived or the kernel's. */
static const char *value_text(const struct kashim_settings *s, enum kashim_field f, char *buf,
			      size_t len)
{
	long v = kashim_settings_get(s, f);

	switch (kashim_field_info(f)->kind) {
	case KASHIM_KIND_BOOL:
		return v ? "on" : "off";
	case KASHIM_KIND_MS:
		if (v == KASHIM_VALUE_AUTO)
			snprintf(buf, len, "%ld (auto)", kashim_settings_applied(s, f));
		else if (v == 0)
			snprintf(buf, len, "0 (kernel default)");
		else
			snprintf(buf, len, "%ld", v);
		break;
	case KASHIM_KIND_INT:
		snprintf(buf, len, "%ld", v);
		break;
	}
	return buf;
}

/* The variables only the shim's logging reads (init.c setup_logging). */
static void check_log_env(void)
{
	const char *dest = getenv("KASHIM_LOG");
	const char *debug = getenv("KASHIM_DEBUG");
	enum kashim_log_to to;
	bool b;

	if (dest && !kashim_parse_log_dest(dest, &to))
		kashim_logf(&problem_logger, KASHIM_LOG_WARN,
			    "environment KASHIM_LOG=\"%.64s\" is not syslog, stderr or an absolute path; the shim uses syslog",
			    dest);
	if (debug && !kashim_parse_bool(debug, &b))
		kashim_logf(&problem_logger, KASHIM_LOG_WARN,
			    "environment KASHIM_DEBUG=\"%.64s\" is not on or off; ignored", debug);
}

void karun_parse_target(const char *option, enum kashim_rule_kind kind, const char *text,
			struct karun_target *t)
{
	char host[256];
	const char *port, *colon = strrchr(text, ':');
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res, *ai;
	int rc;

	t->kind = kind;
	t->text = text;
	t->naddr = 0;
	if (!colon && kind == KASHIM_RULE_LISTEN) {
		snprintf(host, sizeof host, "0.0.0.0");
		port = text;
	} else if (!colon || colon == text) {
		karun_die("%s %s: expected HOST:PORT", option, text);
	} else {
		const char *h = text;
		size_t len = (size_t)(colon - text);

		if (text[0] == '[' && colon[-1] == ']')
			h++, len -= 2;
		else if (memchr(text, ':', len))
			karun_die("%s %s: an IPv6 address goes in brackets, as [::1]:443", option, text);
		snprintf(host, sizeof host, "%.*s", (int)len, h);
		port = colon + 1;
	}
	if (!*port || strspn(port, "0123456789") != strlen(port) || strlen(port) > 5 || atol(port) < 1 ||
	    atol(port) > 65535)
		karun_die("%s %s: the port must be a number from 1 to 65535", option, text);
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0)
		karun_die("%s %s: %s", option, text, gai_strerror(rc));
	for (ai = res; ai && t->naddr < (int)(sizeof t->addr / sizeof t->addr[0]); ai = ai->ai_next) {
		struct kashim_addr a;
		bool seen = false;

		if (!kashim_addr_from_sockaddr(ai->ai_addr, ai->ai_addrlen, &a))
			continue;
		for (int i = 0; i < t->naddr; i++)
			seen |= !memcmp(&t->addr[i], &a, sizeof a);
		if (!seen)
			t->addr[t->naddr++] = a;
	}
	freeaddrinfo(res);
	if (!t->naddr)
		karun_die("%s %s: no IPv4 or IPv6 address", option, text);
}

static void print_fields(const struct karun *k, const struct kashim_settings *s)
{
	char buf[600], val[64];

	for (int f = 0; f < KASHIM_NFIELDS; f++)
		printf("%-13s %-20s %s\n", kashim_field_name(f), value_text(s, f, val, sizeof val),
		       describe_source(k, s, f, buf, sizeof buf));
}

/* For each address of @t: which rule applies, and the settings it gives
 * (@s, the program's, when none does). */
static void print_target(const struct karun *k, const struct karun_target *t, struct kashim_ruleset *set,
			 const struct kashim_settings *s)
{
	const char *kind = kashim_rule_kind_name(t->kind);
	const char *label = t->kind == KASHIM_RULE_LISTEN ? "listen:" : "to:     ";
	unsigned nkind = 0;

	for (unsigned i = 0; set && i < set->n; i++)
		nkind += set->rule[i].kind == t->kind;
	for (int i = 0; i < t->naddr; i++) {
		char where[80];
		int r = kashim_rules_find(set, t->kind, &t->addr[i]);

		kashim_addr_format(&t->addr[i], where, sizeof where);
		if (r < 0) {
			printf("%s %s: no %s rule matches (%u for this program); the program's settings apply\n",
			       label, where, kind, nkind);
			print_fields(k, s);
			continue;
		}
		printf("%s %s: rule %s\n", label, where, set->rule[r].settings.rule);
		/* The environment beats rules as it beats the file; its problems
		 * were reported once already. */
		kashim_settings_apply_env(&set->rule[r].settings, env_get, NULL);
		kashim_settings_finish(&set->rule[r].settings);
		print_fields(k, &set->rule[r].settings);
	}
}

/* Without --to/--listen: say that rules can change the settings. */
static void print_rule_counts(const struct kashim_ruleset *set)
{
	unsigned n[2] = {0, 0};

	for (unsigned i = 0; i < set->n; i++)
		n[set->rule[i].kind]++;
	printf("rules:   %u destination and %u listen rule%s can change these per connection (see --to, --listen)\n",
	       n[0], n[1], n[1] == 1 ? "" : "s");
}

/* The config file the shim would read: $KASHIM_CONFIG, else the compiled-in
 * one; *@required when KASHIM_CONFIG names it (it must then exist). */
static const char *config_path(bool *required)
{
	const char *config = getenv("KASHIM_CONFIG");

	*required = config != NULL;
	if (config && !*config) {
		kashim_logf(&problem_logger, KASHIM_LOG_WARN,
			    "environment KASHIM_CONFIG is empty; the shim reads %s", KASHIM_SYSCONF_PATH);
		config = NULL;
		*required = false;
	}
	return config ? config : KASHIM_SYSCONF_PATH;
}

int karun_explain(const struct karun *k, const struct karun_query *q)
{
	const char *path = q->path, *argv0 = q->argv0;
	struct kashim_ruleset *set = NULL;
	struct kashim_settings s;
	char exe[256], arg0[256], how[PATH_MAX + 300];
	bool required;
	const char *config = config_path(&required);
	enum kashim_conf_result r;

	exe[0] = arg0[0] = '\0';
	if (path)
		section_match_names(path, argv0 ? argv0 : path, exe, arg0, sizeof exe, how, sizeof how);

	kashim_settings_defaults(&s);
	r = kashim_conffile_load_rules(config, path ? exe : NULL, path ? arg0 : NULL, &s, &set, &problem_logger);
	if (r == KASHIM_CONF_MISSING && required)
		kashim_logf(&problem_logger, KASHIM_LOG_WARN, "config file %s does not exist (KASHIM_CONFIG)",
			    config);
	kashim_settings_apply_env(&s, env_get, &problem_logger);
	kashim_settings_finish(&s);
	check_log_env();

	printf("config:  %s: %s\n", config,
	       r == KASHIM_CONF_APPLIED ? "valid"
	       : r == KASHIM_CONF_MISSING ? (required ? "MISSING" : "not present (defaults apply)")
					  : "INVALID, the shim ignores it");
	karun_print_compiled(config, required);
	if (path) {
		printf("program: %s: executable \"%s\", argv[0] \"%s\"%s%s%s\n", path, exe, arg0,
		       how[0] ? " (" : "", how, how[0] ? ")" : "");
		if (r == KASHIM_CONF_APPLIED)
			printf("section: %s%s%s\n", s.section[0] ? "program \"" : "none matches",
			       s.section, s.section[0] ? "\"" : "");
	} else {
		printf("program: none given, so no program section applies\n");
	}
	if (q->target)
		print_target(k, q->target, set, &s);
	else
		print_fields(k, &s);
	if (set && !q->target)
		print_rule_counts(set);
	free(set);
	if (path)
		karun_print_unreachable(stdout, "warning: ", path);
	if (problems)
		printf("result:  %d problem%s (listed on stderr)\n", problems, problems == 1 ? "" : "s");
	else
		printf("result:  valid\n");
	return problems ? 1 : 0;
}

int karun_validate_file(const char *path, void (*report)(const char *msg))
{
	struct kashim_settings s;

	problems = 0;
	problem_sink = report;
	kashim_settings_defaults(&s);
	if (kashim_conffile_load(path, NULL, NULL, &s, &problem_logger) == KASHIM_CONF_MISSING)
		kashim_logf(&problem_logger, KASHIM_LOG_WARN, "%s: no such file", path);
	problem_sink = NULL;
	return problems;
}
