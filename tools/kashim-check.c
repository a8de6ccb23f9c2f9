/*
 * kashim-check - the C half of `ka-run --check` and of ka-run's warnings.
 *
 *   kashim-check [--argv0 NAME] [--option VAR=DESCRIPTION]...
 *                [--to HOST:PORT | --listen [HOST:]PORT] [--] [PATH]
 *       Resolve the settings the program at PATH would get, with the shim's
 *       own code and precedence (defaults, config file top level, first
 *       matching program section, the first destination rule matching the
 *       connection to HOST:PORT or listen rule matching a listener on
 *       [HOST:]PORT, libkeepalive's variables, KASHIM_*), print each with
 *       its source, and report every problem in the config file (with file
 *       and line) and in the environment. Exit 0 valid, 1 not, 2 bad usage.
 *   kashim-check --inspect PATH
 *       Print one line per reason the preload cannot reach PATH (static,
 *       Go, secure-execution); nothing when it can. Exit 0.
 *   kashim-check --validate FILE
 *       Check FILE alone (not the environment): its problems on stderr,
 *       exit 0 valid, 1 not. ka-run refuses an invalid -c FILE with it.
 *
 * Installed beside the config plugin ($(LIBDIR)/kashim/), where ka-run finds
 * it relative to the libkashim.so it preloads.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../config/conffile.h"
#include "../config/rules.h"
#include "kashim-inspect.h"

#include <netdb.h>

#ifndef KASHIM_SYSCONF_PATH
#define KASHIM_SYSCONF_PATH "/etc/keepalive.conf"
#endif

/* "KASHIM_IDLE=--idle": variables ka-run set from its own options, so the
 * report can say "ka-run option --idle" rather than "environment". */
#define MAX_OPTION_NOTES 16
static const char *option_notes[MAX_OPTION_NOTES];
static int n_option_notes;

static int problems;

/* Logger for the shared config code: every warning is a problem, on stderr. */
static void report_problem(void *ctx, enum kashim_level level, const char *msg)
{
	(void)ctx;
	if (level != KASHIM_LOG_WARN)
		return;
	problems++;
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

/* Find @word in $PATH as execvp would; stores the path in @out. */
static bool path_lookup(const char *word, char *out, size_t len)
{
	const char *path = getenv("PATH");

	if (strchr(word, '/')) {
		snprintf(out, len, "%s", word);
		return access(out, X_OK) == 0;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t dir = strcspn(path, ":");

		snprintf(out, len, "%.*s%s%s", (int)dir, path, dir ? "/" : "", word);
		if (access(out, X_OK) == 0)
			return true;
		path += dir + (path[dir] == ':');
	}
	return false;
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
static void program_names(const char *path, const char *argv0, char *exe, char *arg0, size_t len,
			  char *how, size_t how_len)
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
			if (path_lookup(w, found, sizeof found))
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

/* One line per reason the preload cannot reach @path; returns how many. */
static int print_unreachable(FILE *out, const char *prefix, const char *path)
{
	struct kashim_exe_info info;
	int n = 0;

	kashim_inspect_exe(path, &info);
	if (info.is_elf && info.is_static)
		n++, fprintf(out, "%s%s is statically linked (no PT_INTERP): LD_PRELOAD cannot reach it, kashim has no effect\n",
			     prefix, path);
	if (info.is_go)
		n++, fprintf(out, "%s%s is a Go program: it makes its own system calls, kashim has no effect\n",
			     prefix, path);
	if (info.setuid)
		n++, fprintf(out, "%s%s is set-user-ID: the loader ignores LD_PRELOAD for it, kashim has no effect\n",
			     prefix, path);
	if (info.setgid)
		n++, fprintf(out, "%s%s is set-group-ID: the loader ignores LD_PRELOAD for it, kashim has no effect\n",
			     prefix, path);
	if (info.file_caps)
		n++, fprintf(out, "%s%s has file capabilities: the loader ignores LD_PRELOAD for it, kashim has no effect\n",
			     prefix, path);
	return n;
}

/* Where field @f came from, naming the ka-run option when ka-run set it. */
static const char *describe_source(const struct kashim_settings *s, enum kashim_field f, char *buf,
				   size_t len)
{
	char plain[512];
	const char *var;

	kashim_source_describe(s, f, plain, sizeof plain);
	if (s->source[f] == KASHIM_SRC_ENV && (var = strchr(plain, ' '))) {
		var++;
		for (int i = 0; i < n_option_notes; i++) {
			size_t vl = strlen(var);

			if (!strncmp(option_notes[i], var, vl) && option_notes[i][vl] == '=') {
				snprintf(buf, len, "ka-run option %s (%s)", option_notes[i] + vl + 1, var);
				return buf;
			}
		}
	}
	snprintf(buf, len, "%s", plain);
	return buf;
}

/* The value of field @f as keepalive.conf would spell it. */
static const char *value_text(const struct kashim_settings *s, enum kashim_field f, char *buf,
			      size_t len)
{
	switch (f) {
	case KASHIM_F_KEEPALIVE:
		return s->keepalive ? "on" : "off";
	case KASHIM_F_OVERRIDE:
		return s->override ? "on" : "off";
	case KASHIM_F_IDLE:
		snprintf(buf, len, "%d", s->idle);
		break;
	case KASHIM_F_INTERVAL:
		snprintf(buf, len, "%d", s->interval);
		break;
	case KASHIM_F_COUNT:
		snprintf(buf, len, "%d", s->count);
		break;
	case KASHIM_F_USER_TIMEOUT:
		if (s->user_timeout_auto)
			snprintf(buf, len, "%ld (auto)", s->user_timeout);
		else if (s->user_timeout == 0)
			snprintf(buf, len, "0 (kernel default)");
		else
			snprintf(buf, len, "%ld", s->user_timeout);
		break;
	default:
		snprintf(buf, len, "?");
	}
	return buf;
}

/* The variables only the shim's logging reads (init.c setup_logging). */
static void check_log_env(void)
{
	const char *dest = getenv("KASHIM_LOG");
	const char *debug = getenv("KASHIM_DEBUG");
	bool b;

	if (dest && strcmp(dest, "syslog") && strcmp(dest, "stderr") && dest[0] != '/')
		kashim_logf(&problem_logger, KASHIM_LOG_WARN,
			    "environment KASHIM_LOG=\"%.64s\" is not syslog, stderr or an absolute path; the shim uses syslog",
			    dest);
	if (debug && !kashim_parse_bool(debug, &b))
		kashim_logf(&problem_logger, KASHIM_LOG_WARN,
			    "environment KASHIM_DEBUG=\"%.64s\" is not on or off; ignored", debug);
}

/* --to or --listen: the address a connection or listener would have. */
struct target {
	enum kashim_rule_kind kind;
	const char *text;           /* as given, for messages */
	struct kashim_addr addr[8]; /* every address HOST resolves to */
	int naddr;
};

/*
 * Parse @text, "HOST:PORT", "[V6]:PORT" or (for --listen) "PORT" alone,
 * meaning any address. HOST may be a name (getaddrinfo). Returns false
 * with a message on stderr naming @option.
 */
static bool parse_target(const char *option, const char *text, struct target *t)
{
	char host[256];
	const char *port, *colon = strrchr(text, ':');
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res, *ai;
	int rc;

	t->text = text;
	t->naddr = 0;
	if (!colon && t->kind == KASHIM_RULE_LISTEN) {
		snprintf(host, sizeof host, "0.0.0.0");
		port = text;
	} else if (!colon || colon == text) {
		fprintf(stderr, "kashim-check: %s %s: expected HOST:PORT\n", option, text);
		return false;
	} else {
		const char *h = text;
		size_t len = (size_t)(colon - text);

		if (text[0] == '[' && colon[-1] == ']')
			h++, len -= 2;
		else if (memchr(text, ':', len)) {
			fprintf(stderr, "kashim-check: %s %s: an IPv6 address goes in brackets, as [::1]:443\n",
				option, text);
			return false;
		}
		snprintf(host, sizeof host, "%.*s", (int)len, h);
		port = colon + 1;
	}
	if (!*port || strspn(port, "0123456789") != strlen(port) || strlen(port) > 5 || atol(port) < 1 ||
	    atol(port) > 65535) {
		fprintf(stderr, "kashim-check: %s %s: the port must be a number from 1 to 65535\n", option, text);
		return false;
	}
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "kashim-check: %s %s: %s\n", option, text, gai_strerror(rc));
		return false;
	}
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
	if (!t->naddr) {
		fprintf(stderr, "kashim-check: %s %s: no IPv4 or IPv6 address\n", option, text);
		return false;
	}
	return true;
}

static void print_fields(const struct kashim_settings *s)
{
	char buf[600], val[64];

	for (int f = 0; f < KASHIM_NFIELDS; f++)
		printf("%-13s %-20s %s\n", kashim_field_name(f), value_text(s, f, val, sizeof val),
		       describe_source(s, f, buf, sizeof buf));
}

/* For each address of @t: which rule applies, and the settings it gives
 * (@s, the program's, when none does). */
static void print_target(const struct target *t, struct kashim_ruleset *set, const struct kashim_settings *s)
{
	const char *kind = kashim_rule_kind_name(t->kind);
	unsigned nkind = 0;

	for (unsigned i = 0; set && i < set->n; i++)
		nkind += set->rule[i].kind == t->kind;
	for (int i = 0; i < t->naddr; i++) {
		char where[80];
		int r = kashim_rules_find(set, t->kind, &t->addr[i]);

		kashim_addr_format(&t->addr[i], where, sizeof where);
		if (r < 0) {
			printf("%s %s: no %s rule matches (%u for this program); the program's settings apply\n",
			       t->kind == KASHIM_RULE_LISTEN ? "listen:" : "to:     ", where, kind, nkind);
			print_fields(s);
			continue;
		}
		printf("%s %s: rule %s\n", t->kind == KASHIM_RULE_LISTEN ? "listen:" : "to:     ", where,
		       set->rule[r].settings.rule);
		/* The environment beats rules as it beats the file; its problems
		 * were reported once already. */
		kashim_settings_apply_env(&set->rule[r].settings, env_get, NULL);
		kashim_settings_finish(&set->rule[r].settings);
		print_fields(&set->rule[r].settings);
	}
}

/* Resolve and print the settings; returns the exit status. */
static int run_check(const char *path, const char *argv0, const struct target *target)
{
	struct kashim_ruleset *set = NULL;
	struct kashim_settings s;
	const char *config = getenv("KASHIM_CONFIG");
	char exe[256], arg0[256], how[PATH_MAX + 300];
	bool required = config != NULL;
	enum kashim_conf_result r;

	exe[0] = arg0[0] = '\0';
	if (path)
		program_names(path, argv0 ? argv0 : path, exe, arg0, sizeof exe, how, sizeof how);
	if (config && !*config) {
		kashim_logf(&problem_logger, KASHIM_LOG_WARN,
			    "environment KASHIM_CONFIG is empty; the shim reads %s", KASHIM_SYSCONF_PATH);
		config = NULL;
		required = false;
	}
	if (!config)
		config = KASHIM_SYSCONF_PATH;

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
	if (path) {
		printf("program: %s: executable \"%s\", argv[0] \"%s\"%s%s%s\n", path, exe, arg0,
		       how[0] ? " (" : "", how, how[0] ? ")" : "");
		if (r == KASHIM_CONF_APPLIED)
			printf("section: %s%s%s\n", s.section[0] ? "program \"" : "none matches",
			       s.section, s.section[0] ? "\"" : "");
	} else {
		printf("program: none given, so no program section applies\n");
	}
	if (target)
		print_target(target, set, &s);
	else
		print_fields(&s);
	if (set && !target) {
		unsigned n[2] = {0, 0};

		for (unsigned i = 0; i < set->n; i++)
			n[set->rule[i].kind]++;
		printf("rules:   %u destination and %u listen rule%s can change these per connection (see --to, --listen)\n",
		       n[0], n[1], n[1] == 1 ? "" : "s");
	}
	free(set);
	if (path)
		print_unreachable(stdout, "warning: ", path);
	if (problems)
		printf("result:  %d problem%s (listed on stderr)\n", problems, problems == 1 ? "" : "s");
	else
		printf("result:  valid\n");
	return problems ? 1 : 0;
}

/* --validate: the file alone, as the shim would read it. */
static int validate_file(const char *path)
{
	struct kashim_settings s;

	kashim_settings_defaults(&s);
	if (kashim_conffile_load(path, NULL, NULL, &s, &problem_logger) == KASHIM_CONF_MISSING)
		kashim_logf(&problem_logger, KASHIM_LOG_WARN, "%s: no such file", path);
	return problems ? 1 : 0;
}

static void usage(FILE *out)
{
	fputs("usage: kashim-check [--argv0 NAME] [--option VAR=OPTION]...\n"
	      "                    [--to HOST:PORT | --listen [HOST:]PORT] [--] [PATH]\n"
	      "       kashim-check --inspect PATH\n"
	      "       kashim-check --validate FILE\n"
	      "       kashim-check --version\n"
	      "Normally run by ka-run --check; see ka-run --help.\n",
	      out);
}

int main(int argc, char **argv)
{
	const char *argv0 = NULL;
	struct target target;
	bool has_target = false;
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (!strcmp(argv[i], "--inspect") && i + 2 == argc) {
			print_unreachable(stdout, "", argv[i + 1]);
			return 0;
		} else if (!strcmp(argv[i], "--validate") && i + 2 == argc) {
			return validate_file(argv[i + 1]);
		} else if ((!strcmp(argv[i], "--to") || !strcmp(argv[i], "--listen")) && i + 1 < argc) {
			if (has_target) {
				fprintf(stderr, "kashim-check: --to and --listen: one at a time\n");
				return 2;
			}
			target.kind = argv[i][2] == 't' ? KASHIM_RULE_DESTINATION : KASHIM_RULE_LISTEN;
			if (!parse_target(argv[i], argv[i + 1], &target))
				return 2;
			has_target = true;
			i++;
		} else if (!strcmp(argv[i], "--argv0") && i + 1 < argc) {
			argv0 = argv[++i];
		} else if (!strcmp(argv[i], "--option") && i + 1 < argc && strchr(argv[i + 1], '=') &&
			   n_option_notes < MAX_OPTION_NOTES) {
			option_notes[n_option_notes++] = argv[++i];
		} else if (!strcmp(argv[i], "--version")) {
			printf("kashim-check (kashim) %s\n", KASHIM_VERSION);
			return 0;
		} else if (!strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (argc - i > 1) {
		usage(stderr);
		return 2;
	}
	return run_check(i < argc ? argv[i] : NULL, argv0, has_target ? &target : NULL);
}
