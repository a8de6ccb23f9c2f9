/*
 * init.c - resolve this process's settings exactly once, on first need.
 *
 * Lazy on purpose: a process that never makes a TCP socket never reads the
 * config, never loads libconfuse and never allocates. Settings, lowest
 * precedence first: built-in defaults, keepalive.conf (top level, then the
 * first matching program section), libkeepalive's variables, KASHIM_*.
 * The result is written once into kashim_rt and never changed after
 * kashim_state becomes READY.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "../config/conffile.h"
#include "kashim.h"
#include "rules.h"

#ifndef KASHIM_SYSCONF_PATH
#define KASHIM_SYSCONF_PATH "/etc/keepalive.conf"
#endif
#define KASHIM_PLUGIN_NAME "kashim/libkashim-conf.so"

_Atomic int kashim_state = KASHIM_UNINIT;
struct kashim_runtime kashim_rt;

/* Set while this thread initialises: a socket() made from inside (a signal
 * handler, a library we load) passes through instead of waiting on itself. */
static __thread int initialising __attribute__((tls_model("initial-exec")));

/* libc's secure_getenv, getauxval and program_invocation_short_name are
 * looked up here, by the first read of the settings, not bound by ld.so at
 * load: each symbol version a library requires (secure_getenv GLIBC_2.17,
 * getauxval GLIBC_2.16) and each data symbol it references is ld.so work in
 * every process that preloads kashim, most of which never make a TCP socket
 * (make bench, spawn: about 1,500 instructions). RTLD_DEFAULT finds what a
 * direct reference would (the program's copy of the variable, if it has
 * one). A lookup that fails gives the safe answer. */
static char *(*libc_secure_getenv)(const char *);
static const char *invocation_name = "";

static void lookup_libc(void)
{
	char **name = (char **)dlsym(RTLD_DEFAULT, "program_invocation_short_name");

	libc_secure_getenv = (char *(*)(const char *))dlsym(RTLD_DEFAULT, "secure_getenv");
	if (name && *name)
		invocation_name = *name;
}

/* Secure-execution mode, or getauxval missing: trust no environment. */
static bool secure_execution(void)
{
	unsigned long (*aux)(unsigned long) = (unsigned long (*)(unsigned long))dlsym(RTLD_DEFAULT, "getauxval");

	return !aux || aux(AT_SECURE) != 0;
}

static const char *env(const char *name)
{
	return libc_secure_getenv ? libc_secure_getenv(name) : NULL;
}

/* Where the log goes (KASHIM_LOG) and how much (KASHIM_DEBUG). Read first,
 * so that problems with the other variables reach the right place. */
static void setup_logging(struct kashim_runtime *rt, bool secure)
{
	const char *dest = secure ? NULL : env("KASHIM_LOG");
	const char *debug = secure ? NULL : env("KASHIM_DEBUG");

	rt->log_dest = KASHIM_DEST_SYSLOG;
	if (dest && !strcmp(dest, "stderr")) {
		rt->log_dest = KASHIM_DEST_STDERR;
	} else if (dest && dest[0] == '/' && strlen(dest) < sizeof rt->log_path) {
		rt->log_dest = KASHIM_DEST_FILE;
		snprintf(rt->log_path, sizeof rt->log_path, "%s", dest);
	} else if (dest && strcmp(dest, "syslog")) {
		kashim_log(KASHIM_LOG_WARN,
			   "environment KASHIM_LOG=\"%.64s\" is not syslog, stderr or an absolute path; using syslog",
			   dest);
	}
	if (debug && !kashim_parse_bool(debug, &rt->debug))
		kashim_log(KASHIM_LOG_WARN, "environment KASHIM_DEBUG=\"%.64s\" is not on or off; ignored",
			   debug);
}

/* The program's names for section matching: the basename of /proc/self/exe
 * (what actually runs: python3.11) and of argv[0] (what it was called). */
static void program_names(char *exe, size_t len)
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
			r = load_rules(path, exe, invocation_name, s, rules, &kashim_logger);
		else
			r = load(path, exe, invocation_name, s, &kashim_logger);
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
	const struct kashim_settings *s = &rt->settings;
	unsigned n = 0;

	rt->enabled = s->keepalive;
	rt->override = s->override;
	if (!rt->enabled)
		return;
	rt->opts[n++] = (struct kashim_sockopt){SOL_SOCKET, SO_KEEPALIVE, 1};
	rt->opts[n++] = (struct kashim_sockopt){IPPROTO_TCP, TCP_KEEPIDLE, s->idle};
	rt->opts[n++] = (struct kashim_sockopt){IPPROTO_TCP, TCP_KEEPINTVL, s->interval};
	rt->opts[n++] = (struct kashim_sockopt){IPPROTO_TCP, TCP_KEEPCNT, s->count};
	if (s->user_timeout > 0)
		rt->opts[n++] = (struct kashim_sockopt){IPPROTO_TCP, TCP_USER_TIMEOUT, (int)s->user_timeout};
	rt->nopts = n;
}

static void resolve(struct kashim_runtime *rt)
{
	/* In secure-execution mode (setuid, setgid, capabilities) nothing from
	 * the environment is trusted: only the compiled-in file is read. */
	bool secure = (lookup_libc(), secure_execution());
	const char *config = secure ? NULL : env("KASHIM_CONFIG");
	char exe[256];
	struct kashim_ruleset *rules = NULL;

	/* From scratch: a child forked mid-initialisation inherits a half-filled
	 * struct from its parent. */
	memset(rt, 0, sizeof *rt);
	setup_logging(rt, secure);
	program_names(exe, sizeof exe);
	snprintf(rt->program, sizeof rt->program, "%s", exe[0] ? exe : invocation_name);
	kashim_settings_defaults(&rt->settings);
	if (config && !*config) {
		kashim_log(KASHIM_LOG_WARN, "environment KASHIM_CONFIG is empty; reading %s",
			   KASHIM_SYSCONF_PATH);
		config = NULL;
	}
	load_config_file(&rt->settings, config ? config : KASHIM_SYSCONF_PATH, config != NULL, exe, &rules);
	if (!secure)
		kashim_settings_apply_env(&rt->settings, env, &kashim_logger);
	kashim_settings_finish(&rt->settings);
	precompute(rt);
	kashim_rules_build(rt, rules, secure ? NULL : env);
	if (rt->debug) {
		const struct kashim_settings *s = &rt->settings;

		kashim_log(KASHIM_LOG_DEBUG,
			   "settings for %s (argv[0] %s): keepalive=%s idle=%d interval=%d count=%d user_timeout=%ld override=%s section=\"%s\" file=\"%s\" rules=%u+%u%s",
			   rt->program, invocation_name, s->keepalive ? "on" : "off", s->idle,
			   s->interval, s->count, s->user_timeout, s->override ? "on" : "off", s->section,
			   s->file, rt->rules ? rt->rules->ndest : 0, rt->rules ? rt->rules->nlisten : 0, secure ? " (secure-execution: environment ignored)" : "");
	}
}

const struct kashim_runtime *kashim_runtime_init(void)
{
	int saved_errno = errno;
	int self = (int)getpid();
	int expected = KASHIM_UNINIT;

	if (initialising)
		return NULL;
	/* kashim_state holds the initialiser's pid while it works. */
	while (!atomic_compare_exchange_strong(&kashim_state, &expected, self)) {
		if (expected == KASHIM_READY)
			break;
		/* Another thread of this process is initialising: wait for it.
		 * A pid other than ours means it was our parent and we were
		 * forked meanwhile: nobody will finish, so start again. */
		if (expected != self)
			atomic_compare_exchange_strong(&kashim_state, &expected, KASHIM_UNINIT);
		else
			sched_yield();
		expected = KASHIM_UNINIT;
	}
	if (expected != KASHIM_READY) {
		initialising = 1;
		resolve(&kashim_rt);
		initialising = 0;
		atomic_store_explicit(&kashim_state, KASHIM_READY, memory_order_release);
	}
	errno = saved_errno;
	return &kashim_rt;
}
