/* SPDX-License-Identifier: MIT */
/*
 * conffile.h - read keepalive.conf with libconfuse.
 *
 * Built into the plugin build/kashim/libkashim-conf.so, which the shim
 * dlopen()s only when a process makes its first TCP socket and a config
 * file exists; so libconfuse is never a load-time dependency of the host.
 */
#ifndef KASHIM_CONFFILE_H
#define KASHIM_CONFFILE_H

#include "kashim_settings.h"

/* Files larger than this are refused rather than parsed. */
#define KASHIM_CONF_MAX_BYTES (1024 * 1024)

enum kashim_conf_result {
	KASHIM_CONF_APPLIED = 0,  /* the file was valid and its values are in *s */
	KASHIM_CONF_MISSING = 1,  /* the file does not exist (ENOENT) */
	KASHIM_CONF_INVALID = -1  /* problems were logged; *s is unchanged */
};

/*
 * Read @path and apply its top level, then the first program section, in
 * file order, whose title (an fnmatch(3) glob) matches @exe_name or
 * @argv0_name (either may be NULL). Every problem found is logged with file
 * and line; any problem rejects the whole file and leaves *s unchanged.
 */
enum kashim_conf_result kashim_conffile_load(const char *path, const char *exe_name,
					     const char *argv0_name, struct kashim_settings *s,
					     const struct kashim_logger *log);

struct kashim_ruleset;

/*
 * kashim_conffile_load(), which also checks every destination and listen
 * rule (a bad SPEC refuses the file, with its line) and, when the file is
 * applied and has rules for this program, stores in *@rules the table
 * (rules.h) of its program section's rules then the top level's, each with
 * its full settings; else NULL. The caller free()s it.
 */
enum kashim_conf_result kashim_conffile_load_rules(const char *path, const char *exe_name,
						   const char *argv0_name, struct kashim_settings *s,
						   struct kashim_ruleset **rules,
						   const struct kashim_logger *log);

/* Signatures, for dlsym(). */
typedef enum kashim_conf_result (*kashim_conffile_load_fn)(const char *, const char *,
							   const char *, struct kashim_settings *,
							   const struct kashim_logger *);
typedef enum kashim_conf_result (*kashim_conffile_load_rules_fn)(const char *, const char *,
								 const char *, struct kashim_settings *,
								 struct kashim_ruleset **,
								 const struct kashim_logger *);

/* Which cgroup section applies: @match is called with each cgroup section's
 * title, in file order, until it returns true (kashim-bpf resolves
 * titles to cgroups; a match callback that always returns false lists them). */
struct kashim_conf_cgroup_query {
	bool (*match)(void *ctx, const char *title);
	void *ctx;
};

/* kashim_conffile_load() for a cgroup: the file's top level, then the first
 * `cgroup "TITLE"` section @query matches (program sections never apply). */
enum kashim_conf_result kashim_conffile_load_cgroup(const char *path,
						    const struct kashim_conf_cgroup_query *query,
						    struct kashim_settings *s,
						    const struct kashim_logger *log);

#endif
