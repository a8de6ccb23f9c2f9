/* SPDX-License-Identifier: MIT */
/*
 * apply.c - ka-status --apply: give the TCP sockets of a running process
 * the keepalive settings the shim would have given them, without stopping
 * or restarting it.
 *
 * Each socket is borrowed with pidfd_getfd(): the copy is the same socket,
 * so setsockopt() on it changes the target's socket, then the copy is
 * closed. The decision is the shim's, from config/'s code: the settings of
 * the program (keepalive.conf's top level, then the first program section
 * matching the executable's or argv[0]'s basename), then the first listen
 * rule matching a listener's local address, or the first destination rule
 * matching a connection's peer. A connection accepted by one of the
 * process's listeners gets its listener's rule, as it would have inherited
 * it. A server that wrote its process title over argv[0] is matched by the
 * title's first word as well. The target's environment does not apply (it
 * cannot be read reliably and the shim copied it at load anyway). A socket
 * on which keepalive is already on is left as it is unless override is on,
 * and keepalive = false leaves sockets alone, as in the shim.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../config/conffile.h"
#include "../config/rules.h"
#include "ka_status.h"

/* What --apply does to one socket. */
enum verdict {
	V_SET,        /* its options differ from what it should have: set them */
	V_SAME,       /* it has exactly them already */
	V_LEAVE_OFF,  /* keepalive = false for it: left as the program made it */
	V_LEAVE_OWN,  /* keepalive already on, override off: the owner's choice */
};

/* The keepalive options of a socket, as found or as wanted: by field of
 * config/fields.h (0/1 for on/off); only fields with a socket option
 * (has_option()) are used. */
struct ka_values {
	long v[KASHIM_NFIELDS];
};
/* struct ka_socket's values are indexed by enum ka_field, made from the same
 * table in the same order. */
_Static_assert((int)KA_NFIELDS == (int)KASHIM_NFIELDS &&
	       (int)KA_F_USER_TIMEOUT == (int)KASHIM_F_USER_TIMEOUT,
	       "ka_field and kashim_field come from config/fields.h in one order");

/* The run, and the process being worked on. */
struct apply {
	const char *config;
	bool yes, json;
	struct ka_table table;            /* the rows, unless json */
	struct ka_process *refused;       /* processes refused, for json */
	size_t nrefused, rcap;
	size_t changed, same, left, failed;
	bool listener_changed;
	/* the current process */
	pid_t pid;
	char comm[KA_COMM_LEN];
	struct kashim_settings program;   /* with no rule matching */
	struct kashim_ruleset *rules;     /* NULL when it has none */
	struct kashim_addr *listeners;    /* local addresses of its listeners */
	size_t nlisteners, lcap;
};

/* Logger for config/'s code: every warning on stderr. */
static void warn(void *ctx, enum kashim_level level, const char *msg)
{
	(void)ctx;
	if (level == KASHIM_LOG_WARN)
		fprintf(stderr, "ka-status: %s\n", msg);
}
static const struct kashim_logger logger = {warn, NULL};

/* Contract: the last path component of @path. */
static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Contract: the name in the process title that a server wrote over its
 * argv ("redis-server 127.0.0.1:6379", "nginx: master process ...",
 * "postgres: checkpointer"), read from its first argument @args: its first
 * word's basename without a trailing colon; "" when @args has no blank
 * (then argv[0] is intact). */
static void title_name(char *args, char *title, size_t len)
{
	size_t word = strcspn(args, " ");

	title[0] = '\0';
	if (!args[word])
		return;
	args[word] = '\0';
	if (word > 1 && args[word - 1] == ':')
		args[word - 1] = '\0';
	snprintf(title, len, "%s", base_name(args));
}

/* Contract: the two names the shim matches program sections against, for
 * process @pid: its executable's basename (/proc/PID/exe, without the
 * " (deleted)" of a replaced file) and argv[0]'s; and title_name()'s.
 * "" when unreadable. */
static void program_names(pid_t pid, char *exe, char *argv0, char *title, size_t len)
{
	char path[64], target[PATH_MAX], args[PATH_MAX];
	ssize_t n;
	FILE *f;

	exe[0] = argv0[0] = title[0] = '\0';
	snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
	n = readlink(path, target, sizeof target - 1);
	if (n > 0) {
		size_t deleted = strlen(" (deleted)");

		target[n] = '\0';
		if ((size_t)n > deleted && !strcmp(target + n - deleted, " (deleted)"))
			target[n - deleted] = '\0';
		snprintf(exe, len, "%s", base_name(target));
	}
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	n = (ssize_t)fread(args, 1, sizeof args - 1, f);
	fclose(f);
	args[n > 0 ? n : 0] = '\0'; /* argv[0] ends at its NUL */
	snprintf(argv0, len, "%s", base_name(args));
	title_name(args, title, len);
}

/* Contract: the settings and rules the shim would give process @pid, into
 * a->program and a->rules (file already checked by ka_apply()). When no
 * program section matches its names and it shows a process title, the
 * title's name is tried in argv[0]'s place: the shim read argv[0] before
 * the program wrote over it. */
static void load_settings(struct apply *a, pid_t pid)
{
	char exe[256], argv0[256], title[256];

	program_names(pid, exe, argv0, title, sizeof exe);
	for (int pass = 0; pass < 2; pass++) {
		kashim_settings_defaults(&a->program);
		free(a->rules);
		a->rules = NULL;
		kashim_conffile_load_rules(a->config, exe[0] ? exe : NULL, argv0[0] ? argv0 : NULL,
					   &a->program, &a->rules, &logger);
		if (a->program.section[0] || !title[0])
			break;
		snprintf(argv0, sizeof argv0, "%s", title);
	}
	kashim_settings_finish(&a->program);
	for (unsigned i = 0; a->rules && i < a->rules->n; i++)
		kashim_settings_finish(&a->rules->rule[i].settings);
}

/* Contract: @sock's own address (@get = getsockname) or its peer's
 * (getpeername) in *@out; false when it has none. */
static bool socket_address(int sock, int (*get)(int, struct sockaddr *, socklen_t *),
			   struct kashim_addr *out)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;

	return get(sock, (struct sockaddr *)&sa, &len) == 0 &&
	       kashim_addr_from_sockaddr((struct sockaddr *)&sa, len, out);
}

/* Visitor of the first pass: note the local address of every listener. */
static void note_listener(void *ctx, int sock, struct ka_socket *s)
{
	struct apply *a = ctx;
	struct kashim_addr addr;

	if (s->state == TCP_LISTEN && socket_address(sock, getsockname, &addr) &&
	    ka_array_push(&a->listeners, &a->nlisteners, &a->lcap, &addr, sizeof addr) < 0) {
		fputs("ka-status: out of memory\n", stderr);
		exit(1);
	}
}

/* Contract: true when @l is the any-address of its family. */
static bool is_any(const struct kashim_addr *l)
{
	return l->family == AF_INET ? l->v4 == 0 : !l->v6[0] && !l->v6[1];
}

/* Contract: the listener of the current process that accepted a connection
 * whose local address is @local (same port; same address, or a listener on
 * the any-address, [::] taking IPv4 too), or NULL: then it was connected. */
static const struct kashim_addr *listener_of(const struct apply *a, const struct kashim_addr *local)
{
	for (size_t i = 0; i < a->nlisteners; i++) {
		const struct kashim_addr *l = &a->listeners[i];

		if (l->port != local->port)
			continue;
		if (is_any(l) ? l->family == AF_INET6 || local->family == AF_INET
			      : l->family == local->family && l->v4 == local->v4 &&
					l->v6[0] == local->v6[0] && l->v6[1] == local->v6[1])
			return l;
	}
	return NULL;
}

/* Contract: the settings socket @sock (@s) gets: its listen or destination
 * rule's, else the program's. */
static const struct kashim_settings *settings_for(const struct apply *a, int sock,
						  const struct ka_socket *s)
{
	struct kashim_addr local, peer;
	const struct kashim_addr *listener;
	int i = -1;

	if (!a->rules || !socket_address(sock, getsockname, &local))
		return &a->program;
	if (s->state == TCP_LISTEN)
		i = kashim_rules_find(a->rules, KASHIM_RULE_LISTEN, &local);
	else if ((listener = listener_of(a, &local)))
		i = kashim_rules_find(a->rules, KASHIM_RULE_LISTEN, listener);
	else if (socket_address(sock, getpeername, &peer))
		i = kashim_rules_find(a->rules, KASHIM_RULE_DESTINATION, &peer);
	return i >= 0 ? &a->rules->rule[i].settings : &a->program;
}

/* Contract: true when field @f is carried by a socket option. */
static bool has_option(enum kashim_field f)
{
	return kashim_field_info(f)->level >= 0;
}

/* Contract: the options ka-status read from socket @s (struct ka_socket's
 * values are in the same field order). */
static struct ka_values socket_values(const struct ka_socket *s)
{
	struct ka_values out = {{0}};

	for (int f = 0; f < KASHIM_NFIELDS; f++)
		if (has_option(f))
			out.v[f] = s->value[f];
	return out;
}

/* Contract: true when field @f of @w is set on a socket: all are, but a
 * milliseconds field at 0, which leaves the kernel's (or the program's)
 * value, as the shim does with TCP_USER_TIMEOUT. */
static bool sets_field(const struct kashim_settings *w, enum kashim_field f)
{
	return has_option(f) &&
	       (kashim_field_info(f)->kind != KASHIM_KIND_MS || kashim_settings_applied(w, f) > 0);
}

/* Contract: what a socket that has @now has once @w's options are set. */
static struct ka_values wanted_values(const struct kashim_settings *w, const struct ka_values *now)
{
	struct ka_values out = *now;

	for (int f = 0; f < KASHIM_NFIELDS; f++)
		if (sets_field(w, f))
			out.v[f] = kashim_settings_applied(w, f);
	return out;
}

/* Contract: what to do with socket @s, which should have @w. */
static enum verdict decide(const struct ka_socket *s, const struct kashim_settings *w)
{
	struct ka_values now = socket_values(s), want = wanted_values(w, &now);
	bool same = true;

	if (!w->keepalive)
		return V_LEAVE_OFF;
	for (int f = 0; f < KASHIM_NFIELDS; f++)
		same &= now.v[f] == want.v[f];
	if (same)
		return V_SAME;
	return now.v[KASHIM_F_KEEPALIVE] && !w->override ? V_LEAVE_OWN : V_SET;
}

/* Contract: sets @w's options on @sock, in the table's order from its end,
 * so SO_KEEPALIVE comes last as in the shim (the timer then starts with the
 * new idle time). 0, or -1 with the failed option and its error in @why. */
static int set_options(int sock, const struct kashim_settings *w, char *why, size_t len)
{
	for (int f = KASHIM_NFIELDS; f-- > 0;) {
		const struct kashim_field_info *i = kashim_field_info(f);
		int value = (int)kashim_settings_applied(w, f);

		if (!sets_field(w, f))
			continue;
		if (setsockopt(sock, i->level, i->option, &value, sizeof value) != 0) {
			snprintf(why, len, "failed: %s %d: %s", i->name, value, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Contract: "off", or "on IDLE/INTVL/CNT" with " ut=MS" when
 * TCP_USER_TIMEOUT is set, into @buf. */
static const char *values_text(const struct ka_values *v, char *buf, size_t len)
{
	const long *x = v->v;

	if (!x[KASHIM_F_KEEPALIVE])
		snprintf(buf, len, "off");
	else if (x[KASHIM_F_USER_TIMEOUT] > 0)
		snprintf(buf, len, "on %ld/%ld/%ld ut=%ld", x[KASHIM_F_IDLE], x[KASHIM_F_INTERVAL],
			 x[KASHIM_F_COUNT], x[KASHIM_F_USER_TIMEOUT]);
	else
		snprintf(buf, len, "on %ld/%ld/%ld", x[KASHIM_F_IDLE], x[KASHIM_F_INTERVAL],
			 x[KASHIM_F_COUNT]);
	return buf;
}

/* Contract: where @w comes from, for the FROM column. */
static const char *origin_text(const struct kashim_settings *w, char *buf, size_t len)
{
	if (w->rule[0])
		snprintf(buf, len, "%s", w->rule);
	else if (w->section[0])
		snprintf(buf, len, "program \"%s\"", w->section);
	else if (w->file[0])
		snprintf(buf, len, "top level");
	else
		snprintf(buf, len, "built-in defaults");
	return buf;
}

/* Contract: the ACTION cell for @v (after setting, @failed says how it went). */
static const char *action_text(const struct apply *a, enum verdict v, const char *failed)
{
	switch (v) {
	case V_SET:
		return failed[0] ? failed : a->yes ? "set" : "would set";
	case V_SAME:
		return "unchanged (already set)";
	case V_LEAVE_OFF:
		return "leave (keepalive = false)";
	default:
		return "leave (keepalive already on, override off)";
	}
}

/* Contract: @prefix, then keepalive options @v as a JSON object. */
static void json_options(const char *prefix, const struct ka_values *v)
{
	const char *sep = "{";

	fputs(prefix, stdout);
	for (int f = 0; f < KASHIM_NFIELDS; f++) {
		const struct kashim_field_info *i = kashim_field_info(f);

		if (!has_option(f))
			continue;
		if (i->kind == KASHIM_KIND_BOOL)
			printf("%s\"%s\": %s", sep, i->name, v->v[f] ? "true" : "false");
		else
			printf("%s\"%s\": %ld", sep, i->name, v->v[f]);
		sep = ", ";
	}
	fputs("}", stdout);
}

/* Contract: the row of add_row() as one JSON object of the "sockets" array;
 * "after" holds the options read back when they were set. */
static void json_row(struct apply *a, const struct ka_socket *before, const struct ka_socket *s,
		     const struct kashim_settings *w, enum verdict v, const char *failed)
{
	static const char *const actions[] = {
		[V_SET] = "set", [V_SAME] = "unchanged", [V_LEAVE_OFF] = "leave_off",
		[V_LEAVE_OWN] = "leave_own",
	};
	bool first = a->changed + a->same + a->left + a->failed == 1;
	struct ka_values now = socket_values(before), want = wanted_values(w, &now);
	struct ka_values after = socket_values(s);
	char from[200];

	printf("%s\n  {\"pid\": %d, \"command\": ", first ? "" : ",", (int)a->pid);
	ka_json_string(a->comm);
	printf(", \"fd\": %d, \"state\": \"%s\", \"local\": ", s->fd, ka_state_name(s->state));
	ka_json_string(s->local);
	fputs(", \"remote\": ", stdout);
	if (strcmp(s->remote, "-"))
		ka_json_string(s->remote);
	else
		fputs("null", stdout);
	printf(", \"action\": \"%s\"",
	       failed[0] ? "failed" : v == V_SET && !a->yes ? "would_set" : actions[v]);
	json_options(", \"before\": ", &now);
	json_options(", \"wanted\": ", &want);
	if (v == V_SET && a->yes)
		json_options(", \"after\": ", &after);
	if (failed[0]) {
		fputs(", \"error\": ", stdout);
		ka_json_string(failed);
	}
	fputs(", \"from\": ", stdout);
	ka_json_string(origin_text(w, from, sizeof from));
	fputs("}", stdout);
}

/* Contract: one row for socket @s of the current process, in the table or
 * as JSON: @before its options as found, @s as they are now. Called after
 * the counters include it. */
static void add_row(struct apply *a, const struct ka_socket *before, const struct ka_socket *s,
		    const struct kashim_settings *w, enum verdict v, const char *failed)
{
	struct ka_values found = socket_values(before), after = socket_values(s);
	struct ka_values want = wanted_values(w, &found);
	char now[64], next[64], from[200];

	if (a->json) {
		json_row(a, before, s, w, v, failed);
		return;
	}
	values_text(&found, now, sizeof now);
	if (v != V_SET || failed[0])
		snprintf(next, sizeof next, "-");
	else
		values_text(a->yes ? &after : &want, next, sizeof next);
	ka_table_cell(&a->table, "%d", (int)a->pid);
	ka_table_cell(&a->table, "%s", a->comm);
	ka_table_cell(&a->table, "%d", s->fd);
	ka_table_cell(&a->table, "%s", ka_state_name(s->state));
	ka_table_cell(&a->table, "%s", s->local);
	ka_table_cell(&a->table, "%s", s->remote);
	ka_table_cell(&a->table, "%s", now);
	ka_table_cell(&a->table, "%s", action_text(a, v, failed));
	ka_table_cell(&a->table, "%s", next);
	ka_table_cell(&a->table, "%s", origin_text(w, from, sizeof from));
}

/* Visitor of the second pass: decide for each established or listening
 * socket, set its options when asked to, and add its row. */
static void configure(void *ctx, int sock, struct ka_socket *s)
{
	struct apply *a = ctx;
	const struct kashim_settings *w;
	struct ka_socket before = *s;
	enum verdict v;
	char failed[KA_ERR_LEN] = "";

	if (s->state != TCP_ESTABLISHED && s->state != TCP_LISTEN)
		return;
	w = settings_for(a, sock, s);
	v = decide(s, w);
	if (v == V_SET && a->yes) {
		if (set_options(sock, w, failed, sizeof failed) < 0)
			a->failed++;
		else
			a->listener_changed |= s->state == TCP_LISTEN;
		ka_socket_reread(sock, s);
	}
	a->changed += v == V_SET && !failed[0];
	a->same += v == V_SAME;
	a->left += v == V_LEAVE_OFF || v == V_LEAVE_OWN;
	add_row(a, &before, s, w, v, failed);
}

/* Contract: the exit status for a process that could not be read because
 * of @err, and its message on stderr (@text: the reader's reason). */
static int refuse(pid_t pid, const char *comm, int err, const char *text)
{
	switch (err) {
	case EPERM:
	case EACCES:
		fprintf(stderr, "ka-status: pid %d (%s): permission denied: changing a process's "
			"sockets takes the rights ptrace(2) needs over it (its owner, unless "
			"kernel.yama.ptrace_scope forbids; or root)\n", (int)pid, comm);
		return KA_EXIT_PERMISSION;
	case ENOSYS:
		fprintf(stderr, "ka-status: %s: no running process can be changed here\n", text);
		return KA_EXIT_NO_PIDFD_GETFD;
	case ESRCH:
	case ENOENT:
		fprintf(stderr, "ka-status: pid %d: no such process\n", (int)pid);
		return KA_EXIT_GONE;
	default:
		fprintf(stderr, "ka-status: pid %d (%s): %s\n", (int)pid, comm, text);
		return 1;
	}
}

/* Contract: true when @proc has an established or listening socket. */
static bool has_candidates(const struct ka_process *proc)
{
	for (size_t i = 0; i < proc->nsockets; i++) {
		int state = proc->sockets[i].state;

		if (state == TCP_ESTABLISHED || state == TCP_LISTEN)
			return true;
	}
	return false;
}

/* Contract: works on process @pid (see the file comment). Returns 0, or
 * the refusal's exit status with its message said, unless @quiet and the
 * process is merely gone or not ours (for --all). */
static int apply_process(struct apply *a, pid_t pid, bool quiet, size_t *denied)
{
	struct ka_process proc;
	int rc = 0;

	a->pid = pid;
	a->nlisteners = 0;
	if (ka_visit_process(pid, &proc, note_listener, a) == 0 && has_candidates(&proc)) {
		snprintf(a->comm, sizeof a->comm, "%s", proc.comm);
		load_settings(a, pid);
		ka_process_free(&proc);
		ka_visit_process(pid, &proc, configure, a);
	} else if (!proc.error && !quiet && !a->json) {
		printf("%d (%s): no established or listening TCP socket\n", (int)pid, proc.comm);
	}
	if (proc.error) {
		bool mine = proc.error != ESRCH && proc.error != ENOENT && proc.error != EPERM &&
			    proc.error != EACCES;

		*denied += proc.error == EPERM || proc.error == EACCES;
		if (!quiet || mine)
			rc = refuse(pid, proc.comm, proc.error, proc.error_text);
	}
	ka_process_free(&proc);
	if (rc && a->json &&
	    ka_array_push(&a->refused, &a->nrefused, &a->rcap, &proc, sizeof proc) < 0) {
		fputs("ka-status: out of memory\n", stderr);
		exit(1);
	}
	return rc;
}

/* For ka_each_pid(): one process of --all; stops at a kernel without
 * pidfd_getfd (no process can be read). */
struct apply_all {
	struct apply *a;
	size_t denied;
	int status;
};

static int apply_all_one(void *ctx, pid_t pid)
{
	struct apply_all *all = ctx;
	int rc;

	if (pid == getpid())
		return 0;
	rc = apply_process(all->a, pid, true, &all->denied);
	if (rc && !all->status)
		all->status = rc;
	return rc == KA_EXIT_NO_PIDFD_GETFD;
}

/* Contract: checks @config as the shim would read it; prints which file
 * applies (in JSON, the document's start). Returns 0, or 2 when it is
 * invalid (problems said with their lines), or missing though named with
 * --config (@named). */
static int check_config(const char *config, bool named, const struct apply *a)
{
	struct kashim_settings s;
	struct kashim_ruleset *rules = NULL;
	enum kashim_conf_result r;

	kashim_settings_defaults(&s);
	r = kashim_conffile_load_rules(config, NULL, NULL, &s, &rules, &logger);
	free(rules);
	if (r == KASHIM_CONF_INVALID) {
		fprintf(stderr, "ka-status: %s is invalid: nothing was changed\n", config);
		return 2;
	}
	if (r == KASHIM_CONF_MISSING && named) {
		fprintf(stderr, "ka-status: --config: '%s': %s\n", config, strerror(ENOENT));
		return 2;
	}
	if (a->json) {
		fputs("{\"config\": ", stdout);
		ka_json_string(config);
		printf(", \"config_found\": %s, \"dry_run\": %s, \"sockets\": [",
		       r == KASHIM_CONF_MISSING ? "false" : "true", a->yes ? "false" : "true");
	} else if (r == KASHIM_CONF_MISSING)
		printf("Settings: no %s, kashim's built-in defaults (keepalive on, idle 60 s, "
		       "interval 10 s, count 5)\n", config);
	else
		printf("Settings: %s\n", config);
	return 0;
}

/* Contract: the end of the JSON document: the counts, then the processes
 * refused. */
static void report_json(const struct apply *a)
{
	printf("%s], \"summary\": {\"changed\": %zu, \"unchanged\": %zu, \"failed\": %zu}, ",
	       a->changed + a->same + a->left + a->failed ? "\n" : "", a->changed,
	       a->same + a->left, a->failed);
	ka_json_errors(a->refused, a->nrefused);
}

/* Contract: the table and the summary after it (or the end of the JSON). */
static void report(struct apply *a, size_t denied)
{
	size_t rows = a->changed + a->same + a->left + a->failed;

	if (a->json)
		report_json(a);
	else if (rows)
		ka_table_print(&a->table);
	else
		printf("No established or listening TCP socket to configure.\n");
	if (denied)
		fprintf(stderr, "ka-status: %zu process%s could not be read (permission denied): "
			"run as root to cover every process\n", denied, denied == 1 ? "" : "es");
	if (!rows || a->json)
		return;
	if (a->yes)
		printf("\nChanged %zu socket%s; %zu left unchanged%s.\n",
		       a->changed, a->changed == 1 ? "" : "s", a->same + a->left,
		       a->failed ? "; some could not be set (see ACTION)" : "");
	else
		printf("\nDry run: %zu socket%s would be changed, %zu left unchanged.%s\n",
		       a->changed, a->changed == 1 ? "" : "s", a->same + a->left,
		       a->changed ? " Run again with --yes to apply." : "");
	if (a->listener_changed)
		printf("Connections accepted from now on inherit their listener's settings; those "
		       "already waiting in its queue keep what they had.\n");
}

/* Contract: see ka_status.h. */
int ka_apply(char *const *pids, size_t n, bool all, const char *config, bool yes, bool json)
{
	static const char *const headers[] = {"PID", "COMMAND", "FD", "STATE", "LOCAL", "REMOTE",
					      "NOW", "ACTION", "NEW", "FROM", NULL};
	struct apply a = {.config = config ? config : KASHIM_SYSCONF_PATH, .yes = yes,
			  .json = json};
	struct apply_all each = {.a = &a};
	int status = check_config(a.config, config != NULL, &a);

	if (status)
		return status;
	ka_table_init(&a.table, headers, "rlrlllllll");
	if (all) {
		if (ka_each_pid(apply_all_one, &each) < 0)
			each.status = 1;
	}
	for (size_t i = 0; i < n; i++) {
		int rc = apply_process(&a, (pid_t)atoi(pids[i]), false, &each.denied);

		if (rc && !each.status)
			each.status = rc;
	}
	report(&a, all ? each.denied : 0);
	free(a.listeners);
	free(a.rules);
	free(a.refused);
	if (!each.status && a.failed)
		each.status = 1;
	return each.status;
}
