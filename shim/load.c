/* SPDX-License-Identifier: MIT */
/*
 * load.c - everything libkashim.so does once, when ld.so loads it, so that
 * no hook ever looks a symbol up, reads the environment or parses later.
 *
 * A constructor of priority 101 (before init.c's) runs while ld.so holds
 * its lock and no other thread or signal handler of the program runs yet:
 *   - libc's functions for the hooks, and the few this file needs, are found
 *     in one walk over the loaded objects' symbol tables (elfsym.c, real.c);
 *   - AT_SECURE and argv[0]'s basename are read;
 *   - the KASHIM_* and libkeepalive (KEEP*) variables the process started
 *     with are copied into static storage (copies, not pointers: nginx
 *     writes its process title over the environment's strings) and parsed
 *     into an overlay, each bad one noted (deferred.c) and logged once, at
 *     the first reading of the settings;
 *   - KASHIM_LOG and KASHIM_DEBUG set where messages go;
 *   - the fork handler is registered.
 * Another preloaded library's constructor may call socket() before this
 * one runs: the hook's look-up then runs this load early (ld.so is still
 * initialising), and the constructor finds it done.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/auxv.h>

#include "deferred.h"
#include "kashim.h"
#include "load.h"

/* Variables kept: at most ENV_MAX of them, ENV_BYTES in all ("NAME=value"
 * strings, NUL-terminated). The rest are logged and ignored. */
#define ENV_MAX 16
#define ENV_BYTES 4096

/* In .data, not .bss, although they start as zeros (as kashim_fdmap in
 * apply.c): .bss past the last page of .data costs every process an
 * anonymous mmap(). */
#define KASHIM_DATA __attribute__((section(".data.kashim_load")))

KASHIM_DATA static char env_store[ENV_BYTES];
KASHIM_DATA static const char *env_vars[ENV_MAX];
static unsigned env_count;
/* The process's own strings, read at load only. */
KASHIM_DATA static const char *env_dropped[ENV_MAX];
static unsigned env_ndropped;

static bool secure = true;
KASHIM_DATA static char invocation[64];
KASHIM_DATA static struct kashim_settings overlay; /* only the fields whose source is not DEFAULT */

enum { NOT_LOADED, LOADING, LOADED };
static _Atomic int load_state;

void *(*kashim_mmap)(void *, size_t, int, int, int, off_t);

/* What load needs from libc beyond the hooks' functions. */
struct libc_extras {
	unsigned long (*getauxval)(unsigned long);
	char **short_name;   /* program_invocation_short_name */
	void *fork_register; /* glibc's __register_atfork, or pthread_atfork */
	char ***environ;     /* only looked for when the caller has no envp */
};

bool kashim_secure(void)
{
	return secure;
}

const char *kashim_invocation_name(void)
{
	return invocation;
}

/* Where @var ("NAME=value") has its value when NAME is @name, else NULL. */
static const char *value_of(const char *var, const char *name)
{
	while (*name && *var == *name)
		var++, name++;
	return !*name && *var == '=' ? var + 1 : NULL;
}

const char *kashim_env(const char *name)
{
	const char *value;

	for (unsigned i = 0; i < env_count; i++)
		if ((value = value_of(env_vars[i], name)))
			return value;
	return NULL;
}

void kashim_env_apply(struct kashim_settings *s)
{
	for (int f = 0; f < KASHIM_NFIELDS; f++)
		if (overlay.source[f] != KASHIM_SRC_DEFAULT)
			kashim_settings_copy_field(s, &overlay, (enum kashim_field)f,
						   (enum kashim_source)overlay.source[f]);
}

/* Cheap on purpose: it runs for every variable of every process. */
static bool is_kashim_variable(const char *e)
{
	if (e[0] != 'K')
		return false;
	if (e[1] == 'E')
		return e[2] == 'E' && e[3] == 'P';
	return e[1] == 'A' && e[2] == 'S' && e[3] == 'H' && e[4] == 'I' && e[5] == 'M' &&
	       e[6] == '_';
}

/* Copy @from (NUL included) to @to, at most @room bytes; the length
 * copied, or 0 (and nothing meaningful in @to) when it does not fit. No
 * libc call: see elfsym.c. */
static size_t copy_string(char *to, const char *from, size_t room)
{
	size_t n = 0;

	do {
		if (n == room)
			return 0;
		to[n] = from[n];
	} while (from[n++]);
	return n;
}

static void capture(char **envp)
{
	size_t used = 0, n;

	for (; envp && *envp; envp++) {
		if (!is_kashim_variable(*envp))
			continue;
		n = 0;
		if (env_count < ENV_MAX)
			n = copy_string(env_store + used, *envp, sizeof env_store - used);
		if (!n) {
			if (env_ndropped < ENV_MAX)
				env_dropped[env_ndropped++] = *envp;
			continue;
		}
		env_vars[env_count++] = env_store + used;
		used += n;
	}
}

/* Once logging is set up: one line per variable that did not fit. */
static void report_dropped(void)
{
	for (unsigned i = 0; i < env_ndropped; i++) {
		const char *eq = strchr(env_dropped[i], '=');
		int len = eq ? (int)(eq - env_dropped[i]) : 64;

		kashim_logf(&kashim_deferred_logger, KASHIM_LOG_WARN,
			    "environment %.*s: beyond the first %d KASHIM_* and KEEP* variables or %d bytes of them; ignored",
			    len > 64 ? 64 : len, env_dropped[i], ENV_MAX, ENV_BYTES);
	}
	env_ndropped = 0;
}

/* Where the log goes (KASHIM_LOG) and how much (KASHIM_DEBUG). */
static void setup_logging(void)
{
	const char *dest = kashim_env("KASHIM_LOG"), *debug_text = kashim_env("KASHIM_DEBUG");
	enum kashim_log_to to = KASHIM_TO_SYSLOG;
	bool debug = false, bad_debug = debug_text && !kashim_parse_bool(debug_text, &debug);

	if (dest && !kashim_parse_log_dest(dest, &to)) {
		kashim_logf(&kashim_deferred_logger, KASHIM_LOG_WARN,
			    "environment KASHIM_LOG=\"%.64s\" is not syslog, stderr or an absolute path; using syslog",
			    dest);
		to = KASHIM_TO_SYSLOG;
	}
	if (!kashim_log_setup(to, dest, debug))
		kashim_logf(&kashim_deferred_logger, KASHIM_LOG_WARN,
			    "environment KASHIM_LOG: a path of %zu bytes is longer than %d; using syslog",
			    strlen(dest), KASHIM_LOG_PATH_MAX - 1);
	if (bad_debug)
		kashim_logf(&kashim_deferred_logger, KASHIM_LOG_WARN,
			    "environment KASHIM_DEBUG=\"%.64s\" is not on or off; ignored", debug_text);
}

/* One walk finds the hooks' functions and these; with @from_libc also the
 * program's name and environment, which the caller does not have. */
static void lookup_libc(struct libc_extras *x, bool from_libc)
{
	/* Functions are libc's (after this library); variables are looked
	 * for from the program on, which may hold a copy of them. */
	struct kashim_symreq extra[] = {
		{"getauxval", (void **)&x->getauxval, true, false, false},
#ifdef __GLIBC__
		/* pthread_atfork is a static stub in libc_nonshared.a, passing
		 * a __dso_handle this library (-nostartfiles) does not have. */
		{"__register_atfork", &x->fork_register, true, false, false},
#else
		{"pthread_atfork", &x->fork_register, true, false, false},
#endif
		{"mmap", (void **)&kashim_mmap, true, false, false},
		/* Only without argv and envp (before the constructor; musl). */
		{"program_invocation_short_name", (void **)&x->short_name, false, false, false},
		{"environ", (void **)&x->environ, false, false, false},
	};
	unsigned n = sizeof extra / sizeof extra[0];

	*x = (struct libc_extras){0};
	kashim_symbols_resolve(extra, from_libc ? n : n - 2);
}

/* The child of a fork() started while another thread was reading the
 * settings restarts the reading (init.c). The library is never unloaded
 * (-z nodelete), so the handler stays valid. */
static void watch_fork(void *fork_register)
{
#ifdef __GLIBC__
	int (*reg)(void (*)(void), void (*)(void), void (*)(void), void *) =
		(int (*)(void (*)(void), void (*)(void), void (*)(void), void *))fork_register;

	if (reg)
		reg(NULL, NULL, kashim_runtime_forked, NULL);
#else
	int (*atfork)(void (*)(void), void (*)(void), void (*)(void)) =
		(int (*)(void (*)(void), void (*)(void), void (*)(void)))fork_register;

	if (atfork)
		atfork(NULL, NULL, kashim_runtime_forked);
#endif
}

/* The basename of @argv0 into invocation[]. */
static void set_invocation(const char *argv0)
{
	const char *base = argv0;

	for (const char *p = argv0; *p; p++)
		if (*p == '/')
			base = p + 1;
	if (!copy_string(invocation, base, sizeof invocation))
		invocation[0] = '\0';
}

/* @argv and @envp: the constructor's arguments (glibc), or NULL. */
static void load(char **argv, char **envp)
{
	struct libc_extras x;

	lookup_libc(&x, envp == NULL);
	/* Without getauxval there is no telling: trust no environment. */
	secure = !x.getauxval || x.getauxval(AT_SECURE) != 0;
	/* Copied: a process title may be written over argv[0]. */
	if (argv && argv[0])
		set_invocation(argv[0]);
	else if (x.short_name && *x.short_name)
		set_invocation(*x.short_name);
	if (!envp && x.environ)
		envp = *x.environ;
	if (!secure)
		capture(envp);
	setup_logging();
	report_dropped();
	if (env_count)
		kashim_settings_apply_env(&overlay, kashim_env, &kashim_deferred_logger);
	watch_fork(x.fork_register);
}

int kashim_load_early(void)
{
	int state = atomic_load_explicit(&load_state, memory_order_acquire);
	int saved_errno = errno;

	if (state == LOADED)
		return KASHIM_LOAD_DONE;
	if (state != NOT_LOADED || !atomic_compare_exchange_strong(&load_state, &state, LOADING))
		return atomic_load(&load_state) == LOADED ? KASHIM_LOAD_DONE : KASHIM_LOAD_BUSY;
	load(NULL, NULL);
	atomic_store_explicit(&load_state, LOADED, memory_order_release);
	errno = saved_errno;
	return KASHIM_LOAD_DONE;
}

/* glibc passes (argc, argv, envp) to a library's constructors; musl passes
 * nothing, and then the environment is libc's environ. */
#ifdef __GLIBC__
__attribute__((constructor(101))) static void kashim_load(int argc, char **argv, char **envp)
{
	int state = NOT_LOADED;

	(void)argc;
	if (atomic_compare_exchange_strong(&load_state, &state, LOADING)) {
		load(argv, envp);
		atomic_store_explicit(&load_state, LOADED, memory_order_release);
	}
}
#else
__attribute__((constructor(101))) static void kashim_load(void)
{
	kashim_load_early();
}
#endif
