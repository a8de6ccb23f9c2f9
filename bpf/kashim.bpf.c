// SPDX-License-Identifier: MIT
/*
 * kashim.bpf.c - the kernel backend's programs, one loaded copy per
 * attachment (cgroup), its settings in its own .data (kashim_bpf.h).
 *
 *   sock_ops          at TCP_CONNECT_CB (connect) and PASSIVE_ESTABLISHED_CB
 *                     (accepted connection) sets SO_KEEPALIVE, TCP_KEEPIDLE,
 *                     TCP_KEEPINTVL, TCP_KEEPCNT and TCP_USER_TIMEOUT with
 *                     bpf_setsockopt(), skipping what the application chose;
 *   cgroup/setsockopt records the application's own keepalive calls (so
 *                     "set to 0" differs from "never set") or, with override,
 *                     vetoes them (the application still gets success).
 *
 * Each copy counts in its own per-CPU map (kashim_bpf.h: kashim_bpf_counts)
 * every connection it runs for, under what the deciding copy gave it (that
 * copy leaves the outcome in the socket storage for the copies above it).
 *
 * Programs of deeper cgroups run first: the first copy that sees a socket
 * decides for it (sock_ops: the connection's mark in the shared socket
 * storage; setsockopt: the owner there), and the copies of ancestor cgroups
 * then leave it alone; so the most specific attachment wins, and an exempt
 * one (keepalive = false) decides to leave its sockets untouched. Socket
 * storage is private to the programs that hold its map: another vendor's
 * program (which may write skops->reply on every op) cannot erase a mark.
 *
 * Built against <linux/bpf.h> only (no vmlinux.h, no CO-RE): the object
 * loads on kernels without BTF for vmlinux.
 */
#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "kashim_bpf.h"

#define SOL_SOCKET 1
#define SO_KEEPALIVE 9
#define SOL_TCP 6
#define TCP_KEEPIDLE 4
#define TCP_KEEPINTVL 5
#define TCP_KEEPCNT 6
#define TCP_USER_TIMEOUT 18
#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define SOCK_STREAM 1
#define PAGE_SIZE 4096
/* The kernel's ranges (MAX_TCP_KEEPIDLE...): outside them its call fails. */
#define KEEP_TIME_MAX 32767
#define KEEP_COUNT_MAX 127

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Written by the loader before load and by `kashim-bpf reload` after. */
struct kashim_bpf_conf kashim_conf SEC(".data") = {.keepalive = 1};

/* This copy's counters: one entry, one copy per CPU, so that connections on
 * different CPUs never share a cache line; added to atomically all the
 * same (a softirq's accept may interrupt a connect() on the same CPU). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kashim_bpf_counts);
} kashim_counts SEC(".maps");

/* One map for every attachment (the loader pins it and reuses it), cloned
 * from a listener to the connections it accepts. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct kashim_sk);
} kashim_sk_state SEC(".maps");

/* This CPU's counters (NULL only if the map could not be read). */
static __always_inline struct kashim_bpf_counts *counts(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&kashim_counts, &zero);
}

/* Add one connection end under @out (KASHIM_BPF_OUT_*, the rule bit or'ed
 * in; 0: not known) and @failed refusals to this CPU's counters: one
 * lookup per run. */
static __always_inline void count(__u32 out, __u32 failed)
{
	struct kashim_bpf_counts *c = counts();
	__u32 i = (out & KASHIM_BPF_OUT_MASK) - 1;

	if (!c)
		return;
	if (i < KASHIM_BPF_OUTCOMES)
		__sync_fetch_and_add(&c->outcome[i], 1);
	if (out & KASHIM_BPF_OUT_RULE)
		__sync_fetch_and_add(&c->rule_matched, 1);
	if (failed)
		__sync_fetch_and_add(&c->failed, failed);
}

/* setsockopt: the socket's state when this copy decides for it, NULL when
 * another (deeper) attachment claimed it first or no storage could be had. */
static __always_inline struct kashim_sk *claim(struct bpf_sock *sk)
{
	struct kashim_sk *st;
	__u64 me = kashim_conf.instance;

	if (!sk)
		return 0;
	st = bpf_sk_storage_get(&kashim_sk_state, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!st)
		return 0;
	if (st->owner && st->owner != me)
		return 0;
	st->owner = me;
	return st;
}

/* bpf_setsockopt of one int option; 1 when refused (counted, not fatal). */
static __always_inline __u32 set_int(struct bpf_sock_ops *skops, int level, int name, int value)
{
	return bpf_setsockopt(skops, level, name, &value, sizeof value) != 0;
}

/* The first copy that runs for a connection event marks it decided, in
 * the socket storage every copy shares: the socket cookie's low 32 bits, so
 * that the mark an accepted connection inherits from its listener (the
 * storage is cloned) is not taken for its own. Returns true when a deeper
 * copy already decided. Without storage (no memory) this copy decides,
 * and it is counted as failed. */
static __always_inline int decided_before(struct bpf_sock_ops *skops, struct kashim_sk **stp)
{
	__u32 mark = (__u32)bpf_get_socket_cookie(skops);
	struct kashim_sk *st = 0;

	if (skops->sk)
		st = bpf_sk_storage_get(&kashim_sk_state, skops->sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	*stp = st;
	if (!st)
		return 0;
	if (st->decided == mark)
		return 1;
	st->decided = mark;
	return 0;
}

/* What a connection gets: the attachment's settings or a rule's. */
struct eff {
	__u32 keepalive;
	__s32 idle, interval, count, user_timeout;
};

/* The address a rule looks at (config/rules.h's kashim_addr). */
struct rule_ctx {
	__u32 v4;
	__u64 v6[2];
	__u16 port;
	__u8 family, listen;
	__s32 hit;
};

/* The remote (connect) or local (accepted connection) address of @skops,
 * an IPv4-mapped IPv6 one as IPv4. */
static __always_inline void rule_addr(struct bpf_sock_ops *skops, struct rule_ctx *c)
{
	__u32 lport = *(volatile __u32 *)&skops->local_port, rport = *(volatile __u32 *)&skops->remote_port;
	__u32 lip4 = *(volatile __u32 *)&skops->local_ip4, rip4 = *(volatile __u32 *)&skops->remote_ip4;
	__u32 w[8];

	c->listen = skops->op == BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB;
	c->family = skops->family;
	c->port = c->listen ? (__u16)lport : (__u16)bpf_ntohl(rport);
	if (c->family == AF_INET) {
		c->v4 = bpf_ntohl(c->listen ? lip4 : rip4);
		return;
	}
	/* Every word loaded, each 4 bytes at a fixed offset of the context
	 * (volatile), then chosen: the verifier refuses the 8-byte loads the
	 * compiler would merge them into, and a chosen context pointer. */
#define KB_W(f, i) (*(volatile __u32 *)&skops->f[i])
	w[0] = KB_W(local_ip6, 0), w[1] = KB_W(local_ip6, 1), w[2] = KB_W(local_ip6, 2);
	w[3] = KB_W(local_ip6, 3), w[4] = KB_W(remote_ip6, 0), w[5] = KB_W(remote_ip6, 1);
	w[6] = KB_W(remote_ip6, 2), w[7] = KB_W(remote_ip6, 3);
#undef KB_W
	for (int i = 0; i < 2; i++) {
		int k = (c->listen ? 0 : 4) + 2 * i;

		c->v6[i] = (__u64)bpf_ntohl(w[k]) << 32 | bpf_ntohl(w[k + 1]);
	}
	if (c->v6[0] == 0 && (c->v6[1] >> 32) == 0xffff) {
		c->family = AF_INET;
		c->v4 = (__u32)c->v6[1];
	}
}

/* bpf_loop callback: rule @i against @c; stops at the first match. */
static long rule_try(__u32 i, void *ctx)
{
	struct rule_ctx *c = ctx;
	const struct kashim_bpf_rule *r;

	if (i >= KASHIM_BPF_RULES_MAX)
		return 1;
	r = &kashim_conf.rules[i];
	if (r->listen != c->listen)
		return 0;
	if (r->family) {
		if (r->family != c->family)
			return 0;
		if (c->family == AF_INET ? ((c->v4 ^ r->v4) & r->v4mask) != 0
					 : (((c->v6[0] ^ r->v6[0]) & r->v6mask[0]) |
					    ((c->v6[1] ^ r->v6[1]) & r->v6mask[1])) != 0)
			return 0;
	}
	if (r->nports) {
		int in = 0;

		for (int j = 0; j < KASHIM_BPF_RULE_PORTS && j < r->nports && !in; j++)
			in = c->port >= r->port_lo[j] && c->port <= r->port_hi[j];
		if (!in)
			return 0;
	}
	c->hit = (__s32)i;
	return 1;
}

/* The settings for the connection of @skops: the first rule that matches
 * its address, else the attachment's own. Returns KASHIM_BPF_OUT_RULE when
 * a rule matched, else 0. */
static __always_inline __u32 settings_for(struct bpf_sock_ops *skops, struct eff *e)
{
	struct rule_ctx c = {.hit = -1};
	const struct kashim_bpf_rule *r;
	__u32 n = kashim_conf.nrules;

	e->keepalive = kashim_conf.keepalive;
	e->idle = kashim_conf.idle;
	e->interval = kashim_conf.interval;
	e->count = kashim_conf.count;
	e->user_timeout = kashim_conf.user_timeout;
	if (!n)
		return 0;
	rule_addr(skops, &c);
	bpf_loop(n < KASHIM_BPF_RULES_MAX ? n : KASHIM_BPF_RULES_MAX, rule_try, &c, 0);
	if (c.hit < 0 || c.hit >= KASHIM_BPF_RULES_MAX)
		return 0;
	r = &kashim_conf.rules[c.hit];
	e->keepalive = r->keepalive;
	e->idle = r->idle;
	e->interval = r->interval;
	e->count = r->count;
	e->user_timeout = r->user_timeout;
	return KASHIM_BPF_OUT_RULE;
}

/* True when SO_KEEPALIVE is on already, by a call the setsockopt program
 * did not see (made before the attachment, or by a listener's owner
 * elsewhere). */
static __always_inline int keepalive_on(struct bpf_sock_ops *skops)
{
	int on = 0;

	return bpf_getsockopt(skops, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) == 0 && on;
}

/* Apply @e to the connection of @skops, leaving alone what the application
 * set itself unless override (its calls recorded in @st, which may be
 * NULL); returns the KASHIM_BPF_OUT_* outcome, *@failed the options the
 * kernel refused. */
static __always_inline __u32 configure(struct bpf_sock_ops *skops, struct kashim_sk *st,
				       const struct eff *e, __u32 *failed)
{
	int mine = st && st->owner == kashim_conf.instance;
	__u32 app = 0, chose;

	if (!e->keepalive)
		return KASHIM_BPF_OUT_EXEMPT;
	/* Its recorded choices (accepted connections inherit the
	 * listener's), without override. */
	if (mine && !kashim_conf.override)
		app = st->app_set;
	/* Whether it chose SO_KEEPALIVE: a call recorded, let through or
	 * vetoed, or keepalive on already by a call we did not see (made
	 * before the attachment, or by a listener's owner elsewhere), which
	 * the shim leaves alone too. */
	chose = (app & KASHIM_BPF_APP_KEEPALIVE) ||
		(mine && kashim_conf.override && (st->vetoed & KASHIM_BPF_APP_KEEPALIVE));
	if (!chose)
		chose = keepalive_on(skops);
	if (chose && !kashim_conf.override && !(app & KASHIM_BPF_APP_KEEPALIVE))
		return KASHIM_BPF_OUT_APP_CHOSE;
	/* As with the shim, which sets everything at socket() and lets the
	 * application's later calls overwrite: each option it set stays its
	 * own, the others are ours (SO_KEEPALIVE 0 keeps probes off). The
	 * timings go first: set after SO_KEEPALIVE, TCP_KEEPIDLE would re-arm
	 * the keepalive timer a second time. */
	if (!(app & KASHIM_BPF_APP_IDLE))
		*failed += set_int(skops, SOL_TCP, TCP_KEEPIDLE, e->idle);
	if (!(app & KASHIM_BPF_APP_INTERVAL))
		*failed += set_int(skops, SOL_TCP, TCP_KEEPINTVL, e->interval);
	if (!(app & KASHIM_BPF_APP_COUNT))
		*failed += set_int(skops, SOL_TCP, TCP_KEEPCNT, e->count);
	if (e->user_timeout > 0 && !(app & KASHIM_BPF_APP_USER_TIMEOUT))
		*failed += set_int(skops, SOL_TCP, TCP_USER_TIMEOUT, e->user_timeout);
	if (app & KASHIM_BPF_APP_KEEPALIVE)
		return KASHIM_BPF_OUT_APP_CHOSE;
	*failed += set_int(skops, SOL_SOCKET, SO_KEEPALIVE, 1);
	/* Without override, a choice returned above. */
	return chose ? KASHIM_BPF_OUT_OVERRIDDEN : KASHIM_BPF_OUT_CONFIGURED;
}

SEC("sockops")
/* Contract: configures the connection of a connect or accept event as
 * described at the top of this file and counts it (kashim_bpf_counts);
 * always returns 1 (never refuses). */
int kashim_sock_ops(struct bpf_sock_ops *skops)
{
	struct eff e;
	struct kashim_sk *st;
	__u32 out, failed = 0;

	if (skops->op != BPF_SOCK_OPS_TCP_CONNECT_CB &&
	    skops->op != BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB)
		return 1;
	if (decided_before(skops, &st)) {
		/* A deeper attachment decided (or this one, for an earlier
		 * connect() of the same socket): counted here as there. */
		out = st ? st->outcome : 0;
	} else {
		failed = !st;
		out = settings_for(skops, &e);
		out |= configure(skops, st, &e, &failed);
		if (st)
			st->outcome = (__u8)out;
	}
	count(out, failed);
	return 1;
}

/* KASHIM_BPF_APP_* for a keepalive option, 0 for any other. */
static __always_inline __u32 option_bit(int level, int name)
{
	if (level == SOL_SOCKET)
		return name == SO_KEEPALIVE ? KASHIM_BPF_APP_KEEPALIVE : 0;
	if (level != SOL_TCP)
		return 0;
	switch (name) {
	case TCP_KEEPIDLE:
		return KASHIM_BPF_APP_IDLE;
	case TCP_KEEPINTVL:
		return KASHIM_BPF_APP_INTERVAL;
	case TCP_KEEPCNT:
		return KASHIM_BPF_APP_COUNT;
	case TCP_USER_TIMEOUT:
		return KASHIM_BPF_APP_USER_TIMEOUT;
	}
	return 0;
}

/* True when the kernel will accept the application's call: an int (at
 * least 4 bytes) in the option's range. A call it refuses changes nothing,
 * so it is not the application's choice. */
static __always_inline int call_valid(struct bpf_sockopt *ctx, __u32 bit)
{
	int *p = ctx->optval;
	int v;

	if (ctx->optlen < (int)sizeof v || (void *)(p + 1) > ctx->optval_end)
		return 0;
	v = *p;
	switch (bit) {
	case KASHIM_BPF_APP_IDLE:
	case KASHIM_BPF_APP_INTERVAL:
		return v >= 1 && v <= KEEP_TIME_MAX;
	case KASHIM_BPF_APP_COUNT:
		return v >= 1 && v <= KEEP_COUNT_MAX;
	case KASHIM_BPF_APP_USER_TIMEOUT:
		return v >= 0;
	}
	return 1;
}

SEC("cgroup/setsockopt")
/* Contract: lets every call through (returns 1); records or vetoes the
 * application's keepalive options on TCP sockets it decides for. */
int kashim_setsockopt(struct bpf_sockopt *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	struct kashim_bpf_counts *c;
	struct kashim_sk *st;
	__u32 bit = option_bit(ctx->level, ctx->optname);
	int valid;

	/* TCP is SOCK_STREAM with IPPROTO_TCP: a raw socket (SOCK_RAW,
	 * IPPROTO_TCP) is not, and its calls fail as they would. */
	if (!bit || !sk || sk->protocol != IPPROTO_TCP || sk->type != SOCK_STREAM ||
	    (sk->family != AF_INET && sk->family != AF_INET6)) {
		/* Not ours: hand the kernel the application's value as it
		 * was, also when it is larger than the page we were shown. */
		if (ctx->optlen > PAGE_SIZE)
			ctx->optlen = 0;
		return 1;
	}
	st = claim(sk);
	if (!st || !kashim_conf.keepalive)
		return 1;
	valid = call_valid(ctx, bit);
	if (kashim_conf.override &&
	    !(bit == KASHIM_BPF_APP_USER_TIMEOUT && kashim_conf.user_timeout <= 0)) {
		/* A valid call is the application's choice, replaced: kept
		 * apart from the calls let through, which a later reload
		 * without override leaves alone. */
		if (valid)
			st->vetoed |= bit;
		/* -1: skip the kernel's handler; the caller sees success. */
		ctx->optlen = -1;
		c = counts();
		if (c)
			__sync_fetch_and_add(&c->vetoed, 1);
		return 1;
	}
	if (valid)
		st->app_set |= bit;
	return 1;
}
