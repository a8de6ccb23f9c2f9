/* SPDX-License-Identifier: MIT */
/*
 * conffile.c - keepalive.conf, parsed with libconfuse into kashim_settings.
 *
 * libconfuse is not reentrant and its defaults can abort(): so options have
 * no libconfuse defaults (CFGF_NODEFAULT; kashim_settings_defaults() owns
 * them), its error output goes to kashim's logger, and the file is read
 * into memory and checked (size, NUL bytes, ${VAR}) before libconfuse sees it.
 */
#define _GNU_SOURCE
#include "conffile.h"
#include "glob.h"
#include "rules.h"

#include <confuse.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KASHIM_EXPORT __attribute__((visibility("default")))

/* State of the one parse in progress. libconfuse gives its callbacks no user
 * pointer, and its scanner is global anyway, so one parse at a time. */
struct parse_ctx {
	const struct kashim_logger *log;
	const char *path;
	int problems;
};
static struct parse_ctx *current;

static void conf_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	char msg[384];
	int line = cfg ? cfg->line : 0;

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (!current)
		return;
	current->problems++;
	kashim_logf(current->log, KASHIM_LOG_WARN, "%s:%d: %s; file ignored", current->path,
		    line, msg);
}

/* libconfuse calls this with the option just parsed; the value to check is
 * the last one. Problems are counted, not fatal, so one pass reports all. */
static int validate_range(cfg_t *cfg, cfg_opt_t *opt)
{
	long v = cfg_opt_getnint(opt, cfg_opt_size(opt) - 1);
	long min = 0, max = 0;

	for (int f = 0; f < KASHIM_NFIELDS; f++) {
		if (strcmp(opt->name, kashim_field_name(f)))
			continue;
		kashim_field_range(f, &min, &max);
		if (v < min || v > max)
			cfg_error(cfg, "%s = %ld is out of range %ld..%ld", opt->name, v, min, max);
		break;
	}
	return 0;
}

/* user_timeout takes a number of ms or "auto" (stored as -1). */
static int parse_user_timeout(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	long ms;
	bool is_auto;

	if (!kashim_parse_user_timeout(value, &ms, &is_auto)) {
		cfg_error(cfg, "%s = %.64s is not a number of ms from 0 to %ld or auto",
			  opt->name, value, KASHIM_USER_TIMEOUT_MAX);
		return -1;
	}
	*(long *)result = is_auto ? -1 : ms;
	return 0;
}

/* One option per row of fields.h, by its kind; each ends in a comma. */
#define KASHIM_CFG_BOOL(name) CFG_BOOL(name, cfg_false, CFGF_NODEFAULT),
#define KASHIM_CFG_INT(name) CFG_INT(name, 0, CFGF_NODEFAULT),
#define KASHIM_CFG_MS(name) CFG_INT_CB(name, 0, CFGF_NODEFAULT, parse_user_timeout),
#define KASHIM_CFG_OPT(ID, NAME, KIND, ...) KASHIM_CFG_##KIND(#NAME)
#define KASHIM_OPTS KASHIM_FIELDS(KASHIM_CFG_OPT)

/* A later rule with the same SPEC in the same scope could never match:
 * refused, as duplicate program titles are. */
#define KASHIM_RULE_SECS(opts)                                                             \
	CFG_SEC("destination", opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES), \
	CFG_SEC("listen", opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES)

#define KASHIM_RANGE_BOOL(name)
#define KASHIM_RANGE_INT(name) name,
#define KASHIM_RANGE_MS(name)
#define KASHIM_RANGE_OPT(ID, NAME, KIND, ...) KASHIM_RANGE_##KIND(#NAME)
static const char *const range_checked[] = {KASHIM_FIELDS(KASHIM_RANGE_OPT)};
/* Where those options occur: top level, program, cgroup, rules in all three. */
static const char *const range_scopes[] = {"", "program|", "cgroup|", "destination|", "listen|",
					   "program|destination|", "program|listen|",
					   "cgroup|destination|", "cgroup|listen|"};

/* Copy the options set in @sec into @s, marking them with @src. */
static void take_values(cfg_t *sec, struct kashim_settings *s, unsigned char src)
{
	for (int f = 0; f < KASHIM_NFIELDS; f++) {
		const char *name = kashim_field_name(f);

		if (cfg_size(sec, name) == 0)
			continue;
		switch (f) {
		case KASHIM_F_KEEPALIVE:
			s->keepalive = cfg_getbool(sec, name);
			break;
		case KASHIM_F_OVERRIDE:
			s->override = cfg_getbool(sec, name);
			break;
		case KASHIM_F_IDLE:
			s->idle = (int)cfg_getint(sec, name);
			break;
		case KASHIM_F_INTERVAL:
			s->interval = (int)cfg_getint(sec, name);
			break;
		case KASHIM_F_COUNT:
			s->count = (int)cfg_getint(sec, name);
			break;
		case KASHIM_F_USER_TIMEOUT: {
			long v = cfg_getint(sec, name);

			s->user_timeout_auto = v < 0;
			s->user_timeout = v < 0 ? 0 : v;
			break;
		}
		}
		s->source[f] = src;
	}
}

static bool title_matches(const char *glob, const char *exe_name, const char *argv0_name)
{
	return (exe_name && kashim_glob_match(glob, exe_name)) ||
	       (argv0_name && kashim_glob_match(glob, argv0_name));
}

/* Read the whole file into a NUL-terminated buffer, refusing what libconfuse
 * should never see. Returns NULL (and logs) on any problem except ENOENT,
 * which sets *missing. */
static char *read_file(const char *path, const struct kashim_logger *log, bool *missing)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	/* O_NONBLOCK: a FIFO nobody writes to must not block the host (open
	 * would wait forever); fstat() below refuses it. No effect on files. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	*missing = false;
	if (fd < 0) {
		if (errno == ENOENT)
			*missing = true;
		else
			kashim_logf(log, KASHIM_LOG_WARN, "%s: cannot open: %s; file ignored",
				    path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		kashim_logf(log, KASHIM_LOG_WARN, "%s: not a regular file; file ignored", path);
		goto fail;
	}
	if (st.st_size > KASHIM_CONF_MAX_BYTES) {
		kashim_logf(log, KASHIM_LOG_WARN, "%s: larger than %d bytes; file ignored", path,
			    KASHIM_CONF_MAX_BYTES);
		goto fail;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		kashim_logf(log, KASHIM_LOG_WARN, "%s: out of memory; file ignored", path);
		goto fail;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			kashim_logf(log, KASHIM_LOG_WARN, "%s: read error: %s; file ignored", path,
				    strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	close(fd);
	if (memchr(buf, '\0', got)) {
		kashim_logf(log, KASHIM_LOG_WARN, "%s: contains a NUL byte (not a text file); file ignored",
			    path);
		free(buf);
		return NULL;
	}
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

/*
 * What libconfuse accepts silently but kashim must not: ${VAR} (expanded
 * from the host's environment, which a config shared by every process, and
 * setuid ones, must not depend on) and a section still open at the end of
 * the file (a truncated file). One pass over the text, skipping comments and
 * quoted strings as libconfuse's scanner does. Returns true (and logs) when
 * the file must be refused.
 */
/* The scope a rule is written in: libconfuse lists program and cgroup
 * sections apart, so lines are counted per scope. */
enum rule_scope { SCOPE_TOP, SCOPE_PROGRAM, SCOPE_CGROUP, SCOPE_OTHER, SCOPES };

/* Where each destination and listen section starts, in file order, with
 * its scope: libconfuse only knows where a section ends. */
struct rule_lines {
	unsigned n;
	unsigned char scope[KASHIM_RULES_MAX];
	unsigned char kind[KASHIM_RULES_MAX];
	int line[KASHIM_RULES_MAX];
};

/* Characters of a keyword and its neighbours: enough to see keywords as
 * whole words; '/' and '*' stay out, they may start a comment. */
static bool is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '-' || c == '.';
}

static bool is_word(const char *w, const char *end, const char *keyword)
{
	size_t n = strlen(keyword);

	return (size_t)(end - w) == n && !memcmp(w, keyword, n);
}

static bool note_rule(const char *path, struct rule_lines *rules, enum kashim_rule_kind kind,
		      enum rule_scope scope, int line, const struct kashim_logger *log)
{
	if (rules->n == KASHIM_RULES_MAX) {
		kashim_logf(log, KASHIM_LOG_WARN, "%s:%d: more than %d destination and listen rules; file ignored",
			    path, line, KASHIM_RULES_MAX);
		return false;
	}
	rules->scope[rules->n] = (unsigned char)scope;
	rules->kind[rules->n] = (unsigned char)kind;
	rules->line[rules->n++] = line;
	return true;
}

/* What the last word of the prescan was, for rule_lines: "program" or
 * "cgroup" (its title follows), "destination"/"listen" (a rule whose line
 * is this). */
enum prescan_word { WORD_OTHER, WORD_PROGRAM, WORD_CGROUP, WORD_RULE };

enum prescan_stop { PRESCAN_OK, PRESCAN_ENV_REFERENCE, PRESCAN_OPEN_COMMENT, PRESCAN_OPEN_STRING,
		    PRESCAN_TOO_MANY_RULES };

/* The word starting at *@p: note a rule keyword's line in @rules. Leaves *p
 * on the word's last character. False when there are too many rules. */
static bool scan_word(const char **p, enum prescan_word *last, enum rule_scope scope, int line,
		      const char *path, struct rule_lines *rules, const struct kashim_logger *log)
{
	const char *w = *p;
	bool listen;

	while (is_word_char((*p)[1]))
		(*p)++;
	listen = is_word(w, *p + 1, "listen");
	if (*last == WORD_OTHER && is_word(w, *p + 1, "program")) {
		*last = WORD_PROGRAM;
	} else if (*last == WORD_OTHER && is_word(w, *p + 1, "cgroup")) {
		*last = WORD_CGROUP;
	} else if (*last == WORD_OTHER && (listen || is_word(w, *p + 1, "destination"))) {
		enum kashim_rule_kind kind = listen ? KASHIM_RULE_LISTEN : KASHIM_RULE_DESTINATION;

		if (!note_rule(path, rules, kind, scope, line, log))
			return false;
		*last = WORD_RULE;
	} else {
		*last = WORD_OTHER;
	}
	return true;
}

/* Skip the block comment starting at *@p, counting lines; leaves *p on its
 * closing '/'. False when the file ends inside it (libconfuse would keep
 * what came before: a truncated file). */
static bool skip_block_comment(const char **p, int *line)
{
	const char *q;

	for (q = *p + 2; *q && !(q[0] == '*' && q[1] == '/'); q++)
		*line += *q == '\n';
	if (!*q)
		return false;
	*p = q + 1;
	return true;
}

/* Skip the quoted string starting at *@p, counting lines; leaves *p on its
 * closing quote. A string ending in a backslash at the end of the file is
 * accepted by libconfuse, and the backslash echoed to the host's stdout:
 * refused here. */
static enum prescan_stop skip_string(const char **p, int *line)
{
	char quote = **p;
	const char *q;

	for (q = *p + 1; *q && *q != quote; q++) {
		if (*q == '\\' && q[1])
			q++;
		else if (quote == '"' && q[0] == '$' && q[1] == '{')
			return PRESCAN_ENV_REFERENCE;
		*line += *q == '\n';
	}
	*p = q;
	return *q ? PRESCAN_OK : PRESCAN_OPEN_STRING;
}

/* The scope of a rule keyword at @depth, inside a top-level section opened
 * by the keyword @section. */
static enum rule_scope scope_at(int depth, enum prescan_word section)
{
	if (depth == 0)
		return SCOPE_TOP;
	if (depth == 1 && section == WORD_PROGRAM)
		return SCOPE_PROGRAM;
	if (depth == 1 && section == WORD_CGROUP)
		return SCOPE_CGROUP;
	return SCOPE_OTHER;
}

/* One pass over @text, as libconfuse's scanner will see it: comments and
 * strings skipped, braces counted (*@depth at the end), rule keywords noted
 * in @rules with their scope. *@line ends on the line of the problem; *@open_line is where
 * an unclosed comment or string starts, *@section_line where the first
 * section still open at the end does. */
static enum prescan_stop prescan(const char *text, int *line, int *open_line, int *section_line, int *depth,
				 const char *path, struct rule_lines *rules, const struct kashim_logger *log)
{
	enum prescan_word last = WORD_OTHER, opening = WORD_OTHER, section = WORD_OTHER;
	enum prescan_stop stop;

	for (const char *p = text; *p; p++) {
		if (is_word_char(*p)) {
			enum rule_scope scope = scope_at(*depth, section);

			if (!scan_word(&p, &last, scope, *line, path, rules, log))
				return PRESCAN_TOO_MANY_RULES;
			if (*depth == 0 && last != WORD_OTHER)
				opening = last; /* the keyword of the next top-level section */
			continue;
		}
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			last = WORD_OTHER;
		if (*p == '\n') {
			(*line)++;
		} else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			while (p[1] && p[1] != '\n')
				p++;
		} else if (p[0] == '/' && p[1] == '*') {
			*open_line = *line;
			if (!skip_block_comment(&p, line))
				return PRESCAN_OPEN_COMMENT;
		} else if (*p == '"' || *p == '\'') {
			*open_line = *line;
			if ((stop = skip_string(&p, line)) != PRESCAN_OK)
				return stop;
		} else if (p[0] == '$' && p[1] == '{') {
			return PRESCAN_ENV_REFERENCE;
		} else if (*p == '{') {
			if ((*depth)++ == 0) {
				*section_line = *line;
				section = opening;
			}
		} else if (*p == '}') {
			(*depth)--;
		}
	}
	return PRESCAN_OK;
}

/* True (logged with file and line) when @text has something libconfuse
 * would accept silently but wrongly, or that kashim refuses. */
static bool prescan_refuses(const char *path, const char *text, const struct kashim_logger *log,
			    struct rule_lines *rules)
{
	int line = 1, depth = 0, open_line = 0, section_line = 0;
	const char *what;

	switch (prescan(text, &line, &open_line, &section_line, &depth, path, rules, log)) {
	case PRESCAN_TOO_MANY_RULES:
		return true; /* already logged */
	case PRESCAN_ENV_REFERENCE:
		kashim_logf(log, KASHIM_LOG_WARN,
			    "%s:%d: ${...} environment references are not supported (use KASHIM_* variables); file ignored",
			    path, line);
		return true;
	case PRESCAN_OPEN_COMMENT:
		what = "comment";
		break;
	case PRESCAN_OPEN_STRING:
		what = "string";
		break;
	case PRESCAN_OK:
		if (depth <= 0)
			return false;
		what = "section";
		open_line = section_line;
		break;
	}
	kashim_logf(log, KASHIM_LOG_WARN,
		    "%s:%d: %s opened here is not closed before the end of the file; file ignored", path,
		    open_line, what);
	return true;
}

/* libconfuse's flex scanner ECHOes input that no rule matches to
 * cfg_yyout, which is stdout unless set: the host's stdout must never see
 * it. libconfuse exports these two but does not declare them. */
FILE *cfg_yyget_out(void);
void cfg_yyset_out(FILE *out);

static ssize_t discard_write(void *cookie, const char *buf, size_t len)
{
	(void)cookie;
	(void)buf;
	return (ssize_t)len;
}

/* Where the next rule of each kind in each scope starts (rule_lines). */
struct rule_cursor {
	const struct rule_lines *lines;
	unsigned next[SCOPES][2]; /* [scope][kind] */
};

static int rule_line(struct rule_cursor *cur, enum rule_scope scope, enum kashim_rule_kind kind,
		     int fallback)
{
	const struct rule_lines *l = cur->lines;
	unsigned *i = &cur->next[scope][kind];

	while (*i < l->n && (l->scope[*i] != scope || l->kind[*i] != kind))
		(*i)++;
	return *i < l->n ? l->line[(*i)++] : fallback;
}

/*
 * Check the SPEC of every rule directly in @scope (the top level, or a
 * program or cgroup section: @where), logging each bad one with its line.
 * When @set is not NULL, append the good ones to it, each with @base's
 * settings and its own keys on top.
 */
static void scope_rules(cfg_t *scope, enum rule_scope where, struct rule_cursor *cur,
			struct parse_ctx *ctx, const struct kashim_settings *base,
			struct kashim_ruleset *set)
{
	for (int kind = KASHIM_RULE_DESTINATION; kind <= KASHIM_RULE_LISTEN; kind++) {
		const char *name = kashim_rule_kind_name(kind);

		for (unsigned i = 0; i < cfg_size(scope, name); i++) {
			cfg_t *sec = cfg_getnsec(scope, name, i);
			const char *title = cfg_title(sec);
			int line = rule_line(cur, where, kind, sec->line);
			struct kashim_spec spec;
			char why[160];
			struct kashim_rule *r;

			if (!kashim_spec_parse(title, &spec, why, sizeof why)) {
				ctx->problems++;
				kashim_logf(ctx->log, KASHIM_LOG_WARN, "%s:%d: %s \"%.64s\": %s; file ignored",
					    ctx->path, line, name, title, why);
				continue;
			}
			if (!set)
				continue;
			r = &set->rule[set->n++];
			r->kind = (unsigned char)kind;
			r->spec = spec;
			r->settings = *base;
			snprintf(r->settings.rule, sizeof r->settings.rule, "%s \"%.*s\" at line %d", name,
				 KASHIM_SPEC_TEXT, title, line);
			take_values(sec, &r->settings, KASHIM_SRC_RULE);
		}
	}
}

KASHIM_EXPORT enum kashim_conf_result
kashim_conffile_load(const char *path, const char *exe_name, const char *argv0_name,
		     struct kashim_settings *s, const struct kashim_logger *log)
{
	return kashim_conffile_load_rules(path, exe_name, argv0_name, s, NULL, log);
}

/* Install kashim's error function and range checks on a fresh @cfg. */
static void config_set_checks(cfg_t *cfg)
{
	cfg_set_error_function(cfg, conf_error);
	for (size_t i = 0; i < sizeof range_checked / sizeof range_checked[0]; i++) {
		for (size_t j = 0; j < sizeof range_scopes / sizeof range_scopes[0]; j++) {
			char name[64];

			snprintf(name, sizeof name, "%s%s", range_scopes[j], range_checked[i]);
			cfg_set_validate_func(cfg, name, validate_range);
		}
	}
}

/* cfg_parse_buf() with flex's ECHO going to a stream without an fd that
 * drops it; the previous output (a host program may share this libconfuse)
 * is restored. Stores cfg_parse_buf()'s result in *@rc; false (logged) when
 * the stream cannot be made and nothing was parsed. */
static bool parse_quietly(cfg_t *cfg, const char *text, const char *path, const struct kashim_logger *log,
			  int *rc)
{
	FILE *echo_sink, *previous_out;

	echo_sink = fopencookie(NULL, "w", (cookie_io_functions_t){.write = discard_write});
	if (!echo_sink) {
		kashim_logf(log, KASHIM_LOG_WARN, "%s: out of memory; file ignored", path);
		return false;
	}
	previous_out = cfg_yyget_out();
	cfg_yyset_out(echo_sink);
	*rc = cfg_parse_buf(cfg, text);
	cfg_yyset_out(previous_out ? previous_out : stdout);
	fclose(echo_sink);
	return true;
}

/* Apply a parsed file to @s: its top level, then the first program section
 * whose title matches either name. Returns the program section applied, or
 * NULL. */
static cfg_t *apply_parsed(cfg_t *cfg, const char *path, const char *exe_name, const char *argv0_name,
			   struct kashim_settings *s)
{
	cfg_t *matched = NULL;

	snprintf(s->file, sizeof s->file, "%s", path);
	take_values(cfg, s, KASHIM_SRC_FILE);
	for (unsigned i = 0; i < cfg_size(cfg, "program"); i++) {
		cfg_t *sec = cfg_getnsec(cfg, "program", i);

		if (title_matches(cfg_title(sec), exe_name, argv0_name)) {
			snprintf(s->section, sizeof s->section, "%s", cfg_title(sec));
			take_values(sec, s, KASHIM_SRC_SECTION);
			matched = sec;
			break;
		}
	}
	return matched;
}

/* scope_rules() for every section called @name (in @where), in file order;
 * only the @matched one's rules go into @set. */
static void sections_rules(cfg_t *cfg, const char *name, enum rule_scope where, cfg_t *matched,
			   struct rule_cursor *cur, struct parse_ctx *ctx,
			   const struct kashim_settings *base, struct kashim_ruleset *set)
{
	for (unsigned i = 0; i < cfg_size(cfg, name); i++) {
		cfg_t *sec = cfg_getnsec(cfg, name, i);

		scope_rules(sec, where, cur, ctx, base, sec == matched ? set : NULL);
	}
}

/* Check every rule of the file, those of other programs and cgroups too;
 * when @want, return the table of those that apply: the @matched (program
 * or cgroup) section's first, then the top level's, each on top of @base.
 * NULL with no rule (or when not @want); problems are counted in @ctx. */
static struct kashim_ruleset *collect_rules(cfg_t *cfg, cfg_t *matched, const struct rule_lines *lines,
					    struct parse_ctx *ctx, const struct kashim_settings *base, bool want)
{
	struct rule_cursor cur = {.lines = lines};
	struct kashim_ruleset *set = NULL;

	if (want && lines->n) {
		set = calloc(1, sizeof *set + lines->n * sizeof set->rule[0]);
		if (!set) {
			kashim_logf(ctx->log, KASHIM_LOG_WARN, "%s: out of memory; file ignored", ctx->path);
			ctx->problems++;
		} else {
			set->n = 0;
		}
	}
	sections_rules(cfg, "program", SCOPE_PROGRAM, matched, &cur, ctx, base, set);
	sections_rules(cfg, "cgroup", SCOPE_CGROUP, matched, &cur, ctx, base, set);
	scope_rules(cfg, SCOPE_TOP, &cur, ctx, base, set);
	if (set && !set->n) {
		free(set);
		set = NULL;
	}
	return set;
}

/* Read @path and run the prescan; NULL (logged, *@result set) when it
 * refuses the file. On success *@lines holds the rules' lines. */
static char *read_and_prescan(const char *path, const struct kashim_logger *log, struct rule_lines **lines,
			      enum kashim_conf_result *result)
{
	bool missing;
	char *text = read_file(path, log, &missing);

	*result = missing ? KASHIM_CONF_MISSING : KASHIM_CONF_INVALID;
	*lines = NULL;
	if (!text)
		return NULL;
	*result = KASHIM_CONF_INVALID;
	*lines = calloc(1, sizeof **lines);
	if (!*lines || prescan_refuses(path, text, log, *lines)) {
		if (!*lines)
			kashim_logf(log, KASHIM_LOG_WARN, "%s: out of memory; file ignored", path);
		free(*lines);
		*lines = NULL;
		free(text);
		return NULL;
	}
	return text;
}

/* One parse of @path, checked: the text's prescan, libconfuse with kashim's
 * checks, then every rule's SPEC. Returns the parsed file (the caller
 * cfg_free()s it, free()s *@lines and clears `current`) when it has no
 * problem; else NULL, every problem logged, *@result set. */
static cfg_t *parse_checked(const char *path, struct parse_ctx *ctx, struct rule_lines **lines,
			    enum kashim_conf_result *result)
{
	cfg_opt_t rule_opts[] = {KASHIM_OPTS CFG_END()};
	/* Program and cgroup sections hold the same: keys and rules. */
	cfg_opt_t section_opts[] = {KASHIM_OPTS KASHIM_RULE_SECS(rule_opts), CFG_END()};
	cfg_opt_t opts[] = {
		KASHIM_OPTS
		CFG_SEC("program", section_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
		KASHIM_RULE_SECS(rule_opts),
		CFG_SEC("cgroup", section_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
		CFG_END()};
	char *text;
	cfg_t *cfg;
	int rc = CFG_PARSE_ERROR;

	if (!(text = read_and_prescan(path, ctx->log, lines, result)))
		return NULL;
	/* cfg_init() copies the option tables. */
	cfg = cfg_init(opts, CFGF_NONE);
	if (!cfg) {
		kashim_logf(ctx->log, KASHIM_LOG_WARN, "%s: libconfuse could not start; file ignored", path);
		goto fail;
	}
	current = ctx;
	config_set_checks(cfg);
	if (!parse_quietly(cfg, text, path, ctx->log, &rc))
		ctx->problems++; /* logged */
	else if (rc == CFG_SUCCESS && ctx->problems == 0)
		collect_rules(cfg, NULL, *lines, ctx, NULL, false);
	if (rc == CFG_SUCCESS && ctx->problems == 0) {
		free(text);
		return cfg;
	}
	if (ctx->problems == 0) /* every other failure was reported with its line */
		kashim_logf(ctx->log, KASHIM_LOG_WARN, "%s: could not be parsed; file ignored", path);
	current = NULL;
	cfg_free(cfg);
fail:
	free(*lines);
	*lines = NULL;
	free(text);
	return NULL;
}

KASHIM_EXPORT enum kashim_conf_result
kashim_conffile_load_rules(const char *path, const char *exe_name, const char *argv0_name,
			   struct kashim_settings *s, struct kashim_ruleset **rules,
			   const struct kashim_logger *log)
{
	struct parse_ctx ctx = {.log = log, .path = path};
	struct kashim_settings next = *s;
	enum kashim_conf_result result;
	struct kashim_ruleset *set;
	struct rule_lines *lines;
	cfg_t *cfg, *matched;

	if (rules)
		*rules = NULL;
	if (!(cfg = parse_checked(path, &ctx, &lines, &result)))
		return result;
	matched = apply_parsed(cfg, path, exe_name, argv0_name, &next);
	set = collect_rules(cfg, matched, lines, &ctx, &next, rules != NULL);
	if (ctx.problems == 0) {
		*s = next;
		if (rules)
			*rules = set, set = NULL;
		result = KASHIM_CONF_APPLIED;
	}
	current = NULL;
	cfg_free(cfg);
	free(set);
	free(lines);
	return ctx.problems ? KASHIM_CONF_INVALID : result;
}

/* One profile into @out: @base, the top level, then program or cgroup
 * section @sec (or none), with the rules that apply under it. False
 * (logged) when out of memory. */
static bool make_profile(cfg_t *cfg, cfg_t *sec, const struct rule_lines *lines, struct parse_ctx *ctx,
			 const struct kashim_settings *base, struct kashim_conf_profile *out)
{
	out->settings = *base;
	snprintf(out->settings.file, sizeof out->settings.file, "%s", ctx->path);
	take_values(cfg, &out->settings, KASHIM_SRC_FILE);
	out->title = NULL;
	if (sec) {
		out->title = strdup(cfg_title(sec));
		if (!out->title) {
			kashim_logf(ctx->log, KASHIM_LOG_WARN, "%s: out of memory", ctx->path);
			return false;
		}
		snprintf(out->settings.section, sizeof out->settings.section, "%s", out->title);
		take_values(sec, &out->settings, KASHIM_SRC_SECTION);
	}
	out->rules = collect_rules(cfg, sec, lines, ctx, &out->settings, true);
	return ctx->problems == 0;
}

void kashim_conf_profiles_free(struct kashim_conf_profiles *p)
{
	for (unsigned i = 0; p->profile && i < p->n; i++) {
		free((char *)p->profile[i].title);
		free(p->profile[i].rules);
	}
	free(p->profile);
	p->profile = NULL;
	p->n = 0;
}

enum kashim_conf_result kashim_conffile_load_profiles(const char *path, const struct kashim_settings *base,
						      struct kashim_conf_profiles *out,
						      const struct kashim_logger *log)
{
	struct parse_ctx ctx = {.log = log, .path = path};
	enum kashim_conf_result result;
	struct rule_lines *lines;
	unsigned nprog;
	cfg_t *cfg;

	out->n = 0;
	out->profile = NULL;
	if (!(cfg = parse_checked(path, &ctx, &lines, &result)))
		return result;
	nprog = cfg_size(cfg, "program");
	out->profile = calloc(nprog + 1, sizeof out->profile[0]);
	if (!out->profile) {
		kashim_logf(log, KASHIM_LOG_WARN, "%s: out of memory", path);
		ctx.problems++;
	}
	for (unsigned i = 0; out->profile && i <= nprog && !ctx.problems; i++, out->n++) {
		cfg_t *sec = i ? cfg_getnsec(cfg, "program", i - 1) : NULL;

		if (!make_profile(cfg, sec, lines, &ctx, base, &out->profile[i]))
			ctx.problems++;
	}
	current = NULL;
	cfg_free(cfg);
	free(lines);
	if (ctx.problems) {
		kashim_conf_profiles_free(out);
		return KASHIM_CONF_INVALID;
	}
	return KASHIM_CONF_APPLIED;
}

enum kashim_conf_result kashim_conffile_load_cgroup(const char *path,
						    const struct kashim_conf_cgroup_query *query,
						    const struct kashim_settings *base,
						    struct kashim_conf_profile *out,
						    const struct kashim_logger *log)
{
	struct parse_ctx ctx = {.log = log, .path = path};
	enum kashim_conf_result result;
	struct rule_lines *lines;
	cfg_t *cfg, *sec = NULL;

	memset(out, 0, sizeof *out);
	out->settings = *base;
	if (!(cfg = parse_checked(path, &ctx, &lines, &result)))
		return result;
	for (unsigned i = 0; i < cfg_size(cfg, "cgroup") && !sec; i++) {
		cfg_t *c = cfg_getnsec(cfg, "cgroup", i);

		if (query->match(query->ctx, cfg_title(c)))
			sec = c;
	}
	if (!make_profile(cfg, sec, lines, &ctx, base, out))
		ctx.problems++;
	current = NULL;
	cfg_free(cfg);
	free(lines);
	if (ctx.problems) {
		free((char *)out->title);
		free(out->rules);
		memset(out, 0, sizeof *out);
		out->settings = *base;
		return KASHIM_CONF_INVALID;
	}
	return KASHIM_CONF_APPLIED;
}
