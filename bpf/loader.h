/* SPDX-License-Identifier: MIT */
/*
 * loader.h - what the files of kashim-bpf share: resolving cgroups
 * (cgroups.c), the settings of an attachment (profile.c), and the pinned
 * attachments in bpffs (pins.c); loader.c has the command line.
 *
 * Exit statuses used everywhere: 0 done, 1 the kernel or the system
 * refused (reason given), 2 bad input (one line naming it).
 */
#ifndef KASHIM_LOADER_H
#define KASHIM_LOADER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../config/kashim_settings.h"
#include "../config/rules.h"
#include "kashim_bpf.h"

#define KB_EXIT_OK 0
#define KB_EXIT_REFUSED 1
#define KB_EXIT_USAGE 2

/* Where kashim-bpf pins (pinroot.c): one directory per attachment, named
 * by cgroup id, in KB_PIN_ROOT of the bpffs KB_BPFFS. */
#define KB_BPFFS (kb_bpffs())
#define KB_PIN_ROOT (kb_pin_root())
#define KB_PIN_SK_STATE (kb_pin_sk_state())
#define KB_PIN_UNITS (kb_pin_units())

/* The bpffs: $KASHIM_BPF_FS when absolute, else /sys/fs/bpf. */
const char *kb_bpffs(void);
/* Its kashim/, kashim/sk_state (the shared socket storage), kashim/unit. */
const char *kb_pin_root(void);
const char *kb_pin_sk_state(void);
const char *kb_pin_units(void);

/* Print "kashim-bpf: MESSAGE" on stderr. */
void kb_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- cgroups.c ---------------------------------------------------------- */

struct kb_cgroup {
	char path[4096];      /* absolute directory */
	uint64_t id;          /* the cgroup id (its directory's inode on cgroup2) */
	bool unit_not_found;  /* kb_cgroup_resolve: a unit name with no cgroup (not started) */
};

/* The cgroup2 mount point from /proc/mounts into @buf; false (and a message
 * when @quiet is false) when there is none. */
bool kb_cgroup2_mount(char *buf, size_t len, bool quiet);

/* Resolve @name: an absolute cgroup v2 directory, a path relative to the
 * cgroup2 mount ("system.slice/web.service") or a systemd unit name
 * ("web.service", "x.slice", "y.scope", "z.socket"), searched for under the
 * mount. Returns KB_EXIT_OK, or KB_EXIT_USAGE with @why set (not a cgroup v2
 * directory, no such unit, ambiguous), or KB_EXIT_REFUSED (no cgroup2). */
int kb_cgroup_resolve(const char *name, struct kb_cgroup *cg, char *why, size_t len);

/* The live cgroup with id @id: its absolute directory (any length) into
 * @buf; false when no cgroup has that id (removed), whatever its path. */
bool kb_cgroup_by_id(uint64_t id, char *buf, size_t len);

/* True when @name looks like a systemd unit name (has a unit suffix and no
 * slash). */
bool kb_is_unit_name(const char *name);


/* ---- profile.c ---------------------------------------------------------- */

/* In kashim_bpf_conf.cli_mask: the section was chosen with -s. */
#define KB_CLI_SECTION (1u << 31)

/* One connection to explain: its destination (--to) or local address
 * (--listen). */
struct kb_target {
	bool listen;
	const char *text;          /* as given */
	struct kashim_addr addr;   /* config/rules.h */
};

/* Command-line settings: which were given, and their values. */
struct kb_options {
	const char *config;       /* -c FILE, NULL for the default */
	const char *section;      /* -s SECTION, NULL to match by cgroup */
	unsigned mask;            /* 1 << enum kashim_field for each given */
	bool evict;               /* --evict: attach even over a parent's override program */
	bool has_target;          /* explain --to / --listen */
	struct kb_target target;
	struct kashim_settings values;
};

/* Parse one option value into @o (field @f, option name @opt for the
 * message). Returns false after printing one line naming it. */
bool kb_option_set(struct kb_options *o, enum kashim_field f, const char *opt, const char *text);

/* What cgroup @cg gets, into the programs' settings @conf, from one
 * resolution of the config file (kashim_conffile_load_cgroup()):
 * defaults < top level < its cgroup section < options; the rules: that
 * section's in file order, then the top level's, each resolved on top of
 * those settings (options still win). The file named with -c must exist.
 * When @rules is not NULL, *@rules gets that table (explain --to; the
 * caller free()s it). Returns KB_EXIT_OK, or KB_EXIT_USAGE after every
 * problem (file:line), also when the profile has more rules than the
 * programs hold (KASHIM_BPF_RULES_MAX: the file and the first rule over). */
int kb_profile_build(const struct kb_cgroup *cg, const struct kb_options *o,
		     struct kashim_bpf_conf *conf, struct kashim_ruleset **rules);

/* Rebuild @o's command-line values from a stored @conf (reload); @o may
 * point into @conf. */
void kb_profile_options_from_conf(const struct kashim_bpf_conf *conf, struct kb_options *o);

/* Where field @f of @conf came from: "default", "option -i",
 * "/etc/keepalive.conf", "cgroup section \"x\" in /etc/keepalive.conf". */
const char *kb_source_text(const struct kashim_bpf_conf *conf, enum kashim_field f, char *buf, size_t len);

/* Print what @cg would get, field by field, with where each comes from. */
void kb_profile_explain(FILE *out, const struct kb_cgroup *cg, const struct kashim_bpf_conf *conf);

/* The titles of every cgroup section of @path, for attach --all: calls
 * @each(ctx, title). Returns KB_EXIT_OK, or KB_EXIT_USAGE when the
 * file is missing or invalid (reported). */
int kb_profile_sections(const char *path, void (*each)(void *ctx, const char *title), void *ctx);

/* The default config file (SYSCONFDIR/keepalive.conf). */
const char *kb_default_config(void);

/* ---- target.c ----------------------------------------------------------- */

/* Parse "HOST:PORT", "[V6]:PORT" or, for --listen, "PORT" (any address);
 * HOST may be a name (its first address). False after one line naming
 * @option. */
bool kb_target_parse(const char *option, bool listen, const char *text, struct kb_target *t);

/* Which of @conf's rules the kernel applies to @t (the first that
 * matches), named from @rules, the table kb_profile_build() made @conf's
 * from; and what the connection gets. */
void kb_target_explain(FILE *out, const struct kb_target *t, const struct kashim_ruleset *rules,
		       const struct kashim_bpf_conf *conf);

/* ---- pins.c ------------------------------------------------------------- */

/* One pinned attachment, as read back from bpffs. */
struct kb_attachment {
	char dir[512];              /* its pin directory */
	uint64_t cgroup_id;         /* from the directory name */
	bool stale;                 /* the cgroup is gone (the links are defunct) */
	bool detached;              /* the cgroup lives, the links are not in force on it */
	char path[4096];            /* the cgroup's directory, from its id ("" when stale) */
	bool have_conf, have_counts;
	struct kashim_bpf_conf conf;
	struct kashim_bpf_counts counts;
	/* In-kernel cost of its sock_ops [0] and setsockopt [1] programs, kept
	 * while sysctl kernel.bpf_stats_enabled is 1. */
	uint64_t run_time_ns[2], run_cnt[2];
};

/* Make sure a bpffs the system keeps is mounted at KB_BPFFS (mounting it
 * in PID 1's mount namespace, refusing in another), and that KB_PIN_ROOT
 * exists and is root's own (a directory, not a symlink, mode 0700).
 * KB_EXIT_OK, or KB_EXIT_REFUSED after one line saying why. */
int kb_pins_prepare(void);

/* libbpf's messages kept for kb_libbpf_reason(), not printed. */
void kb_libbpf_init(void);

enum kb_attach_result { KB_ATTACHED, KB_UPDATED, KB_REPLACED };

/* Load a new copy of the programs with @conf and attach it to @cg, pinning
 * its links and maps (KB_ATTACHED); when @cg already has one that is in
 * force (both links live, attached to @cg, of this build), rewrite its
 * settings in place (KB_UPDATED); otherwise put the new copy in force and
 * then remove the pinned one (KB_REPLACED, *@why says what was wrong with
 * it). Refuses, naming the program, when another program's attachment
 * forbids it or would be evicted (unless @evict: kb_check_neighbours).
 * Returns KB_EXIT_OK or KB_EXIT_REFUSED. */
int kb_attach(const struct kb_cgroup *cg, const struct kashim_bpf_conf *conf, bool evict,
	      enum kb_attach_result *result, const char **why);

/* ---- report.c ----------------------------------------------------------- */

enum kb_report { KB_REPORT_TABLE, KB_REPORT_JSON, KB_REPORT_PROMETHEUS };

/* Print the attachments @list (@n of them) on @out: a table, one JSON
 * document, or their counters in the Prometheus text format. What cannot
 * be read (another build's layout) is shown as unreadable, never as 0. */
void kb_report(FILE *out, const struct kb_attachment *list, size_t n, enum kb_report how);

/* ---- neighbours.c ------------------------------------------------------- */

/* KB_EXIT_OK when kashim's programs may attach to @cg without displacing
 * anyone: no program attached to @cg or an ancestor exclusively, none
 * attached to @cg with BPF_F_ALLOW_OVERRIDE, and none attached to an
 * ancestor with BPF_F_ALLOW_OVERRIDE that is in force for @cg (it would
 * stop running there), unless @evict. Else one line naming the program and
 * its cgroup, and KB_EXIT_REFUSED. */
int kb_check_neighbours(const struct kb_cgroup *cg, bool evict);

/* Load a copy with @conf and pin its programs (not attached) under
 * KB_PIN_UNITS/@unit/, for systemd's BPFProgram=; when they are pinned
 * already (systemd may have attached them), write @conf into them instead
 * (*@updated). */
int kb_pin_programs(const char *unit, const struct kashim_bpf_conf *conf, bool *updated);

/* The settings of the copy pinned in @dir; false when unreadable. */
bool kb_read_conf_at(const char *dir, struct kashim_bpf_conf *conf);

/* The directory the programs for systemd unit @unit are pinned in:
 * KB_PIN_UNITS/UNIT with '.' as '_' (bpffs refuses dots). */
const char *kb_unit_pin_dir(const char *unit, char *buf, size_t len);

/* Unpin the programs pinned for systemd unit @unit (cgroups that still
 * have them attached keep them until the unit stops). KB_EXIT_USAGE when
 * there are none. */
int kb_unpin_unit(const char *unit);

/* Detach and unpin the attachment of cgroup id @id. KB_EXIT_USAGE when it
 * has none. */
int kb_detach_id(uint64_t id);

/* Read every attachment; *@n set. Returns a malloc()ed array (NULL when
 * none, or on error with *@n 0). */
struct kb_attachment *kb_list(size_t *n);

/* Read the attachment of @id; false when none. */
bool kb_read(uint64_t id, struct kb_attachment *a);

/* Rewrite the settings of the attachment of @id. */
int kb_write_conf(uint64_t id, const struct kashim_bpf_conf *conf);

/* The last message libbpf gave, for the one-line reason. */
const char *kb_libbpf_reason(void);

#endif
