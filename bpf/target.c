// SPDX-License-Identifier: MIT
/*
 * target.c - kashim-bpf explain --to HOST:PORT / --listen [HOST:]PORT: which
 * destination or listen rule the kernel would apply to one connection of a
 * cgroup, found with the shim's own matcher (config/rules.h) over the same
 * table the loader gives the programs, so the answer is the kernel's.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "../config/rules.h"
#include "loader.h"

/* Contract: see loader.h. */
bool kb_target_parse(const char *option, bool listen, const char *text, struct kb_target *t)
{
	char host[256] = "0.0.0.0";
	const char *port = text, *colon = strrchr(text, ':');
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	char *end;
	long p;

	memset(t, 0, sizeof *t);
	t->listen = listen;
	t->text = text;
	if (colon) {
		const char *h = text;
		size_t n = (size_t)(colon - text);

		if (h[0] == '[' && n >= 2 && h[n - 1] == ']')
			h++, n -= 2;
		if (!n || n >= sizeof host) {
			kb_err("%s '%s': not HOST:PORT", option, text);
			return false;
		}
		memcpy(host, h, n);
		host[n] = '\0';
		port = colon + 1;
	} else if (!listen) {
		kb_err("%s '%s': not HOST:PORT", option, text);
		return false;
	}
	p = strtol(port, &end, 10);
	if (!*port || *end || p < 1 || p > 65535) {
		kb_err("%s '%s': the port must be a number from 1 to 65535", option, text);
		return false;
	}
	if (getaddrinfo(host, NULL, &hints, &res) || !res ||
	    !kashim_addr_from_sockaddr(res->ai_addr, res->ai_addrlen, &t->addr)) {
		kb_err("%s '%s': cannot resolve '%s'", option, text, host);
		if (res)
			freeaddrinfo(res);
		return false;
	}
	freeaddrinfo(res);
	t->addr.port = (uint16_t)p;
	return true;
}

/* Contract: see loader.h. */
void kb_target_explain(FILE *out, const struct kb_target *t, const struct kashim_ruleset *rules,
		       const struct kashim_bpf_conf *conf)
{
	unsigned want = t->listen ? KASHIM_RULE_LISTEN : KASHIM_RULE_DESTINATION, i = 0;

	while (rules && i < rules->n && i < conf->nrules &&
	       !(rules->rule[i].kind == want && kashim_spec_match(&rules->rule[i].spec, &t->addr)))
		i++;
	fprintf(out, "%-13s %s\n", t->listen ? "listen" : "to", t->text);
	if (!rules || i >= rules->n || i >= conf->nrules) {
		fprintf(out, "rule          none matches (of %u): the settings above\n", conf->nrules);
	} else {
		const struct kashim_bpf_rule *r = &conf->rules[i];

		fprintf(out, "rule          %s, the first that matches (of %u)\n", rules->rule[i].settings.rule,
			conf->nrules);
		fprintf(out, "connection    keepalive %s, idle %d, interval %d, count %d, user_timeout %d\n",
			r->keepalive ? "on" : "off (left alone)", r->idle, r->interval, r->count, r->user_timeout);
	}
}
