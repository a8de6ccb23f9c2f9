/* SPDX-License-Identifier: MIT */
/*
 * init.c - resolve this process's settings exactly once, on first need.
 *
 * Lazy on purpose: a process that never makes a TCP socket never reads the
 * config, never loads libconfuse and never allocates. Settings, lowest
 * precedence first: built-in defaults, keepalive.conf (top level, then the
 * first matching program section), libkeepalive's variables, KASHIM_*.
 * The variables are the ones the process started with (captured when the
 * library loads), so a program that clears its environment keeps them.
 * The result is written once into kashim_rt and never changed after
 * kashim_state becomes READY. No thread ever waits for another here: the
 * settings are read under ld.so's lock (dlsym, dladdr, dlopen), and a
 * thread that waited for the reader could hold that lock itself.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
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

#include "../config/conffile.h"
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
 * $(LIBDIR)/kashim/) and let it read @path. libconfuse comes with it. */
static void load_config_file(struct kashim_settings *s, const char *path, bool required,
			     const char *exe, struct kashim_ruleset **rules)
{
	Dl_info self;
	char plugin[PATH_MAX];
	const char *slash;
	void *handle;
	kashim_conffile_load_fn load;
	kashim_conffile_load_rules_fn load_rules;
	enum kashim_conf_result r = KASHIM_CONF_INVALID;

	if (access(path, F_OK) != 0 && errno == ENOENT) {
		if (required)
			kashim_log(KASHIM_LOG_WARN, "config file %s does not exist; using defaults and environment",
				   path);
		return;
	}
	if (!dladdr((void *)kashim_runtime_init, &self) || !self.dli_fname ||
	    !(slash = strrchr(self.dli_fname, '/'))) {
		kashim_log(KASHIM_LOG_WARN, "cannot tell where libkashim.so is loaded from; %s ignored", path);
		return;
	}
	snprintf(plugin, sizeof plugin, "%.*s/%s", (int)(slash - self.dli_fname), self.dli_fname,
		 KASHIM_PLUGIN_NAME);
	handle = dlopen(plugin, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		kashim_log(KASHIM_LOG_WARN, "cannot load the config reader (%s); %s ignored", dlerror(), path);
		return;
	}
	load = (kashim_conffile_load_fn)dlsym(handle, "kashim_conffile_load");
	load_rules = (kashim_conffile_load_rules_fn)dlsym(handle, "kashim_conffile_load_rules");
	if (load_rules || load) {
		/* The rule table is plain heap memory: it outlives dlclose(). */
		if (load_rules)
			r = load_rules(path, exe, kashim_invocation_name(), s, rules, &kashim_logger);
		else
			r = load(path, exe, kashim_invocation_name(), s, &kashim_logger);
		if (r == KASHIM_CONF_MISSING && required)
			kashim_log(KASHIM_LOG_WARN, "config file %s does not exist; using defaults and environment",
				   path);
	} else {
		kashim_log(KASHIM_LOG_WARN, "%s has no kashim_conffile_load; %s ignored", plugin, path);
	}
	dlclose(handle);
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
	kashim_load_report();
	kashim_settings_defaults(&rt->settings);
	if (config && !*config) {
		kashim_log(KASHIM_LOG_WARN, "environment KASHIM_CONFIG is empty; reading %s",
			   KASHIM_SYSCONF_PATH);
		config = NULL;
	}
	load_config_file(&rt->settings, config ? config : KASHIM_SYSCONF_PATH, config != NULL, exe, &rules);
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
