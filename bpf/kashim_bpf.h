/* SPDX-License-Identifier: MIT */
/*
 * kashim_bpf.h - what the BPF programs (kashim.bpf.c) and their loader
 * (kashim-bpf) share: the layout of the program's .data (its settings,
 * written by the loader, rewritten by reload), its counters and the
 * socket storage.
 *
 * Each attachment is its own loaded copy of the programs, so the settings
 * need no lookup: the kernel runs the copy attached to the socket's cgroup.
 * Fixed-width types only: the same struct is compiled for BPF and x86-64.
 */
#ifndef KASHIM_BPF_H
#define KASHIM_BPF_H

#include <linux/types.h>

#include "../config/fields.h"

/* Bits of kashim_sk.app_set: which options the application set itself
 * (KASHIM_BPF_APP_IDLE...: config/fields.h's column; 0 for a setting that
 * is no socket option). */
enum {
#define KASHIM_BPF_APP(ID, NAME, KIND, MIN, MAX, DFLT, LEVEL, OPTION, BIT, ...) \
	KASHIM_BPF_APP_##ID = BIT,
	KASHIM_FIELDS(KASHIM_BPF_APP)
#undef KASHIM_BPF_APP
};

/* Socket storage, shared by every attachment (one pinned map): which
 * attachment decided for this socket, what the application chose, and what
 * the deciding copy counted. 16 bytes, as in earlier builds: a pinned map
 * is reused only by a build whose value has its size, so attachments of an
 * earlier build keep sharing it with this one (their __u32 app_set covers
 * app_set, outcome and vetoed; they use only its low bits, which on a
 * little-endian machine are app_set's). */
struct kashim_sk {
	__u64 owner;      /* instance id of the attachment that claimed it, 0 none */
	__u16 app_set;    /* KASHIM_BPF_APP_*: set by the application, let through */
	__u8 outcome;     /* KASHIM_BPF_OUT_* of the connection `decided` marks */
	__u8 vetoed;      /* KASHIM_BPF_APP_*: set by the application, vetoed (override) */
	__u32 decided;    /* low 32 bits of the cookie of the connection a copy
			   * decided for (sock_ops), 0 none */
};

/* What a connection (one end: a connect or an accepted connection) got,
 * as counted: kashim_sk.outcome, the rule bit or'ed in. 0: not known (a
 * copy of an earlier build decided). */
enum {
	KASHIM_BPF_OUT_CONFIGURED = 1, /* kashim's SO_KEEPALIVE and timings */
	KASHIM_BPF_OUT_APP_CHOSE,      /* SO_KEEPALIVE left as the application chose */
	KASHIM_BPF_OUT_OVERRIDDEN,     /* the application chose; override put kashim's */
	KASHIM_BPF_OUT_EXEMPT,         /* keepalive = false (attachment or rule): untouched */
	KASHIM_BPF_OUTCOMES = KASHIM_BPF_OUT_EXEMPT,
	KASHIM_BPF_OUT_MASK = 0x7f,
	KASHIM_BPF_OUT_RULE = 0x80,    /* its settings came from a destination/listen rule */
};

/* Destination and listen rules one attachment holds, tried in order: the
 * first that matches a connection gives it its settings. */
#define KASHIM_BPF_RULES_MAX 64
#define KASHIM_BPF_RULE_PORTS 16

/* One rule, resolved by the loader: its SPEC as config/rules.h parses it
 * (IPv4 kept as IPv4, also when written IPv4-mapped), and the complete
 * settings a matching connection gets. */
struct kashim_bpf_rule {
	__u8 listen;          /* 0: destination (connect), 1: listen (accept) */
	__u8 family;          /* 0: any address, 2 AF_INET, 10 AF_INET6 */
	__u8 nports;          /* 0: any port */
	__u8 keepalive;       /* 0: leave matching connections alone */
	__u32 v4, v4mask;     /* host byte order, network masked */
	__u64 v6[2], v6mask[2]; /* high and low halves, host byte order */
	__u16 port_lo[KASHIM_BPF_RULE_PORTS], port_hi[KASHIM_BPF_RULE_PORTS];
	__s32 idle, interval, count, user_timeout;
};

/* The settings one attachment applies; the only variable in .data, so the
 * map's value is exactly this struct. */
struct kashim_bpf_conf {
	__u64 instance;       /* unique per attachment (the cgroup's id) */
	__u32 keepalive;      /* 0: the cgroup is exempt: claim its sockets, set nothing */
	__u32 override;       /* 1: veto the application's keepalive setsockopt() */
	__s32 idle, interval, count;
	__s32 user_timeout;   /* ms; 0 leaves TCP_USER_TIMEOUT alone */
	__u32 nrules;         /* rules[] in use */
	struct kashim_bpf_rule rules[KASHIM_BPF_RULES_MAX];
	/* For status and reload only; the programs never read these. */
	__u32 user_timeout_auto;
	__u8 source[8];       /* enum kashim_source per enum kashim_field */
	__u32 cli_mask;       /* fields given on the command line (1 << field) */
	char cgroup[512];     /* the cgroup directory as attached */
	char file[256];       /* config file read, or "" */
	char section[128];    /* cgroup section applied, or "" */
};

/* The counters of one attachment: the value of its per-CPU array map
 * (one entry, one copy per CPU, summed by the loader). Each connection end
 * the programs run for (a connect() made in the cgroup or below: counted
 * at its SYN; a connection accepted by a listener there) counts once under
 * one outcome, in the attachment that decided (the deepest) and in every
 * attachment above it that runs for it. */
struct kashim_bpf_counts {
	__u64 outcome[KASHIM_BPF_OUTCOMES]; /* by KASHIM_BPF_OUT_* - 1 */
	__u64 rule_matched;   /* of those, settings from a destination or listen rule */
	__u64 vetoed;         /* application setsockopt() calls swallowed (override) */
	__u64 failed;         /* bpf_setsockopt() refused an option, or no socket storage */
};

#endif
