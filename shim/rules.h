/* SPDX-License-Identifier: MIT */
/*
 * rules.h - the shim's side of destination and listen rules (rules.c).
 *
 * Every TCP socket gets the base profile at socket() (apply.h); with rules
 * its state says REFINE, and connect() (the destination) or listen() (the
 * local address, before the real listen(), so no connection is accepted
 * unconfigured) chooses the rule. Accepted sockets inherit from their
 * listener. The table is built once, in static storage, and never changed.
 */
#ifndef KASHIM_SHIM_RULES_H
#define KASHIM_SHIM_RULES_H

#include "../config/rules.h"
#include "kashim.h"

#pragma GCC visibility push(hidden)

struct kashim_rt_rule {
	/* An IPv4 address is tried against the spec's IPv4 part kept here
	 * (no pointer to follow, no family test per rule); IPv6 uses @spec. */
	bool v4;                        /* the spec can match an IPv4 address */
	bool v6;                        /* ...an IPv6 address */
	uint32_t v4net, v4mask;
	const struct kashim_spec *spec; /* in the ruleset */
	struct kashim_profile profile;
};

struct kashim_rt_rules {
	unsigned ndest, nlisten;
	const struct kashim_rt_rule *dest, *listen;
	struct kashim_rt_rule rule[KASHIM_RULES_MAX];
};

/* Derive @rt's base profile, mode and new sockets' state from its settings,
 * and read keepalive.conf's rule table @set (kept: the rules point into it;
 * environment applied through @get, NULL in secure-execution mode) into
 * @rt->rules, NULL when there are none. Called once per reading of the
 * settings, before they are READY. */
void kashim_rules_build(struct kashim_runtime *rt, const struct kashim_ruleset *set, kashim_getenv_fn get);

/* A socket address of @len bytes as rules see it; false for other families
 * and short lengths. A 24-byte sockaddr_in6 (RFC 2133, no scope id), which
 * Linux accepts, is one. Reads @sa: call only on an address the kernel
 * has read. */
bool kashim_addr_of(const struct sockaddr *sa, socklen_t len, struct kashim_addr *out);

/* "10.0.0.1:5432" or "[2001:db8:0:0:0:0:0:1]:443" for log lines. */
void kashim_format_addr(const struct kashim_addr *a, char *buf, size_t len);

/* The destination rule's profile for @a, or the base. */
const struct kashim_profile *kashim_rules_dest(const struct kashim_runtime *rt, const struct kashim_addr *a);

/* The listen rule's profile for socket @fd by its local address (one
 * getsockname()), or the base; *@known says whether @a was read. */
const struct kashim_profile *kashim_rules_local(const struct kashim_runtime *rt, int fd, struct kashim_addr *a,
						bool *known);

/* connect() with rules on @fd in state @state: calls @real, then refines @fd
 * for the destination once the connection is under way (0, EINPROGRESS,
 * EINTR). Connected, @fd is final; in progress, a later connect() matches it
 * again (refused, then retried elsewhere); dissolved (AF_UNSPEC), the next
 * connect() matches it again. Returns what @real returned, with its errno. */
int kashim_rules_connect(int fd, unsigned state, const struct sockaddr *addr, socklen_t len,
			 int (*real)(int, const struct sockaddr *, socklen_t));

#pragma GCC visibility pop

#endif
