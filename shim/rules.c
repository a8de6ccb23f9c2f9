/* SPDX-License-Identifier: MIT */
/*
 * rules.c - destination and listen rules in the shim: the immutable table
 * built once at initialisation, the per-fd state byte, and the decisions
 * at connect(), listen() and adoption. See rules.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "load.h"
#include "rules.h"

unsigned char *_Atomic kashim_fdstate;

/* Option index of a keepalive option (the order of the profile's calls). */
static int option_index(int level, int name)
{
	if (level == SOL_SOCKET)
		return name == SO_KEEPALIVE ? 0 : -1;
	switch (name) {
	case TCP_KEEPIDLE:
		return 1;
	case TCP_KEEPINTVL:
		return 2;
	case TCP_KEEPCNT:
		return 3;
	case TCP_USER_TIMEOUT:
		return 4;
	default:
		return -1;
	}
}

/* The setsockopt() calls @s asks for, as for the program's own settings.
 * @p is in fresh zeroed memory. */
static void profile_from(struct kashim_profile *p, const struct kashim_settings *s)
{
	p->settings = s;
	p->enabled = s->keepalive;
	p->override = s->override;
	p->nopts = kashim_sockopts_from(s, p->opts);
	for (unsigned i = 0; i < p->nopts; i++)
		p->own[i] = (unsigned char)(KASHIM_FS_OWN << option_index(p->opts[i].level, p->opts[i].name));
}

/*
 * mmap is found at load (load.c) rather than imported: every symbol the
 * library imports is ld.so work in every process that preloads it (make
 * bench, spawn), and only processes with rules need it. The
 * ruleset is kept for the life of the process (the profiles point into it),
 * also when building fails.
 */
void kashim_rules_build(struct kashim_runtime *rt, struct kashim_ruleset *set, kashim_getenv_fn get)
{
	void *(*map_fn)(void *, size_t, int, int, int, off_t) = kashim_mmap;
	struct kashim_rt_rules *r;
	struct kashim_rt_rule *out;
	unsigned char *map = MAP_FAILED;

	rt->rules = NULL;
	if (!set || !set->n)
		return;
	/* One byte per fd, then the table; untouched pages cost nothing. */
	if (map_fn)
		map = map_fn(NULL, KASHIM_FDMAP_FDS + sizeof *r + set->n * sizeof r->rule[0],
			     PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (map == MAP_FAILED) {
		kashim_log(KASHIM_LOG_WARN, "out of memory for %u destination/listen rules; they are ignored",
			   set->n);
		return;
	}
	r = (struct kashim_rt_rules *)(map + KASHIM_FDMAP_FDS);
	r->set = set;
	profile_from(&r->base, &rt->settings);
	out = r->rule;
	/* Destination rules first, then listen rules, each kind in the order
	 * the table gives (the program section's, then the top level's). */
	for (int kind = KASHIM_RULE_DESTINATION; kind <= KASHIM_RULE_LISTEN; kind++) {
		const struct kashim_rt_rule *first = out;

		for (unsigned i = 0; i < set->n; i++) {
			struct kashim_settings *s = &set->rule[i].settings;

			if (set->rule[i].kind != kind)
				continue;
			/* The environment beats the file, rules included. Its
			 * problems were reported for the program's settings. */
			if (get)
				kashim_env_apply(s);
			kashim_settings_finish(s);
			out->spec = &set->rule[i].spec;
			out->v4 = out->spec->family != AF_INET6;
			out->v6 = out->spec->family != AF_INET;
			out->v4net = out->spec->v4;
			out->v4mask = out->spec->v4mask; /* 0 for "*" */
			profile_from(&out->profile, s);
			out++;
		}
		if (kind == KASHIM_RULE_DESTINATION)
			r->dest = first, r->ndest = (unsigned)(out - first);
		else
			r->listen = first, r->nlisten = (unsigned)(out - first);
	}
	rt->rules = r;
	atomic_store_explicit(&kashim_fdstate, map, memory_order_relaxed);
}

static void undecide(int fd)
{
	unsigned u = (unsigned)fd;

	if (u < KASHIM_FDMAP_FDS)
		atomic_fetch_and_explicit(&kashim_fdmap[u / KASHIM_FDMAP_WORD_BITS],
					  ~(1UL << (u % KASHIM_FDMAP_WORD_BITS)), memory_order_relaxed);
}

static void set_state(int fd, unsigned char state)
{
	unsigned char *map = atomic_load_explicit(&kashim_fdstate, memory_order_relaxed);

	if (map && (unsigned)fd < KASHIM_FDMAP_FDS)
		__atomic_store_n(&map[fd], state, __ATOMIC_RELAXED);
}

static unsigned char get_state(int fd)
{
	unsigned char *map = atomic_load_explicit(&kashim_fdstate, memory_order_relaxed);

	return map && (unsigned)fd < KASHIM_FDMAP_FDS ? __atomic_load_n(&map[fd], __ATOMIC_RELAXED) : 0;
}

void kashim_rules_socket(int fd)
{
	/* The number may have been a decided socket before: it is not now. */
	set_state(fd, KASHIM_FS_PENDING);
	undecide(fd);
}

/* The profile of the first of the @n @rules matching @a, or @base. */
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

/* "10.0.0.1:5432" or "[2001:db8:0:0:0:0:0:1]:443" for the debug log,
 * without inet_ntop (an import, see kashim_rules_build). */
static void format_addr(const struct kashim_addr *a, char *buf, size_t len)
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

/* Make @p's calls on @fd and record the decision: @fd is decided and no
 * longer pending. With override off, the options the program already set
 * itself on @fd (KASHIM_FS_OWN) are left as it set them. errno preserved. */
static void decide(int fd, const struct kashim_runtime *rt, const struct kashim_profile *p, const char *why,
		   const struct kashim_addr *a, bool mark)
{
	int (*set)(int, int, int, const void *, socklen_t) = KASHIM_REAL(real_setsockopt, "setsockopt");
	unsigned char own = get_state(fd);
	unsigned char skip = p->override ? 0 : own;
	unsigned char state = 0;
	int saved_errno = errno;

	if (p->enabled && set) {
		/* SO_KEEPALIVE (opts[0]) last, as kashim_apply() does. */
		for (unsigned i = p->nopts; i-- > 0;) {
			const struct kashim_sockopt *o = &p->opts[i];

			if (skip & p->own[i])
				continue;
			if (KASHIM_UNLIKELY(set(fd, o->level, o->name, &o->value, sizeof o->value) != 0)) {
				/* kashim_apply_failed() reads the runtime's own
				 * settings only for its debug flag. */
				kashim_apply_failed(fd, rt, o);
				errno = saved_errno;
			}
		}
		if (p->override)
			state = KASHIM_FS_OVERRIDE | (p->settings->user_timeout > 0 ? KASHIM_FS_OVR_UT : 0);
	}
	set_state(fd, state);
	if (mark)
		kashim_fd_decide(fd);
	if (KASHIM_UNLIKELY(rt->debug)) {
		const struct kashim_settings *s = p->settings;
		char where[80] = "";

		if (a)
			format_addr(a, where, sizeof where);
		if (p->enabled)
			kashim_log(KASHIM_LOG_DEBUG,
				   "fd %d (%s %s): %s%s: keepalive idle=%d interval=%d count=%d user_timeout=%ld%s",
				   fd, why, where, s->rule[0] ? "rule " : "no rule matches", s->rule, s->idle,
				   s->interval, s->count, s->user_timeout, own & ~KASHIM_FS_PENDING ? " (the program's own options kept)" : "");
		else
			kashim_log(KASHIM_LOG_DEBUG, "fd %d (%s %s): %s%s: keepalive = false; left alone", fd, why,
				   where, s->rule[0] ? "rule " : "no rule matches", s->rule);
	}
	errno = saved_errno;
}

int kashim_rules_connect(int fd, const struct sockaddr *addr, socklen_t len,
			 int (*real)(int, const struct sockaddr *, socklen_t))
{
	const struct kashim_runtime *rt = kashim_runtime();
	struct kashim_addr a;
	int ret, saved_errno;

	/* AF_UNSPEC (dissolving an association) or anything else: no
	 * destination to match, the socket stays pending. */
	if (!rt || !rt->rules || !kashim_addr_from_sockaddr(addr, len, &a))
		return real(fd, addr, len);
	ret = real(fd, addr, len);
	saved_errno = errno;
	if (ret == 0 || saved_errno == EINPROGRESS || saved_errno == EINTR)
		decide(fd, rt, match(rt->rules->dest, rt->rules->ndest, &rt->rules->base, &a), "connect", &a,
		       true);
	errno = saved_errno;
	return ret;
}

/* The profile for listener @fd, by its local address (one getsockname()). */
static const struct kashim_profile *listener_profile(int fd, const struct kashim_runtime *rt,
						     struct kashim_addr *a, bool *known)
{
	int (*name)(int, struct sockaddr *, socklen_t *) = KASHIM_REAL(real_getsockname, "getsockname");
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int saved_errno = errno;

	*known = name && name(fd, (struct sockaddr *)&ss, &len) == 0 &&
		 kashim_addr_from_sockaddr((struct sockaddr *)&ss, len, a);
	errno = saved_errno;
	if (!*known)
		return &rt->rules->base;
	return match(rt->rules->listen, rt->rules->nlisten, &rt->rules->base, a);
}

/* Contract: returns exactly what libc's listen() returns, with its errno;
 * a pending TCP socket that starts listening gets its listen rule's
 * options (or the program's), which every accepted connection inherits. */
KASHIM_EXPORT int listen(int fd, int backlog)
{
	int (*real)(int, int) = KASHIM_REAL(real_listen, "listen");
	const struct kashim_runtime *rt;
	const struct kashim_profile *p;
	struct kashim_addr a;
	bool known;
	int ret;

	if (KASHIM_UNLIKELY(!real)) {
		errno = ENOSYS;
		return -1;
	}
	if (KASHIM_LIKELY(!kashim_rules_pending(fd)))
		return real(fd, backlog);
	ret = real(fd, backlog);
	if (ret != 0 || !(rt = kashim_runtime()) || !rt->rules)
		return ret;
	p = listener_profile(fd, rt, &a, &known);
	decide(fd, rt, p, "listen", known ? &a : NULL, true);
	return ret;
}

bool kashim_rules_adopt(int fd, const struct kashim_runtime *rt, const char *why, bool mark)
{
	const struct kashim_profile *p;
	struct kashim_addr a;
	bool known;

	if (!kashim_is_listening(fd)) {
		kashim_rules_socket(fd);
		return false;
	}
	p = listener_profile(fd, rt, &a, &known);
	if (!p->enabled) {
		decide(fd, rt, p, why, known ? &a : NULL, true);
		return false;
	}
	/* An owner that turned keepalive on itself keeps its values: mark it decided
	 * with an empty profile (nothing called). */
	if (!p->override && kashim_has_keepalive(fd)) {
		decide(fd, rt, &(struct kashim_profile){.settings = p->settings},
		       "inherited listener already has SO_KEEPALIVE, kept as it is;", known ? &a : NULL, true);
		return false;
	}
	decide(fd, rt, p, why, known ? &a : NULL, mark);
	return true;
}

bool kashim_rules_accept_undecided(int listener, int fd, const struct kashim_runtime *rt)
{
	struct kashim_addr a;
	bool known;
	const struct kashim_profile *p = listener_profile(listener, rt, &a, &known);
	bool on;

	if (!p->enabled) {
		decide(listener, rt, p, "listener, inherited", known ? &a : NULL, true);
		return false;
	}
	on = kashim_has_keepalive(listener);
	if (!on || !kashim_has_values(listener, p->opts, p->nopts)) {
		if (on && !p->override) {
			decide(listener, rt, &(struct kashim_profile){.settings = p->settings},
			       "inherited listener already has SO_KEEPALIVE, kept as it is;", known ? &a : NULL, true);
			return false;
		}
		decide(listener, rt, p, "listener, inherited", known ? &a : NULL, false);
	}
	decide(fd, rt, p, "accepted before its listener was configured", known ? &a : NULL, true);
	return true;
}

void kashim_apply_accepted(int fd, int listener, const struct kashim_runtime *rt, const char *why)
{
	const struct kashim_profile *p;
	struct kashim_addr a;
	bool known;

	if (!rt->rules) {
		kashim_apply(fd, rt, why);
		return;
	}
	p = listener_profile(listener, rt, &a, &known);
	decide(fd, rt, p, why, known ? &a : NULL, true);
}

bool kashim_rules_setsockopt(int fd, int name)
{
	unsigned char state;
	int idx;

	/* Only the state byte decides: no system call for the sockets a
	 * server accepts (redis sets SO_KEEPALIVE on each), which have none. */
	state = get_state(fd);
	if (state & KASHIM_FS_PENDING) {
		unsigned char *map = atomic_load_explicit(&kashim_fdstate, memory_order_relaxed);

		/* SO_KEEPALIVE and TCP_KEEPIDLE share nothing but the index. */
		idx = option_index(name == SO_KEEPALIVE ? SOL_SOCKET : IPPROTO_TCP, name);
		if (idx >= 0 && map && (unsigned)fd < KASHIM_FDMAP_FDS)
			__atomic_fetch_or(&map[fd], (unsigned char)(KASHIM_FS_OWN << idx), __ATOMIC_RELAXED);
		return false;
	}
	if (!(state & KASHIM_FS_OVERRIDE))
		return false;
	if (name == TCP_USER_TIMEOUT && !(state & KASHIM_FS_OVR_UT))
		return false;
	/* The number may now name a socket of another kind. */
	if (!kashim_fd_is_tcp(fd))
		return false;
	if (kashim_rt.debug)
		kashim_log(KASHIM_LOG_DEBUG, "fd %d: program's setsockopt option %d ignored (override = true in its rule)",
			   fd, name);
	return true;
}
