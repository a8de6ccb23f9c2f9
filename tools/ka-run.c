/* SPDX-License-Identifier: MIT */
/*
 * ka-run - run a command with kashim's TCP keepalive shim preloaded.
 * `ka-run --help` is the reference; ka-run(1) is written from it. Every
 * refusal happens before COMMAND runs. The values are checked by config/'s
 * parsers, the very ones the shim applies to the KASHIM_* variables.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../config/kashim_settings.h"
#include "ka-run.h"

/* Each variable ka-run sets, and the option that sets it. */
static const struct {
	const char *name, *option;
} vars[KARUN_NVARS] = {
	[KARUN_CONFIG] = {"KASHIM_CONFIG", "--config"},
#define KARUN_VAR(ID, NAME, KIND, MIN, MAX, DFLT, LEVEL, OPTION, BIT, ENV, LIBKA, SHORT, LONG, ...)\
	[KARUN_##ID] = {ENV, "--" LONG},
	KASHIM_FIELDS(KARUN_VAR)
#undef KARUN_VAR
	[KARUN_LOG] = {"KASHIM_LOG", "--log"},
	[KARUN_DEBUG] = {"KASHIM_DEBUG", "--debug"},
};

const char *karun_var_name(enum karun_var v)
{
	return vars[v].name;
}

const char *karun_var_option(enum karun_var v)
{
	return vars[v].option;
}

static void vsay(const char *what, const char *fmt, va_list ap)
{
	fprintf(stderr, "ka-run: %s", what);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

noreturn void karun_die_status(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay("", fmt, ap);
	va_end(ap);
	exit(status);
}

noreturn void karun_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay("", fmt, ap);
	va_end(ap);
	exit(2);
}

void karun_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay("warning: ", fmt, ap);
	va_end(ap);
}

/* The usage line of field @f's option: its spelling in a 27-column margin,
 * then its help, range and variable from config/fields.h, wrapped at 79. */
static void usage_field(enum kashim_field f)
{
	const struct kashim_field_info *i = kashim_field_info(f);
	char text[512], *save = NULL;
	int col;

	if (i->short_opt)
		col = printf("  -%c, --%s %s", i->short_opt, i->long_opt, i->arg);
	else
		col = printf("      --%s%s%s", i->long_opt, i->arg ? " " : "", i->arg ? i->arg : "");
	if (i->kind == KASHIM_KIND_BOOL)
		snprintf(text, sizeof text, "%s (%s=%s)", i->help, i->env, i->dflt ? "off" : "on");
	else
		snprintf(text, sizeof text, "%s (%ld..%ld, %s)", i->help, i->min, i->max, i->env);
	/* col: characters on the line so far; each word goes after a space. */
	for (char *w = strtok_r(text, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		bool first = w == text;

		if ((first && col > 26) || (!first && col + 1 + (int)strlen(w) > 79))
			col = printf("\n%26s", "") - 1;
		else if (first)
			col += printf("%*s", 26 - col, "");
		col += printf(" %s", w);
	}
	putchar('\n');
}

/* The usage after the settings' options. */
static void usage_rest(void)
{
	printf("      --log DEST           where the shim's messages go: syslog (default),\n"
	       "                           stderr, or an absolute file path (KASHIM_LOG)\n"
	       "  -d, --debug              log every decision of the shim (KASHIM_DEBUG=1),\n"
	       "                           to stderr unless --log or KASHIM_LOG says otherwise;\n"
	       "                           ka-run also shows the environment it sets\n"
	       "      --check [COMMAND]    do not run anything: validate the config file and\n"
	       "                           the environment (every problem, with file and\n"
	       "                           line), then print the settings COMMAND would get\n"
	       "                           and where each comes from (default, file, program\n"
	       "                           section, rule, environment, ka-run option)\n"
	       "      --to HOST:PORT       with --check: for a connection COMMAND makes to\n"
	       "                           HOST:PORT ([V6]:PORT for IPv6), which destination\n"
	       "                           rule applies and the settings it gives\n"
	       "      --listen [HOST:]PORT with --check: the same for the connections a\n"
	       "                           listener on PORT (any address) accepts\n"
	       "      --cgroup CGROUP      with --check: what the kernel backend would give\n"
	       "                           CGROUP (a cgroup v2 path or a unit name) and from\n"
	       "                           where (kashim-bpf explain, with these options)\n"
	       "      --systemd-dropin UNIT\n"
	       "                           do not run anything: print a systemd drop-in for\n"
	       "                           /etc/systemd/system/UNIT.d/kashim.conf that\n"
	       "                           preloads kashim into UNIT with these options\n"
	       "  -h, --help               show this help and exit\n"
	       "  -V, --version            show the version and exit\n"
	       "\n"
	       "Option values may follow as the next argument or after '=' (--idle=30);\n"
	       "short options also take them attached (-i30). Options end at the first\n"
	       "argument that is not one, or at '--'.\n"
	       "\n"
	       "libkashim.so is taken from $KASHIM_LIB, else from where 'make install' put\n"
	       "it (if it is there), else relative to ka-run (../build/ in the source\n"
	       "tree, ../lib/ when installed). It is added to LD_PRELOAD once, after whatever\n"
	       "LD_PRELOAD holds; another libkashim.so already there is replaced.\n"
	       "\n"
	       "A program built for the other C library (musl, by its PT_INTERP) gets the\n"
	       "libkashim.so built for it (build-musl/ beside build/, or musl/ beside the\n"
	       "library); when there is none, or KASHIM_LIB names the wrong one, ka-run\n"
	       "refuses (exit 2): the loader would stop the program.\n"
	       "\n"
	       "ka-run warns, and still runs COMMAND, when the preload cannot reach it:\n"
	       "statically linked, a Go program, or set-user-ID/set-group-ID/file\n"
	       "capabilities for the user running it.\n"
	       "\n"
	       "Exit status: COMMAND's own; 2 when ka-run refuses its input (bad or missing\n"
	       "option value, unknown option, missing config file, no COMMAND); 126 when\n"
	       "COMMAND is not executable, 127 when it is not found. With --check: 0 when\n"
	       "the config file and the environment are valid, 1 when not.\n"
	       "\n"
	       "Examples:\n"
	       "  ka-run -i 30 -n 5 -k 3 redis-cli -h db.example monitor\n"
	       "  ka-run -u auto -- ssh backup@host\n"
	       "  ka-run -c ./keepalive.conf --check python3\n"
	       "  ka-run -i 120 --systemd-dropin legacy-daemon > kashim.conf\n");
}

static void usage(void)
{
	printf("usage: ka-run [OPTION]... [--] COMMAND [ARG]...\n"
	       "       ka-run [OPTION]... --check [--to HOST:PORT | --listen [HOST:]PORT]\n"
	       "              [COMMAND [ARG]...]\n"
	       "       ka-run [OPTION]... --check --cgroup CGROUP\n"
	       "       ka-run [OPTION]... --systemd-dropin UNIT\n"
	       "\n"
	       "Run COMMAND with libkashim.so preloaded, so that its TCP sockets get\n"
	       "keepalive (SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT and\n"
	       "optionally TCP_USER_TIMEOUT). Options become KASHIM_* environment variables,\n"
	       "which take precedence over keepalive.conf and over the same variables\n"
	       "already in the environment; settings no option names come from there.\n"
	       "\n"
	       "  -c, --config FILE        read FILE instead of %s\n"
	       "                           (KASHIM_CONFIG); it must exist and be valid\n",
	       KASHIM_SYSCONF_PATH);
	for (int f = 0; f < KASHIM_NFIELDS; f++)
		usage_field(f);
	usage_rest();
}

/* ---- option values ----------------------------------------------------- */

static bool all_digits(const char *text)
{
	return *text && strspn(text, "0123456789") == strlen(text);
}

/*
 * The option of field @f with its value @text (NULL for a flag, which sets
 * the opposite of the default), checked by the shim's own parser against
 * the field's range; numbers stored in decimal (leading zeros gone). The
 * two messages only tell a word from a number out of range.
 */
static void set_field(struct karun *k, enum kashim_field f, const char *text)
{
	const struct kashim_field_info *i = kashim_field_info(f);
	char label[64], *value = k->value[KARUN_FIELD(f)];
	long v;

	if (i->kind == KASHIM_KIND_BOOL) {
		snprintf(value, PATH_MAX, "%s", i->dflt ? "off" : "on");
		return;
	}
	if (i->short_opt)
		snprintf(label, sizeof label, "--%s (-%c)", i->long_opt, i->short_opt);
	else
		snprintf(label, sizeof label, "--%s", i->long_opt);
	if (kashim_field_parse(f, text, &v)) {
		if (v == KASHIM_VALUE_AUTO)
			snprintf(value, PATH_MAX, "auto");
		else
			snprintf(value, PATH_MAX, "%ld", v);
		return;
	}
	if (!all_digits(text))
		karun_die("%s must be %sa whole number of %s from %ld to %ld, not '%s'", label,
			  i->kind == KASHIM_KIND_MS ? "auto or " : "", i->unit, i->min, i->max, text);
	karun_die("%s must be from %ld to %ld %s, not '%s'", label, i->min, i->max, i->unit, text);
}

/* -c FILE: it must exist and be a readable regular file; kept absolute,
 * since the program may change its directory before its first socket. */
static void set_config(struct karun *k, const char *file)
{
	struct stat st;
	char cwd[PATH_MAX];
	int n;

	if (!*file)
		karun_die("--config (-c) needs a file name");
	if (stat(file, &st) < 0)
		karun_die("--config (-c): %s: no such file", file);
	if (!S_ISREG(st.st_mode))
		karun_die("--config (-c): %s: not a regular file", file);
	if (access(file, R_OK) < 0)
		karun_die("--config (-c): %s: cannot be read", file);
	if (file[0] == '/' || !getcwd(cwd, sizeof cwd))
		n = snprintf(k->value[KARUN_CONFIG], PATH_MAX, "%s", file);
	else
		n = snprintf(k->value[KARUN_CONFIG], PATH_MAX, "%s/%s", cwd, file);
	if (n < 0 || n >= PATH_MAX)
		karun_die("--config (-c): %s: path too long", file);
}

static void set_log(struct karun *k, const char *dest)
{
	enum kashim_log_to to;

	if (!kashim_parse_log_dest(dest, &to))
		karun_die("--log must be syslog, stderr or an absolute file path, not '%s'", dest);
	snprintf(k->value[KARUN_LOG], PATH_MAX, "%s", dest);
}

static void set_mode(struct karun *k, enum karun_mode mode)
{
	if (k->mode != KARUN_RUN && k->mode != mode)
		karun_die("--check and --systemd-dropin cannot be combined");
	k->mode = mode;
}

/* ---- the command line ---------------------------------------------------- */

/* Options with no short form; a setting's is OPT_FIELD + its field. */
enum { OPT_LOG = 256, OPT_CHECK, OPT_DROPIN, OPT_TO, OPT_LISTEN, OPT_CGROUP, OPT_FIELD = 512 };

/* --cgroup, for --check: the kernel backend's explanation instead. */
static const char *check_cgroup;

/* --to / --listen, for --check. */
static struct karun_target target;
static bool has_target;

/* ka-run's own options; build_options() puts the settings' before them. */
static const struct option own_options[] = {
	{"config", required_argument, NULL, 'c'},
	{"log", required_argument, NULL, OPT_LOG},
	{"debug", no_argument, NULL, 'd'},
	{"check", no_argument, NULL, OPT_CHECK},
	{"systemd-dropin", required_argument, NULL, OPT_DROPIN},
	{"to", required_argument, NULL, OPT_TO},
	{"listen", required_argument, NULL, OPT_LISTEN},
	{"cgroup", required_argument, NULL, OPT_CGROUP},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};
#define KARUN_OWN_OPTIONS (sizeof own_options / sizeof own_options[0])

static struct option long_options[KASHIM_NFIELDS + KARUN_OWN_OPTIONS];
/* "+:c:", each setting's short option, "dhV", NUL. */
static char short_options[4 + 2 * KASHIM_NFIELDS + 3 + 1];

/* getopt_long()'s tables: one option per setting of config/fields.h (a
 * flag for an on/off one), then ka-run's own. */
static void build_options(void)
{
	size_t n = 0, len = 0;

	len += (size_t)sprintf(short_options, "+:c:");
	for (int f = 0; f < KASHIM_NFIELDS; f++) {
		const struct kashim_field_info *i = kashim_field_info(f);

		long_options[n++] = (struct option){i->long_opt, i->arg ? required_argument : no_argument,
						    NULL, i->short_opt ? i->short_opt : OPT_FIELD + f};
		if (i->short_opt)
			len += (size_t)sprintf(short_options + len, "%c%s", i->short_opt, i->arg ? ":" : "");
	}
	sprintf(short_options + len, "dhV");
	memcpy(long_options + n, own_options, sizeof own_options);
}

/* The setting option @c (getopt_long()'s value) sets, or -1. */
static int field_of_option(int c)
{
	if (c >= OPT_FIELD && c < OPT_FIELD + KASHIM_NFIELDS)
		return c - OPT_FIELD;
	for (int f = 0; c && f < KASHIM_NFIELDS; f++)
		if (kashim_field_info(f)->short_opt == c)
			return f;
	return -1;
}

/* The option as the user wrote it, for messages: "--idle" of "--idle=5". */
static const char *spelled(const char *arg, char *buf, size_t len)
{
	snprintf(buf, len, "%.*s", (int)strcspn(arg, "="), arg);
	return buf;
}

/* getopt_long() accepts unique abbreviations (--id); ka-run never has:
 * true when @arg names @opt in full. */
static bool whole_name(const char *arg, const struct option *opt)
{
	size_t n = strcspn(arg + 2, "=");

	return strlen(opt->name) == n && !strncmp(arg + 2, opt->name, n);
}

/* A getopt_long() error: a missing value, a value given to a flag, or an
 * unknown option; always exits 2. */
static noreturn void option_error(int c, const char *arg)
{
	char name[64];

	spelled(arg, name, sizeof name);
	if (c == ':')
		karun_die("%s needs a value (see ka-run --help)", name);
	if (optopt && strchr(arg, '=') && !strncmp(arg, "--", 2))
		karun_die("%s takes no value", name);
	if (optopt && arg[1] != '-')
		snprintf(name, sizeof name, "-%c", optopt);
	karun_die("unknown option '%s' (see ka-run --help)", name);
}

/* Take option @c (getopt_long()'s value) with its value @arg into @k. */
static void apply_option(struct karun *k, int c, const char *arg)
{
	if (field_of_option(c) >= 0) {
		set_field(k, field_of_option(c), arg);
		return;
	}
	switch (c) {
	case 'h':
		usage();
		exit(0);
	case 'V':
		printf("ka-run (kashim) %s\n", KASHIM_VERSION);
		exit(0);
	case 'c':
		set_config(k, arg);
		break;
	case OPT_LOG:
		set_log(k, arg);
		break;
	case 'd':
		snprintf(k->value[KARUN_DEBUG], PATH_MAX, "1");
		break;
	case OPT_CHECK:
		set_mode(k, KARUN_CHECK);
		break;
	case OPT_DROPIN:
		set_mode(k, KARUN_DROPIN);
		k->unit = arg;
		break;
	case OPT_TO:
	case OPT_LISTEN:
		if (has_target)
			karun_die("--to and --listen: one at a time");
		karun_parse_target(c == OPT_TO ? "--to" : "--listen",
				   c == OPT_TO ? KASHIM_RULE_DESTINATION : KASHIM_RULE_LISTEN, arg, &target);
		has_target = true;
		break;
	case OPT_CGROUP:
		check_cgroup = arg;
		break;
	}
}

/* Parse the options into @k; returns the index of COMMAND in @argv. */
static int parse_options(struct karun *k, int argc, char **argv)
{
	int c, index, at;

	build_options();
	opterr = 0;
	/* '+': options end at the first argument that is not one. The option
	 * getopt_long() is at is argv[at]: optind moves past its value too. */
	while ((index = -1, at = optind,
		c = getopt_long(argc, argv, short_options, long_options, &index)) != -1) {
		const char *arg = argv[at < argc ? at : argc - 1];

		if (c == '?' || c == ':')
			option_error(c, arg);
		if (index >= 0 && !whole_name(arg, &long_options[index])) {
			char name[64];

			karun_die("unknown option '%s' (see ka-run --help)", spelled(arg, name, sizeof name));
		}
		apply_option(k, c, optarg);
	}
	return optind;
}

/* ---- the modes --------------------------------------------------------- */

static void report_config_problem(const char *msg)
{
	fprintf(stderr, "ka-run: %s\n", msg);
}

/* Refuse an invalid -c FILE: the shim would ignore it and use the defaults,
 * which is not what anyone who names a file wants. */
static void validate_config(const struct karun *k)
{
	const char *file = k->value[KARUN_CONFIG];

	if (*file && karun_validate_file(file, report_config_problem))
		karun_die("--config (-c): %s is not valid (see above); try ka-run -c FILE --check", file);
}

/* Put the options' variables in the environment (-d shows them). */
static void export_settings(const struct karun *k, bool show)
{
	for (int v = 0; v < KARUN_NVARS; v++) {
		if (!k->value[v][0])
			continue;
		setenv(vars[v].name, k->value[v], 1);
		if (show)
			fprintf(stderr, "ka-run: %s=%s\n", vars[v].name, k->value[v]);
	}
}

static noreturn void run(struct karun *k, char **command)
{
	const char *old = getenv("LD_PRELOAD") ? getenv("LD_PRELOAD") : "";
	bool debug = k->value[KARUN_DEBUG][0];
	char path[PATH_MAX];
	size_t len;
	char *preload;

	karun_resolve_command(command[0], path, sizeof path);
	karun_find_library(k, path);
	validate_config(k);
	karun_compile_config(k->value[KARUN_CONFIG]);
	karun_warn_unreachable(path);
	/* -d shows the shim's decisions where the user is looking, unless told otherwise. */
	if (debug && !k->value[KARUN_LOG][0] && !(getenv("KASHIM_LOG") && *getenv("KASHIM_LOG")))
		snprintf(k->value[KARUN_LOG], PATH_MAX, "stderr");
	export_settings(k, debug);
	/* At most the old list, a separator, the library and a NUL. */
	len = strlen(old) + strlen(k->lib) + 2;
	preload = malloc(len);
	if (!preload)
		karun_die("out of memory");
	karun_with_preload(old, k->lib, preload, len);
	setenv("LD_PRELOAD", preload, 1);
	if (debug)
		fprintf(stderr, "ka-run: LD_PRELOAD=%s\n", preload);
	execvp(command[0], command);
	karun_die_status(errno == ENOENT ? 127 : 126, "%s: %s", command[0], strerror(errno));
}

/* kashim-bpf: beside ka-run (the build tree), in ../sbin of an installed
 * bin/, else on PATH. */
static void find_kashim_bpf(char *out, size_t len)
{
	char self[PATH_MAX], *slash;
	static const char *const beside[] = {"kashim-bpf", "../sbin/kashim-bpf"};

	if (realpath("/proc/self/exe", self) && (slash = strrchr(self, '/'))) {
		*slash = '\0';
		for (size_t i = 0; i < sizeof beside / sizeof beside[0]; i++) {
			snprintf(out, len, "%s/%s", self, beside[i]);
			if (access(out, X_OK) == 0)
				return;
		}
	}
	if (karun_path_search("kashim-bpf", out, len) != KARUN_FOUND)
		karun_die("--cgroup: kashim-bpf is not installed (it is built when clang, bpftool and libbpf-dev are present)");
}

/* --check --cgroup CGROUP: what a cgroup gets from the kernel backend and
 * from where, explained by kashim-bpf with ka-run's options. Never returns. */
static noreturn void check_for_cgroup(struct karun *k, char **command)
{
	char bpf[PATH_MAX];
	char *argv[8 + 2 * KASHIM_NFIELDS];
	int n = 0;

	if (command[0])
		karun_die("--cgroup explains a cgroup, not a COMMAND: '%s'", command[0]);
	find_kashim_bpf(bpf, sizeof bpf);
	argv[n++] = bpf;
	argv[n++] = "explain";
	if (k->value[KARUN_CONFIG][0]) {
		argv[n++] = "-c";
		argv[n++] = (char *)k->value[KARUN_CONFIG];
	}
	/* kashim-bpf takes the settings' options as ka-run spells them. */
	for (int f = 0; f < KASHIM_NFIELDS; f++) {
		if (!k->value[KARUN_FIELD(f)][0])
			continue;
		argv[n++] = (char *)karun_var_option(KARUN_FIELD(f));
		if (kashim_field_info(f)->arg)
			argv[n++] = k->value[KARUN_FIELD(f)];
	}
	if (has_target) {
		argv[n++] = target.kind == KASHIM_RULE_LISTEN ? "--listen" : "--to";
		argv[n++] = (char *)target.text;
	}
	argv[n++] = (char *)check_cgroup;
	argv[n] = NULL;
	execv(bpf, argv);
	karun_die_status(126, "%s: %s", bpf, strerror(errno));
}

static int check(struct karun *k, char **command)
{
	char path[PATH_MAX];
	struct karun_query q = {NULL, NULL, has_target ? &target : NULL};

	if (command[0]) {
		karun_resolve_command(command[0], path, sizeof path);
		q.path = path;
		q.argv0 = command[0];
	}
	karun_find_library(k, q.path);
	export_settings(k, false);
	return karun_explain(k, &q);
}

static int dropin(struct karun *k, char **command)
{
	char unit[512];

	if (command[0])
		karun_die("--systemd-dropin takes no COMMAND (the unit's ExecStart= is the command): '%s'",
			  command[0]);
	karun_check_unit(k->unit, unit, sizeof unit);
	karun_find_library(k, NULL);
	validate_config(k);
	karun_compile_config(k->value[KARUN_CONFIG]);
	karun_print_dropin(k, unit);
	return 0;
}

int main(int argc, char **argv)
{
	static struct karun k;
	int first = parse_options(&k, argc, argv);

	if (check_cgroup && k.mode != KARUN_CHECK)
		karun_die("--cgroup goes with --check (see ka-run --help)");
	if (check_cgroup)
		check_for_cgroup(&k, argv + first);
	if (has_target && k.mode != KARUN_CHECK)
		karun_die("%s goes with --check (see ka-run --help)",
			  target.kind == KASHIM_RULE_LISTEN ? "--listen" : "--to");
	switch (k.mode) {
	case KARUN_RUN:
		if (first >= argc)
			karun_die("no COMMAND given (see ka-run --help)");
		run(&k, argv + first);
	case KARUN_CHECK:
		return check(&k, argv + first);
	case KARUN_DROPIN:
		return dropin(&k, argv + first);
	}
	return 2;
}
