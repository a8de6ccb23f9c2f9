/* SPDX-License-Identifier: MIT */
/*
 * rules.c - parsing and matching the SPEC of destination and listen rules.
 * Pure functions: no allocation, no global state, no system call.
 */
#include "rules.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

const char *kashim_rule_kind_name(enum kashim_rule_kind kind)
{
	return kind == KASHIM_RULE_LISTEN ? "listen" : "destination";
}

static uint64_t load_be64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void store_be64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

/* ::ffff:0:0/96, the IPv4-mapped IPv6 addresses. */
static bool is_v4_mapped(const uint64_t v6[2])
{
	return v6[0] == 0 && (v6[1] >> 32) == 0xffff;
}

/* A decimal number of at most @digits digits, no sign; *end after it. */
static bool parse_decimal(const char *p, const char **end, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	const char *q = p;

	while (*q >= '0' && *q <= '9') {
		v = v * 10 + (unsigned long)(*q - '0');
		if (v > max)
			return false;
		q++;
	}
	if (q == p)
		return false;
	*end = q;
	*out = v;
	return true;
}

/* "5432", "5432,6432", "8000-8999, 9000": the ports after the colon. */
static bool parse_ports(const char *p, struct kashim_spec *spec, char *why, size_t why_len)
{
	for (;;) {
		unsigned long lo, hi;
		const char *q;

		if (!parse_decimal(p, &q, 99999, &lo)) {
			snprintf(why, why_len, "\"%.16s\" is not a port (a number, a range N-M or a list N,M)",
				 p);
			return false;
		}
		hi = lo;
		if (*q == '-') {
			p = q + 1;
			if (!parse_decimal(p, &q, 99999, &hi)) {
				snprintf(why, why_len, "\"%.16s\" is not the end of a port range", p);
				return false;
			}
		}
		if (lo < 1 || lo > 65535 || hi < 1 || hi > 65535) {
			snprintf(why, why_len, "port %lu is outside 1..65535", lo < 1 || lo > 65535 ? lo : hi);
			return false;
		}
		if (hi < lo) {
			snprintf(why, why_len, "port range %lu-%lu is reversed", lo, hi);
			return false;
		}
		if (spec->nports == KASHIM_SPEC_MAX_PORTS) {
			snprintf(why, why_len, "more than %d ports or port ranges", KASHIM_SPEC_MAX_PORTS);
			return false;
		}
		spec->ports[spec->nports++] = (struct kashim_port_range){(uint16_t)lo, (uint16_t)hi};
		if (*q == '\0')
			return true;
		if (*q != ',') {
			snprintf(why, why_len, "unexpected \"%.16s\" after a port", q);
			return false;
		}
		for (p = q + 1; *p == ' '; p++)
			;
	}
}

/* Split "ADDR/PREFIX" (already without brackets or port) and fill the
 * network part of @spec. */
static bool parse_network(const char *text, size_t len, bool v6, struct kashim_spec *spec, char *why,
			  size_t why_len)
{
	char addr[INET6_ADDRSTRLEN + 8];
	const char *slash = memchr(text, '/', len);
	size_t alen = slash ? (size_t)(slash - text) : len;
	unsigned long prefix = v6 ? 128 : 32;
	unsigned char bytes[16];

	if (alen == 0 || alen >= sizeof addr) {
		snprintf(why, why_len, "\"%.*s\" is not an %s address", (int)(alen > 48 ? 48 : alen), text,
			 v6 ? "IPv6" : "IPv4");
		return false;
	}
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	if (slash) {
		const char *end;

		if (!parse_decimal(slash + 1, &end, 999, &prefix) || end != text + len) {
			snprintf(why, why_len, "\"%.*s\" is not a prefix length", (int)(len - alen - 1 > 16 ? 16 : len - alen - 1),
				 slash + 1);
			return false;
		}
		if (prefix > (v6 ? 128u : 32u)) {
			snprintf(why, why_len, "prefix /%lu is above %d", prefix, v6 ? 128 : 32);
			return false;
		}
	}
	if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, bytes) != 1) {
		snprintf(why, why_len, "\"%s\" is not an %s address", addr, v6 ? "IPv6" : "IPv4");
		return false;
	}
	if (!v6) {
		spec->family = AF_INET;
		spec->prefix = (unsigned char)prefix;
		spec->v4mask = prefix ? ~0u << (32 - prefix) : 0;
		spec->v4 = ((uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 | (uint32_t)bytes[2] << 8 | bytes[3]) &
			   spec->v4mask;
		return true;
	}
	spec->v6[0] = load_be64(bytes);
	spec->v6[1] = load_be64(bytes + 8);
	/* An IPv4 network written as IPv4-mapped IPv6: keep it as IPv4, which is
	 * how mapped addresses are matched. */
	if (prefix >= 96 && is_v4_mapped(spec->v6)) {
		spec->family = AF_INET;
		spec->prefix = (unsigned char)(prefix - 96);
		spec->v4mask = prefix > 96 ? ~0u << (128 - prefix) : 0;
		spec->v4 = (uint32_t)spec->v6[1] & spec->v4mask;
		spec->v6[0] = spec->v6[1] = 0;
		return true;
	}
	spec->family = AF_INET6;
	spec->prefix = (unsigned char)prefix;
	spec->v6mask[0] = prefix == 0 ? 0 : prefix >= 64 ? ~0ull : ~0ull << (64 - prefix);
	spec->v6mask[1] = prefix <= 64 ? 0 : prefix == 128 ? ~0ull : ~0ull << (128 - prefix);
	spec->v6[0] &= spec->v6mask[0];
	spec->v6[1] &= spec->v6mask[1];
	return true;
}

bool kashim_spec_parse(const char *text, struct kashim_spec *spec, char *why, size_t why_len)
{
	const char *ports = NULL;

	memset(spec, 0, sizeof *spec);
	if (!text || !*text) {
		snprintf(why, why_len, "empty; use * for any address");
		return false;
	}
	if (text[0] == ':' && text[1] != ':') {
		/* ":PORT" is what people write first for "any address": "*:PORT".
		 * "::1" and the like still get the brackets message below. */
		ports = text + 1;
	} else if (text[0] == '*') {
		if (text[1] == ':')
			ports = text + 2;
		else if (text[1]) {
			snprintf(why, why_len, "unexpected \"%.16s\" after *", text + 1);
			return false;
		}
	} else if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close) {
			snprintf(why, why_len, "[ without ]");
			return false;
		}
		if (!parse_network(text + 1, (size_t)(close - text - 1), true, spec, why, why_len))
			return false;
		if (close[1] == ':')
			ports = close + 2;
		else if (close[1]) {
			snprintf(why, why_len, "unexpected \"%.16s\" after ] (a port goes after a colon, the prefix inside the brackets: [2001:db8::/32]:443)",
				 close + 1);
			return false;
		}
	} else {
		const char *colon = strchr(text, ':');

		if (colon && strchr(colon + 1, ':')) {
			snprintf(why, why_len, "an IPv6 address goes in brackets: [2001:db8::/32] or [::1]:443");
			return false;
		}
		if (!strchr("0123456789", text[0])) {
			snprintf(why, why_len, "not *, an IPv4 network or a bracketed IPv6 network");
			return false;
		}
		if (!parse_network(text, colon ? (size_t)(colon - text) : strlen(text), false, spec, why,
				   why_len))
			return false;
		if (colon)
			ports = colon + 1;
	}
	return ports ? parse_ports(ports, spec, why, why_len) : true;
}

const char *kashim_addr_format(const struct kashim_addr *a, char *buf, size_t len)
{
	char text[INET6_ADDRSTRLEN];
	unsigned char bytes[16];

	if (a->family == AF_INET) {
		uint32_t be = htonl(a->v4);

		inet_ntop(AF_INET, &be, text, sizeof text);
		snprintf(buf, len, "%s:%u", text, a->port);
	} else {
		store_be64(bytes, a->v6[0]);
		store_be64(bytes + 8, a->v6[1]);
		inet_ntop(AF_INET6, bytes, text, sizeof text);
		snprintf(buf, len, "[%s]:%u", text, a->port);
	}
	return buf;
}

int kashim_rules_find(const struct kashim_ruleset *set, enum kashim_rule_kind kind,
		      const struct kashim_addr *a)
{
	if (!set)
		return -1;
	for (unsigned i = 0; i < set->n; i++)
		if (set->rule[i].kind == kind && kashim_spec_match(&set->rule[i].spec, a))
			return (int)i;
	return -1;
}
