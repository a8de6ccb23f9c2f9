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
 * file order, whose title (a glob, glob.h) matches @exe_name or
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

/* What one program gets from a file: profile 0 is the top level alone (no
 * program section matched), then one profile per program section in file
 * order, for the first whose title matches (glob.h). What kashim-compile
 * writes into FILE.cache (compiled.h). */
struct kashim_conf_profile {
	const char *title;              /* the section's glob; NULL for profile 0 */
	struct kashim_settings settings; /* base, the top level, then the section */
	struct kashim_ruleset *rules;   /* the section's rules then the top level's, each
					 * on top of settings; NULL when none */
};
struct kashim_conf_profiles {
	unsigned n;
	struct kashim_conf_profile *profile;
};

/*
 * Read @path once, check all of it as kashim_conffile_load_rules() does,
 * and store in @out every profile a program can get, each starting from
 * @base. On INVALID or MISSING @out is empty. Free with
 * kashim_conf_profiles_free().
 */
enum kashim_conf_result kashim_conffile_load_profiles(const char *path, const struct kashim_settings *base,
						      struct kashim_conf_profiles *out,
						      const struct kashim_logger *log);
void kashim_conf_profiles_free(struct kashim_conf_profiles *p);

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

/* A cgroup's profile, for kashim-bpf: @base, the file's top level, then
 * the first `cgroup "TITLE"` section @query matches (program sections
 * never apply); its rules that section's in file order, then the top
 * level's, each on top of those settings: built by the same code as a
 * program section's profile in kashim_conffile_load_profiles(), and the
 * whole file checked as there. On MISSING or INVALID @out has
 * @base and no rules. The caller free()s out->title and out->rules. */
enum kashim_conf_result kashim_conffile_load_cgroup(const char *path,
						    const struct kashim_conf_cgroup_query *query,
						    const struct kashim_settings *base,
						    struct kashim_conf_profile *out,
						    const struct kashim_logger *log);

#endif
