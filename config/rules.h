/* SPDX-License-Identifier: MIT */
/*
 * rules.h - destination and listen rules: the SPEC a rule is titled with
 * ("10.0.0.0/8:5432", "[::1]", "*:8000-8999,9000", and ":22", which is "*:22"),
 * matching it against a socket address, and the table of rules a program gets.
 *
 * Pure code, like kashim_settings.h: no libconfuse, no global state, no
 * system call; the shim, the config plugin, kashim-check and the unit tests
 * each link their own copy.
 */
#ifndef KASHIM_RULES_H
#define KASHIM_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include "kashim_settings.h"

/* Port ranges one SPEC may list ("*:5432,6432,8000-8999" is three). */
#define KASHIM_SPEC_MAX_PORTS 16
/* Rules one file may hold, all scopes together. */
#define KASHIM_RULES_MAX 1024
/* Longest SPEC kept for messages and reports. */
#define KASHIM_SPEC_TEXT 96

struct kashim_port_range {
	uint16_t lo, hi;
};

/*
 * A parsed SPEC. IPv4 networks are kept as IPv4 even when written as
 * IPv4-mapped IPv6 ([::ffff:10.0.0.0/104]), and addresses are normalised
 * the same way before matching, so 10.0.0.0/8 matches ::ffff:10.1.2.3.
 */
struct kashim_spec {
	unsigned char family;   /* 0: any address ("*"), AF_INET or AF_INET6 */
	unsigned char prefix;   /* bits of the network, 0..32 or 0..128 */
	unsigned char nports;   /* 0: any port */
	uint32_t v4, v4mask;    /* host byte order, network already masked */
	uint64_t v6[2], v6mask[2]; /* high and low halves, host byte order */
	struct kashim_port_range ports[KASHIM_SPEC_MAX_PORTS];
};

/* A socket address reduced to what a SPEC looks at. */
struct kashim_addr {
	unsigned char family;   /* AF_INET (also for IPv4-mapped IPv6) or AF_INET6 */
	uint16_t port;          /* host byte order */
	uint32_t v4;
	uint64_t v6[2];
};

/*
 * Parse @text into @spec. On failure returns false, leaves *spec undefined
 * and writes why into @why (e.g. "prefix /33 is above 32"), without the
 * SPEC itself: the caller names it with its file and line.
 */
bool kashim_spec_parse(const char *text, struct kashim_spec *spec, char *why, size_t why_len);

/* Reduce an AF_INET or AF_INET6 address of @len bytes to *out. False for
 * any other family or a short @len. Inline, like the matcher: the shim
 * needs only these two and imports nothing more from libc for them. */
static inline bool kashim_addr_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct kashim_addr *out)
{
	if (!sa)
		return false;
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		out->family = AF_INET;
		out->port = ntohs(in->sin_port);
		out->v4 = ntohl(in->sin_addr.s_addr);
		out->v6[0] = out->v6[1] = 0;
		return true;
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		const unsigned char *b = in6->sin6_addr.s6_addr;

		out->port = ntohs(in6->sin6_port);
		out->v6[0] = out->v6[1] = 0;
		for (int i = 0; i < 8; i++) {
			out->v6[0] = out->v6[0] << 8 | b[i];
			out->v6[1] = out->v6[1] << 8 | b[8 + i];
		}
		if (out->v6[0] == 0 && (out->v6[1] >> 32) == 0xffff) {
			/* ::ffff:a.b.c.d, an IPv4 peer of a dual-stack socket */
			out->family = AF_INET;
			out->v4 = (uint32_t)out->v6[1];
			out->v6[1] = 0;
		} else {
			out->family = AF_INET6;
			out->v4 = 0;
		}
		return true;
	}
	return false;
}

/* True when @a is inside @spec's network and one of its ports. */
static inline bool kashim_spec_match(const struct kashim_spec *spec, const struct kashim_addr *a)
{
	if (spec->family) {
		if (spec->family != a->family)
			return false;
		if (a->family == AF_INET) {
			if ((a->v4 ^ spec->v4) & spec->v4mask)
				return false;
		} else if (((a->v6[0] ^ spec->v6[0]) & spec->v6mask[0]) |
			   ((a->v6[1] ^ spec->v6[1]) & spec->v6mask[1])) {
			return false;
		}
	}
	if (!spec->nports)
		return true;
	for (unsigned i = 0; i < spec->nports; i++)
		if (a->port >= spec->ports[i].lo && a->port <= spec->ports[i].hi)
			return true;
	return false;
}

/* Write @a as "10.0.0.1:5432" or "[::1]:443" into @buf; returns buf.
 * Uses inet_ntop: in rules.c, which the shim does not link. */
const char *kashim_addr_format(const struct kashim_addr *a, char *buf, size_t len);

enum kashim_rule_kind { KASHIM_RULE_DESTINATION, KASHIM_RULE_LISTEN };

/* Name of a rule kind as written in keepalive.conf. */
const char *kashim_rule_kind_name(enum kashim_rule_kind kind);

struct kashim_rule {
	unsigned char kind;                /* enum kashim_rule_kind */
	struct kashim_spec spec;
	/* The settings a matching connection gets: those of the program (top
	 * level, then its program section) with the rule's keys on top, their
	 * sources KASHIM_SRC_RULE. The environment is applied by the reader
	 * of the table, as for the program's own settings. */
	struct kashim_settings settings;
};

/*
 * The rules one program gets, in the order they are tried: those of its
 * program section in file order, then the top-level ones. One allocation
 * (free() it), no pointers inside: it can outlive the plugin that built it.
 */
struct kashim_ruleset {
	unsigned n;
	struct kashim_rule rule[];
};

/* Index of the first rule of @kind in @set matching @a, or -1. */
int kashim_rules_find(const struct kashim_ruleset *set, enum kashim_rule_kind kind,
		      const struct kashim_addr *a);

#endif
