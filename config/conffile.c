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

#include <confuse.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

#define KASHIM_OPTS                                                        \
	CFG_BOOL("keepalive", cfg_true, CFGF_NODEFAULT),                   \
	CFG_INT("idle", 0, CFGF_NODEFAULT),                                \
	CFG_INT("interval", 0, CFGF_NODEFAULT),                            \
	CFG_INT("count", 0, CFGF_NODEFAULT),                               \
	CFG_INT_CB("user_timeout", 0, CFGF_NODEFAULT, parse_user_timeout), \
	CFG_BOOL("override", cfg_false, CFGF_NODEFAULT)

static const char *const range_checked[] = {"idle", "interval", "count"};

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
	return (exe_name && fnmatch(glob, exe_name, 0) == 0) ||
	       (argv0_name && fnmatch(glob, argv0_name, 0) == 0);
}

/* Open @path for reading and check that it is a regular file of acceptable
 * size, whose size goes to *size. Returns the fd, or -1 (and logs) on any
 * problem except ENOENT, which sets *missing. */
static int open_config(const char *path, const struct kashim_logger *log, bool *missing,
		       size_t *size)
{
	struct stat st;
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
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		kashim_logf(log, KASHIM_LOG_WARN, "%s: not a regular file; file ignored", path);
		close(fd);
		return -1;
	}
	if (st.st_size > KASHIM_CONF_MAX_BYTES) {
		kashim_logf(log, KASHIM_LOG_WARN, "%s: larger than %d bytes; file ignored", path,
			    KASHIM_CONF_MAX_BYTES);
		close(fd);
		return -1;
	}
	*size = (size_t)st.st_size;
	return fd;
}

/* Read up to @size bytes of @fd into @buf; returns how many, or -1 with
 * errno set on a read error. A file that shrank meanwhile reads short. */
static ssize_t read_up_to(int fd, char *buf, size_t size)
{
	size_t got = 0;

	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Read the whole file into a NUL-terminated buffer, refusing what libconfuse
 * should never see. Returns NULL (and logs) on any problem except ENOENT,
 * which sets *missing. */
static char *read_file(const char *path, const struct kashim_logger *log, bool *missing)
{
	size_t size;
	ssize_t got;
	char *buf;
	int fd = open_config(path, log, missing, &size);

	if (fd < 0)
		return NULL;
	buf = malloc(size + 1);
	if (!buf) {
		kashim_logf(log, KASHIM_LOG_WARN, "%s: out of memory; file ignored", path);
		close(fd);
		return NULL;
	}
	got = read_up_to(fd, buf, size);
	if (got < 0)
		kashim_logf(log, KASHIM_LOG_WARN, "%s: read error: %s; file ignored", path,
			    strerror(errno));
	close(fd);
	if (got < 0) {
		free(buf);
		return NULL;
	}
	buf[got] = '\0';
	if (memchr(buf, '\0', (size_t)got)) {
		kashim_logf(log, KASHIM_LOG_WARN, "%s: contains a NUL byte (not a text file); file ignored",
			    path);
		free(buf);
		return NULL;
	}
	return buf;
}

/* Why prescan_refuses() stopped, and on which line. */
enum prescan_stop { PRESCAN_OK, PRESCAN_ENV_REFERENCE, PRESCAN_OPEN_COMMENT, PRESCAN_OPEN_STRING };

/* Skip the block comment starting at *@p ("/" "*"), counting lines; leaves *p
 * on its closing '/'. False when the file ends inside it. */
static bool skip_block_comment(const char **p, int *line)
{
	const char *q;

	for (q = *p + 2; *q && !(q[0] == '*' && q[1] == '/'); q++)
		*line += *q == '\n';
	*p = q;
	if (!*q)
		return false;
	*p = q + 1;
	return true;
}

/* Skip the quoted string starting at *@p, counting lines; leaves *p on its
 * closing quote. Inside double quotes a ${ stops the scan (libconfuse would
 * expand it). */
static enum prescan_stop skip_string(const char **p, int *line)
{
	const char *q = *p;
	char quote = *q;

	for (q++; *q && *q != quote; q++) {
		if (*q == '\\' && q[1])
			q++;
		else if (quote == '"' && q[0] == '$' && q[1] == '{')
			return PRESCAN_ENV_REFERENCE;
		*line += *q == '\n';
	}
	*p = q;
	/* Not left to libconfuse: a string ending in a backslash at the end of
	 * the file is accepted there, and the backslash echoed to the host's
	 * stdout. */
	return *q ? PRESCAN_OK : PRESCAN_OPEN_STRING;
}

/* One pass over @text, skipping comments and quoted strings as libconfuse's
 * scanner does. *@line is where it stopped (or the file's last line);
 * *@open_line where the first still-open section began (0 if none). */
static enum prescan_stop prescan(const char *text, int *line, int *open_line)
{
	int depth = 0;

	*line = 1;
	*open_line = 0;
	for (const char *p = text; *p; p++) {
		if (*p == '\n') {
			(*line)++;
		} else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			while (p[1] && p[1] != '\n')
				p++;
		} else if (p[0] == '/' && p[1] == '*') {
			int comment_line = *line;

			/* libconfuse keeps what came before: a truncated file. */
			if (!skip_block_comment(&p, line)) {
				*line = comment_line;
				return PRESCAN_OPEN_COMMENT;
			}
		} else if (*p == '"' || *p == '\'') {
			int string_line = *line;
			enum prescan_stop stop = skip_string(&p, line);

			if (stop == PRESCAN_OPEN_STRING)
				*line = string_line;
			if (stop != PRESCAN_OK)
				return stop;
		} else if (p[0] == '$' && p[1] == '{') {
			return PRESCAN_ENV_REFERENCE;
		} else if (*p == '{') {
			if (depth++ == 0)
				*open_line = *line;
		} else if (*p == '}') {
			depth--;
		}
	}
	if (depth <= 0)
		*open_line = 0;
	return PRESCAN_OK;
}

/*
 * What libconfuse accepts silently but kashim must not: ${VAR} (expanded
 * from the host's environment, which a config shared by every process, and
 * setuid ones, must not depend on) and a section, comment or string still
 * open at the end of the file (a truncated file). Returns true (and logs)
 * when the file must be refused.
 */
static bool prescan_refuses(const char *path, const char *text, const struct kashim_logger *log)
{
	int line, open_line;
	const char *what = "section";

	switch (prescan(text, &line, &open_line)) {
	case PRESCAN_ENV_REFERENCE:
		kashim_logf(log, KASHIM_LOG_WARN,
			    "%s:%d: ${...} environment references are not supported (use KASHIM_* variables); file ignored",
			    path, line);
		return true;
	case PRESCAN_OPEN_COMMENT:
		what = "comment";
		open_line = line;
		break;
	case PRESCAN_OPEN_STRING:
		what = "string";
		open_line = line;
		break;
	case PRESCAN_OK:
		if (!open_line)
			return false;
		break;
	}
	kashim_logf(log, KASHIM_LOG_WARN,
		    "%s:%d: %s opened here is not closed before the end of the file; file ignored",
		    path, open_line, what);
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

/* Install kashim's error function and range checks on a fresh @cfg. */
static void config_set_checks(cfg_t *cfg)
{
	cfg_set_error_function(cfg, conf_error);
	for (size_t i = 0; i < sizeof range_checked / sizeof range_checked[0]; i++) {
		char name[64];

		cfg_set_validate_func(cfg, range_checked[i], validate_range);
		snprintf(name, sizeof name, "program|%s", range_checked[i]);
		cfg_set_validate_func(cfg, name, validate_range);
	}
}

/* cfg_parse_buf() with flex's ECHO going to a stream without an fd that
 * drops it; the previous output (a host program may share this libconfuse)
 * is restored. Stores cfg_parse_buf()'s result in *@rc; false (logged) when
 * the stream cannot be made and nothing was parsed. */
static bool parse_quietly(cfg_t *cfg, const char *text, const char *path,
			  const struct kashim_logger *log, int *rc)
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
 * whose title matches either name. */
static void apply_parsed(cfg_t *cfg, const char *path, const char *exe_name,
			 const char *argv0_name, struct kashim_settings *s)
{
	snprintf(s->file, sizeof s->file, "%s", path);
	take_values(cfg, s, KASHIM_SRC_FILE);
	for (unsigned i = 0; i < cfg_size(cfg, "program"); i++) {
		cfg_t *sec = cfg_getnsec(cfg, "program", i);

		if (title_matches(cfg_title(sec), exe_name, argv0_name)) {
			snprintf(s->section, sizeof s->section, "%s", cfg_title(sec));
			take_values(sec, s, KASHIM_SRC_SECTION);
			break;
		}
	}
}

KASHIM_EXPORT enum kashim_conf_result
kashim_conffile_load(const char *path, const char *exe_name, const char *argv0_name,
		     struct kashim_settings *s, const struct kashim_logger *log)
{
	cfg_opt_t program_opts[] = {KASHIM_OPTS, CFG_END()};
	cfg_opt_t opts[] = {
		KASHIM_OPTS,
		CFG_SEC("program", program_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
		CFG_END()};
	struct parse_ctx ctx = {.log = log, .path = path};
	struct kashim_settings next = *s;
	enum kashim_conf_result result = KASHIM_CONF_INVALID;
	bool missing;
	char *text;
	cfg_t *cfg;
	int rc;

	text = read_file(path, log, &missing);
	if (!text)
		return missing ? KASHIM_CONF_MISSING : KASHIM_CONF_INVALID;
	if (prescan_refuses(path, text, log)) {
		free(text);
		return KASHIM_CONF_INVALID;
	}
	cfg = cfg_init(opts, CFGF_NONE);
	if (!cfg) {
		kashim_logf(log, KASHIM_LOG_WARN, "%s: libconfuse could not start; file ignored", path);
		free(text);
		return KASHIM_CONF_INVALID;
	}
	current = &ctx;
	config_set_checks(cfg);
	if (!parse_quietly(cfg, text, path, log, &rc)) {
		/* Already logged. */
	} else if (rc == CFG_SUCCESS && ctx.problems == 0) {
		apply_parsed(cfg, path, exe_name, argv0_name, &next);
		*s = next;
		result = KASHIM_CONF_APPLIED;
	} else if (ctx.problems == 0) {
		/* Every other failure was already reported with its line. */
		kashim_logf(log, KASHIM_LOG_WARN, "%s: could not be parsed; file ignored", path);
	}
	current = NULL;
	cfg_free(cfg);
	free(text);
	return result;
}
