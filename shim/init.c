/* SPDX-License-Identifier: MIT */
/*
 * init.c - resolve this process's settings exactly once, on first need.
 *
 * Lazy on purpose: a process that never makes a TCP socket never reads the
 * config. The config is the compiled form of keepalive.conf (FILE.cache,
 * config/compiled.h), read with system calls only: no host ever parses the
 * system's file, loads libconfuse or allocates for it. A KASHIM_CONFIG file
 * that is not compiled (or whose form is stale or unusable) is parsed once
 * at load, by a constructor, where only processes started with it pay.
 * Settings, lowest precedence first: built-in defaults, keepalive.conf (top
 * level, then the first matching program section), libkeepalive's
 * variables, KASHIM_*.
 * The variables are the ones the process started with (captured when the
 * library loads), so a program that clears its environment keeps them.
 * The result is written once into kashim_rt and never changed after
 * kashim_state becomes READY. No thread ever waits for another here: the
 * settings are read under ld.so's lock (dlsym, dladdr, dlopen), and a
 * thread that waited for the reader could hold that lock itself.
 */
#define _GNU_SOURCE
#include <dlfcn.h> /* RTLD_NOW, RTLD_LOCAL: constants only */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "../config/compiled.h"
#include "../config/conffile.h"
#include "deferred.h"
#include "kashim.h"
#include "load.h"
#include "rules.h"

#define KASHIM_PLUGIN_NAME "kashim/libkashim-conf.so"

_Atomic int kashim_state = KASHIM_UNINIT;
struct kashim_runtime kashim_rt;

/* Set while this thread reads the settings: a hook entered from inside (a
 * signal handler, a library we load) passes through instead of waiting. */
static __thread int initialising __attribute__((tls_model("initial-exec")));

/* The program's names for section matching: the basename of /proc/self/exe
 * (what actually runs: python3.11) and of argv[0] (what it was called). */
static void exe_basename(char *exe, size_t len)
{
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
	const char *base;

	exe[0] = '\0';
	if (n <= 0)
		return;
	path[n] = '\0';
	base = strrchr(path, '/');
	snprintf(exe, len, "%s", base ? base + 1 : path);
}

/* dlopen the config plugin that sits beside this library (build/kashim/ or
 * $(LIBDIR)/kashim/) and let it read @path, at load; its messages go to
 * @log. libconfuse comes with it. */
static void load_config_file(struct kashim_settings *s, const char *path, const char *exe,
			     struct kashim_ruleset **rules, const struct kashim_logger *log)
{
	const char *self = kashim_self_path();
	char plugin[PATH_MAX];
	const char *slash;
	void *handle;
	kashim_conffile_load_rules_fn load_rules;
	enum kashim_conf_result r = KASHIM_CONF_INVALID;

	if (access(path, F_OK) != 0 && errno == ENOENT) {
		kashim_logf(log, KASHIM_LOG_WARN, "config file %s does not exist; using defaults and environment", path);
		return;
	}
	if (!self || !(slash = strrchr(self, '/'))) {
		kashim_logf(log, KASHIM_LOG_WARN, "cannot tell where libkashim.so is loaded from; %s ignored", path);
		return;
	}
	if (!kashim_libdl_find()) {
		kashim_logf(log, KASHIM_LOG_WARN,
			    "this C library has no dlopen() in the program (glibc before 2.34 keeps it in libdl); %s ignored: compile it with kashim-compile %s",
			    path, path);
		return;
	}
	snprintf(plugin, sizeof plugin, "%.*s/%s", (int)(slash - self), self, KASHIM_PLUGIN_NAME);
	handle = kashim_libdl.open(plugin, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		kashim_logf(log, KASHIM_LOG_WARN, "cannot load the config reader (%s); %s ignored",
			    kashim_libdl.error(), path);
		return;
	}
	load_rules = (kashim_conffile_load_rules_fn)kashim_libdl.sym(handle, "kashim_conffile_load_rules");
	/* The rule table is plain heap memory: it outlives dlclose(). */
	if (load_rules)
		r = load_rules(path, exe, kashim_invocation_name(), s, rules, log);
	else
		kashim_logf(log, KASHIM_LOG_WARN, "%s has no kashim_conffile_load_rules; %s ignored", plugin, path);
	if (r == KASHIM_CONF_MISSING)
		kashim_logf(log, KASHIM_LOG_WARN, "config file %s does not exist; using defaults and environment", path);
	kashim_libdl.close(handle);
}

/* What the constructor prepared for a KASHIM_CONFIG file: its fresh
 * compiled form, or its text parsed by the plugin. Written before main(),
 * read-only afterwards. */
static struct {
	bool done;                          /* the constructor looked at KASHIM_CONFIG */
	bool parsed;                        /* no usable form: the text was parsed */
	struct kashim_settings settings;    /* when parsed: defaults, then the file */
	struct kashim_ruleset *rules;       /* when parsed: the plugin's table, or NULL */
	struct kashim_compiled_view view;   /* else: the checked, fresh compiled form */
	const char *path;                   /* the KASHIM_CONFIG it was prepared for */
} at_load;
/* (Small on purpose: the library's zero-initialised data must stay within
 * the last page of its data segment, or ld.so maps one more region in
 * every process; tests/perf/startup.t counts the system calls.) */

/* The system's compiled form, read at the first TCP socket; rules point
 * into it, so it is never unmapped. */
static struct kashim_compiled_view system_view;

/* Open @text's compiled form and check it is fresh: @v on success. */
static enum kashim_compiled_status open_fresh(const char *text, struct kashim_compiled_view *v)
{
	char cache[PATH_MAX];
	enum kashim_compiled_status st;

	if (!kashim_compiled_path(text, cache, sizeof cache))
		return KASHIM_COMPILED_UNREADABLE;
	st = kashim_compiled_open(cache, false, v);
	if (st == KASHIM_COMPILED_OK &&
	    kashim_compiled_freshness(v, text) != KASHIM_COMPILED_FRESH) {
		kashim_compiled_close(v);
		return KASHIM_COMPILED_MISSING;
	}
	return st;
}

/* Only processes started with KASHIM_CONFIG=FILE pay here: FILE's fresh
 * compiled form is checked now (read at the first TCP socket from memory),
 * or FILE itself is parsed, by the plugin, now: at load, under ld.so's
 * lock, where no hook and no signal handler of the program can be running;
 * never later inside a hook. After the load-time constructors (101). */
__attribute__((constructor(102))) static void kashim_config_at_load(void)
{
	const char *config;
	char exe[256];
	int saved_errno;

	/* kashim_env() leaves errno alone; errno is saved only past the
	 * return of a process without KASHIM_CONFIG, which so never binds
	 * __errno_location at load (make bench, spawn). */
	config = kashim_env("KASHIM_CONFIG");
	if (!config || !*config)
		return;
	saved_errno = errno;
	at_load.path = config;
	if (open_fresh(config, &at_load.view) != KASHIM_COMPILED_OK) {
		exe_basename(exe, sizeof exe);
		kashim_settings_defaults(&at_load.settings);
		load_config_file(&at_load.settings, config, exe, &at_load.rules,
				 &kashim_deferred_logger);
		at_load.parsed = true;
	}
	at_load.done = true;
	errno = saved_errno;
}

/* Profile of @v for this program into @s; its rules (in @v), or NULL. */
static struct kashim_ruleset *from_compiled(const struct kashim_compiled_view *v,
					    struct kashim_settings *s, const char *exe)
{
	const struct kashim_compiled_profile *p = kashim_compiled_select(v, exe, kashim_invocation_name());

	*s = p->settings;
	return kashim_compiled_rules(v, p);
}

/* The system's file, compiled: used while it is valid, even when the text
 * has changed since (the tools report that, not every process). Its
 * problems are logged only under KASHIM_DEBUG: every process of a
 * system-wide preload would otherwise log the same line. */
static struct kashim_ruleset *system_config(struct kashim_runtime *rt, bool secure, const char *exe)
{
	char cache[PATH_MAX];
	enum kashim_compiled_status st;
	enum kashim_compiled_freshness fresh;

	if (!kashim_compiled_path(KASHIM_SYSCONF_PATH, cache, sizeof cache))
		return NULL;
	/* From scratch: a child forked mid-reading inherits a half-read view. */
	system_view.base = NULL;
	st = kashim_compiled_open(cache, secure, &system_view);
	if (st != KASHIM_COMPILED_OK) {
		if (rt->debug &&
		    (st != KASHIM_COMPILED_MISSING || access(KASHIM_SYSCONF_PATH, F_OK) == 0))
			kashim_log(KASHIM_LOG_DEBUG, "%s: %s; %s not used (run kashim-preload reload)",
				   cache, kashim_compiled_status_text(st), KASHIM_SYSCONF_PATH);
		return NULL;
	}
	fresh = kashim_compiled_freshness(&system_view, KASHIM_SYSCONF_PATH);
	if (fresh == KASHIM_COMPILED_SOURCE_MISSING)
		return NULL; /* the file was removed: no config, as before it was written */
	if (fresh == KASHIM_COMPILED_STALE && rt->debug)
		kashim_log(KASHIM_LOG_DEBUG, "%s %s; using the last compiled form (run kashim-preload reload)",
			   KASHIM_SYSCONF_PATH, kashim_compiled_freshness_text(fresh));
	return from_compiled(&system_view, &rt->settings, exe);
}

/* KASHIM_CONFIG=@config: what the constructor prepared. A file it did not
 * see (the variable set after load, or a socket made by another library's
 * constructor before ours ran) is used only in compiled form. */
static struct kashim_ruleset *user_config(struct kashim_runtime *rt, const char *config,
					  const char *exe)
{
	static struct kashim_compiled_view late;
	enum kashim_compiled_status st;

	if (at_load.done && (at_load.path == config || !strcmp(at_load.path, config))) {
		if (!at_load.parsed)
			return from_compiled(&at_load.view, &rt->settings, exe);
		rt->settings = at_load.settings;
		return at_load.rules;
	}
	late.base = NULL;
	st = open_fresh(config, &late);
	if (st == KASHIM_COMPILED_OK)
		return from_compiled(&late, &rt->settings, exe);
	if (access(config, F_OK) != 0)
		kashim_log(KASHIM_LOG_WARN, "config file %s does not exist; using defaults and environment", config);
	else
		kashim_log(KASHIM_LOG_WARN, "config file %s (KASHIM_CONFIG) was not read at load and its compiled form is %s; using defaults and environment (run kashim-compile %s)",
			   config,
			   st == KASHIM_COMPILED_MISSING ? "missing or stale" :
							   kashim_compiled_status_text(st),
			   config);
	return NULL;
}

/* Turn settings into the list of setsockopt() calls every TCP socket gets. */
static void precompute(struct kashim_runtime *rt)
{
	rt->enabled = rt->settings.keepalive;
	rt->override = rt->settings.override;
	rt->nopts = kashim_sockopts_from(&rt->settings, rt->opts);
}

static void read_settings(struct kashim_runtime *rt)
{
	/* In secure-execution mode (setuid, setgid, capabilities) nothing from
	 * the environment is trusted: only the compiled-in file is read. */
	bool secure = kashim_secure();
	const char *config = kashim_env("KASHIM_CONFIG");
	char exe[256];
	struct kashim_ruleset *rules = NULL;

	/* From scratch: a child forked mid-initialisation inherits a half-filled
	 * struct from its parent. */
	memset(rt, 0, sizeof *rt);
	rt->debug = kashim_log_debug();
	exe_basename(exe, sizeof exe);
	snprintf(rt->program, sizeof rt->program, "%s", exe[0] ? exe : kashim_invocation_name());
	kashim_deferred_report();
	kashim_settings_defaults(&rt->settings);
	if (config && !*config) {
		kashim_log(KASHIM_LOG_WARN, "environment KASHIM_CONFIG is empty; reading %s",
			   KASHIM_SYSCONF_PATH);
		config = NULL;
	}
	rules = config ? user_config(rt, config, exe) : system_config(rt, secure, exe);
	kashim_env_apply(&rt->settings);
	kashim_settings_finish(&rt->settings);
	precompute(rt);
	kashim_rules_build(rt, rules, secure ? NULL : kashim_env);
	if (rt->debug) {
		const struct kashim_settings *s = &rt->settings;

		kashim_log(KASHIM_LOG_DEBUG,
			   "settings for %s (argv[0] %s): keepalive=%s idle=%d interval=%d count=%d user_timeout=%ld override=%s section=\"%s\" file=\"%s\" rules=%u+%u%s",
			   rt->program, kashim_invocation_name(), s->keepalive ? "on" : "off", s->idle,
			   s->interval, s->count, s->user_timeout, s->override ? "on" : "off", s->section,
			   s->file, rt->rules ? rt->rules->ndest : 0, rt->rules ? rt->rules->nlisten : 0, secure ? " (secure-execution: environment ignored)" : "");
	}
}

/* In a child forked while another thread was reading the settings, nobody
 * will finish: start again there. Not when the forking thread is the reader
 * itself (a signal handler that forked): it finishes in the child too. */
void kashim_runtime_forked(void)
{
	int busy = KASHIM_BUSY;

	if (!initialising)
		atomic_compare_exchange_strong(&kashim_state, &busy, KASHIM_UNINIT);
}

const struct kashim_runtime *kashim_runtime_init(void)
{
	int saved_errno = errno;
	int expected = KASHIM_UNINIT;

	if (initialising)
		return NULL;
	if (!atomic_compare_exchange_strong(&kashim_state, &expected, KASHIM_BUSY)) {
		errno = saved_errno;
		return expected == KASHIM_READY ? &kashim_rt : NULL;
	}
	initialising = 1;
	read_settings(&kashim_rt);
	initialising = 0;
	atomic_store(&kashim_state, KASHIM_READY);
	kashim_mode_decide(&kashim_rt);
	kashim_pending_drain(&kashim_rt);
	errno = saved_errno;
	return &kashim_rt;
}
