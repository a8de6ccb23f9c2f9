/* SPDX-License-Identifier: MIT */
/*
 * rules.c - destination and listen rules in the shim: the immutable table
 * built once with the settings, matching, and the refinement at connect()
 * and listen(). See rules.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "load.h"
#include "rules.h"

/* Static: nothing is allocated, in a hook or anywhere. In .data, as the fd
 * state (fdstate.c): a .bss this size would cost every process an mmap. */
__attribute__((section(".data.kashim_rules"))) static struct kashim_rt_rules table;

static const struct kashim_profile *profile_from(struct kashim_profile *p, const struct kashim_settings *s,
						 const char *rule)
{
	p->enabled = s->keepalive;
	p->override = s->override;
	p->nopts = kashim_sockopts_from(s, p->opts);
	p->rule = rule;
	return p;
}

/* Rules of @kind from @set into @out; returns how many. */
static unsigned read_rules(const struct kashim_ruleset *set, int kind, struct kashim_rt_rule *out,
			   kashim_getenv_fn get)
{
	struct kashim_rt_rule *first = out;

	for (unsigned i = 0; i < set->n && i < KASHIM_RULES_MAX; i++) {
		const struct kashim_rule *rule = &set->rule[i];
		struct kashim_settings s;

		if (rule->kind != kind)
			continue;
		/* The environment beats the file, rules included. Its problems
		 * were reported for the program's settings. */
		s = rule->settings;
		if (get)
			kashim_env_apply(&s);
		kashim_settings_finish(&s);
		out->spec = &rule->spec;
		out->v4 = out->spec->family != AF_INET6;
		out->v6 = out->spec->family != AF_INET;
		out->v4net = out->spec->v4;
		out->v4mask = out->spec->v4mask; /* 0 for "*" */
		profile_from(&out->profile, &s, rule->settings.rule);
		out++;
	}
	return (unsigned)(out - first);
}

void kashim_rules_build(struct kashim_runtime *rt, const struct kashim_ruleset *set, kashim_getenv_fn get)
{
	const struct kashim_profile *base = profile_from(&rt->base, &rt->settings, "");
	unsigned state = KASHIM_FS_DECIDED;

	rt->rules = NULL;
	if (set && set->n) {
		table.dest = table.rule;
		table.ndest = read_rules(set, KASHIM_RULE_DESTINATION, table.rule, get);
		table.listen = table.rule + table.ndest;
		table.nlisten = read_rules(set, KASHIM_RULE_LISTEN, table.rule + table.ndest, get);
		rt->rules = &table;
		state |= KASHIM_FS_REFINE;
	}
	if (base->enabled && base->override) {
		state |= KASHIM_FS_OVERRIDE;
		if (base->nopts <= KASHIM_OPT_USER_TIMEOUT)
			state |= KASHIM_FS_OWN << KASHIM_OPT_USER_TIMEOUT;
	}
	rt->new_state = (unsigned char)state;
	if (rt->debug || (rt->rules && !base->enabled) || (base->enabled && base->nopts < 4))
		rt->mode = KASHIM_MODE_UNKNOWN; /* the slow paths: every decision logged */
	else if (rt->rules)
		rt->mode = KASHIM_MODE_RULES;
	else
		rt->mode = base->enabled ? KASHIM_MODE_CONFIGURE : KASHIM_MODE_LEAVE;
}

bool kashim_addr_of(const struct sockaddr *sa, socklen_t len, struct kashim_addr *out)
{
	struct sockaddr_in6 in6;

	/* RFC 2133's sockaddr_in6 had no sin6_scope_id: 24 bytes. */
	if (sa && len >= 24 && len < sizeof in6 && sa->sa_family == AF_INET6) {
		memset(&in6, 0, sizeof in6);
		memcpy(&in6, sa, len);
		return kashim_addr_from_sockaddr((const struct sockaddr *)&in6, sizeof in6, out);
	}
	return kashim_addr_from_sockaddr(sa, len, out);
}

/* The profile of the first of the @n @rules matching @a, or the base. */
static const struct kashim_profile *match(const struct kashim_rt_rule *rules, unsigned n,
					  const struct kashim_profile *base, const struct kashim_addr *a)
{
	if (a->family == AF_INET) {
		for (unsigned i = 0; i < n; i++) {
			const struct kashim_rt_rule *r = &rules[i];

			if (r->v4 && !((a->v4 ^ r->v4net) & r->v4mask) && kashim_spec_match(r->spec, a))
				return &r->profile;
		}
		return base;
	}
	for (unsigned i = 0; i < n; i++)
		if (rules[i].v6 && kashim_spec_match(rules[i].spec, a))
			return &rules[i].profile;
	return base;
}

const struct kashim_profile *kashim_rules_dest(const struct kashim_runtime *rt, const struct kashim_addr *a)
{
	return match(rt->rules->dest, rt->rules->ndest, &rt->base, a);
}

const struct kashim_profile *kashim_rules_local(const struct kashim_runtime *rt, int fd, struct kashim_addr *a,
						bool *known)
{
	int (*name)(int, struct sockaddr *, socklen_t *) = KASHIM_REAL(real_getsockname, "getsockname");
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int saved_errno = errno;

	*known = name && name(fd, (struct sockaddr *)&ss, &len) == 0 &&
		 kashim_addr_of((struct sockaddr *)&ss, len, a);
	errno = saved_errno;
	if (!*known || !rt->rules)
		return &rt->base;
	return match(rt->rules->listen, rt->rules->nlisten, &rt->base, a);
}

/* Without inet_ntop (an import). */
void kashim_format_addr(const struct kashim_addr *a, char *buf, size_t len)
{
	const uint64_t *v = a->v6;

	if (a->family == AF_INET)
		snprintf(buf, len, "%u.%u.%u.%u:%u", a->v4 >> 24, a->v4 >> 16 & 255, a->v4 >> 8 & 255,
			 a->v4 & 255, a->port);
	else
		snprintf(buf, len, "[%x:%x:%x:%x:%x:%x:%x:%x]:%u", (unsigned)(v[0] >> 48),
			 (unsigned)(v[0] >> 32 & 0xffff), (unsigned)(v[0] >> 16 & 0xffff),
			 (unsigned)(v[0] & 0xffff), (unsigned)(v[1] >> 48), (unsigned)(v[1] >> 32 & 0xffff),
			 (unsigned)(v[1] >> 16 & 0xffff), (unsigned)(v[1] & 0xffff), a->port);
}

/* What kashim set on a socket in @state: the base (DECIDED|REFINE), or a
 * rule's, not known here (REFINE alone). */
static const struct kashim_profile *held(const struct kashim_runtime *rt, unsigned state)
{
	return state & KASHIM_FS_DECIDED ? &rt->base : &kashim_had_unknown;
}

int kashim_rules_connect(int fd, unsigned state, const struct sockaddr *addr, socklen_t len,
			 int (*real)(int, const struct sockaddr *, socklen_t))
{
	const struct kashim_runtime *rt;
	struct kashim_addr a;
	int ret = real(fd, addr, len);
	int saved_errno = errno;

	if (ret != 0 && saved_errno != EINPROGRESS && saved_errno != EINTR) {
		/* Already connected (a connect polled to completion): final. */
		if (saved_errno == EISCONN && (state & KASHIM_FS_REFINE))
			kashim_fd_set_state(fd, (state | KASHIM_FS_DECIDED) & ~KASHIM_FS_REFINE);
		return ret; /* refused, EFAULT...: matched again next time */
	}
	rt = kashim_runtime();
	/* The kernel has read @addr: it is readable. */
	if (!rt || !rt->rules || !addr || len < sizeof addr->sa_family)
		goto out;
	if (addr->sa_family == AF_UNSPEC) {
		/* Dissolved: the next connect() matches again. */
		if (ret == 0 && !(state & KASHIM_FS_REFINE))
			kashim_fd_set_state(fd, (state & ~KASHIM_FS_DECIDED) | KASHIM_FS_REFINE);
		goto out;
	}
	if (!(state & KASHIM_FS_REFINE) || !kashim_addr_of(addr, len, &a))
		goto out;
	kashim_decide(fd, rt, kashim_rules_dest(rt, &a), held(rt, state),
		      ret == 0 ? KASHIM_FS_DECIDED : KASHIM_FS_REFINE, "connect", &a);
out:
	errno = saved_errno;
	return ret;
}

/* listen() on a socket kashim has not finished with (slow path). */
static __attribute__((noinline)) int listen_slow(int fd, int backlog, int (*real)(int, int))
{
	const struct kashim_runtime *rt;
	const struct kashim_profile *p;
	struct kashim_addr a;
	unsigned state = kashim_fd_state(fd);
	bool known;
	int ret;

	if (!(state & (KASHIM_FS_DECIDED | KASHIM_FS_REFINE))) {
		kashim_adopt(fd, "listen, inherited");
		state = kashim_fd_state(fd);
	}
	rt = kashim_runtime();
	if (rt && rt->rules && (state & KASHIM_FS_REFINE)) {
		/* Before the real listen(): a connection completing at once
		 * is copied from a listener that already has its options. */
		p = kashim_rules_local(rt, fd, &a, &known);
		kashim_decide(fd, rt, p, held(rt, state), KASHIM_FS_DECIDED, "listen", known ? &a : NULL);
	}
	ret = real(fd, backlog);
	if (ret != 0 && (state & KASHIM_FS_REFINE)) {
		int saved_errno = errno;

		/* Not listening: matched again by a later connect() or listen(). */
		kashim_fd_set_state(fd, (kashim_fd_state(fd) & ~KASHIM_FS_DECIDED) | KASHIM_FS_REFINE);
		errno = saved_errno;
	}
	return ret;
}

/* Contract: returns exactly what libc's listen() returns, with its errno; a
 * TCP socket that starts listening has its listen rule's options (or the
 * program's) before it does, and every accepted connection inherits them. */
KASHIM_EXPORT int listen(int fd, int backlog)
{
	int (*real)(int, int) = KASHIM_REAL(real_listen, "listen");
	unsigned state = kashim_fd_state(fd);

	if (KASHIM_UNLIKELY(!real)) {
		errno = ENOSYS;
		return -1;
	}
	if (KASHIM_LIKELY(kashim_mode_now() == KASHIM_MODE_LEAVE ||
			  (state & (KASHIM_FS_DECIDED | KASHIM_FS_REFINE)) == KASHIM_FS_DECIDED))
		return real(fd, backlog);
	return listen_slow(fd, backlog, real);
}
