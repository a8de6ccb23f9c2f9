/* SPDX-License-Identifier: MIT */
/*
 * audit.c - ka-status --all: which processes on this machine hold
 * established TCP connections without keepalive (the ones kashim is for),
 * and what the others use. Listeners and closing sockets are left out: only
 * an established connection can go half-open unnoticed.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ka_status.h"

/* One distinct keepalive setting among a process's established sockets:
 * the values of the numeric settings (enum ka_field; the on/off ones are
 * what sorts sockets into groups or out of them). */
struct setting_group {
	long value[KA_NFIELDS];
	size_t sockets;
};

/* Contract: true for the settings a group is made of: read from the
 * socket, and numbers. */
static bool grouped(int f)
{
	return ka_options[f].column && ka_options[f].kind != KA_KIND_BOOL;
}

/* What the audit keeps of one process. */
struct audit_entry {
	struct ka_process proc;
	size_t established;
	size_t keepalive_off;
	struct setting_group *groups;   /* keepalive-on sockets, by setting */
	size_t ngroups;
	char kernel[256];               /* kashim-bpf attachment, "" when none */
};

/* Contract: counts @e's established sockets and groups the keepalive-on
 * ones by setting; returns -1 on allocation failure. */
static int summarise(struct audit_entry *e)
{
	size_t i, g;

	e->groups = calloc(e->proc.nsockets ? e->proc.nsockets : 1, sizeof *e->groups);
	if (!e->groups)
		return -1;
	for (i = 0; i < e->proc.nsockets; i++) {
		const struct ka_socket *s = &e->proc.sockets[i];
		if (s->state != TCP_ESTABLISHED)
			continue;
		e->established++;
		if (!s->value[KA_F_KEEPALIVE]) {
			e->keepalive_off++;
			continue;
		}
		for (g = 0; g < e->ngroups; g++) {
			int f = 0;

			while (f < KA_NFIELDS && (!grouped(f) || e->groups[g].value[f] == s->value[f]))
				f++;
			if (f == KA_NFIELDS)
				break;
		}
		if (g == e->ngroups) {
			for (int f = 0; f < KA_NFIELDS; f++)
				e->groups[g].value[f] = grouped(f) ? s->value[f] : 0;
			e->ngroups++;
		}
		e->groups[g].sockets++;
	}
	return 0;
}

/* Processes with keepalive off first (what the operator is looking for),
 * then by pid. */
static int by_concern(const void *a, const void *b)
{
	const struct audit_entry *x = a, *y = b;
	if ((x->keepalive_off > 0) != (y->keepalive_off > 0))
		return x->keepalive_off > 0 ? -1 : 1;
	return (x->proc.pid > y->proc.pid) - (x->proc.pid < y->proc.pid);
}

/* Contract: appends printf(@fmt, ...) to @buf (@len bytes, *@used of them
 * used), truncating. */
static void append(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*used >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *used, len - *used, fmt, ap);
	va_end(ap);
	if (n > 0)
		*used = *used + (size_t)n < len ? *used + (size_t)n : len;
}

/* Contract: @e's keepalive-on settings in one cell, e.g.
 * "2 x idle=60 intvl=10 cnt=5; 1 x idle=300 intvl=100 cnt=3 user_timeout=5000",
 * or "-" when none is on: each setting named by its column in lower case
 * up to the unit, milliseconds only when not 0 (the kernel's). Written
 * into @buf of @len bytes (truncated). */
static void format_groups(const struct audit_entry *e, char *buf, size_t len)
{
	size_t used = 0;

	snprintf(buf, len, "-");
	for (size_t g = 0; g < e->ngroups; g++) {
		append(buf, len, &used, "%s%zu x", g ? "; " : "", e->groups[g].sockets);
		for (int f = 0; f < KA_NFIELDS; f++) {
			const char *column = ka_options[f].column;
			char label[32];
			size_t n = 0;

			if (!grouped(f) || (ka_options[f].kind == KA_KIND_MS && !e->groups[g].value[f]))
				continue;
			for (; column[n] && column[n] != '(' && n + 1 < sizeof label; n++)
				label[n] = (char)tolower((unsigned char)column[n]);
			label[n] = '\0';
			append(buf, len, &used, " %s=%ld", label, e->groups[g].value[f]);
		}
	}
}

/* Contract: the audit as a table, then a one-paragraph summary. With no
 * row, says whether that is the whole machine or only what @unreadable
 * processes (not readable by this user) left to see. */
static void print_audit_table(const struct audit_entry *entries, size_t n, size_t unreadable)
{
	static const char *const headers[] = {"PID", "COMMAND", "ESTABLISHED", "KEEPALIVE_OFF",
					      "KEEPALIVE_ON (sockets x settings, seconds)", NULL};
	struct ka_table t;
	size_t i, conns = 0, off = 0, procs_off = 0;
	char groups[512];

	ka_table_init(&t, headers, "rlrrl");
	for (i = 0; i < n; i++) {
		format_groups(&entries[i], groups, sizeof groups);
		ka_table_cell(&t, "%d", (int)entries[i].proc.pid);
		ka_table_cell(&t, "%s", entries[i].proc.comm);
		ka_table_cell(&t, "%zu", entries[i].established);
		ka_table_cell(&t, "%zu", entries[i].keepalive_off);
		ka_table_cell(&t, "%s", groups);
		conns += entries[i].established;
		off += entries[i].keepalive_off;
		procs_off += entries[i].keepalive_off > 0;
	}
	if (!n && unreadable) {
		printf("No established TCP connection in the processes that could be read; %zu could not be read.\n",
		       unreadable);
		return;
	}
	if (!n) {
		printf("No process has an established TCP connection.\n");
		return;
	}
	ka_table_print(&t);
	for (i = 0; i < n; i++)
		if (entries[i].kernel[0])
			printf("%d %s: keepalive from the kernel backend (kashim-bpf on %s)\n",
			       (int)entries[i].proc.pid, entries[i].proc.comm, entries[i].kernel);
	printf("\n%zu process%s with established TCP connections (%zu connection%s).\n", n,
	       n == 1 ? "" : "es", conns, conns == 1 ? "" : "s");
	if (procs_off)
		printf("Keepalive off: %zu process%s (%zu connection%s): run %s under kashim.\n",
		       procs_off, procs_off == 1 ? "" : "es", off, off == 1 ? "" : "s",
		       procs_off == 1 ? "it" : "them");
	else
		printf("Keepalive is on in all of them.\n");
}

/* Contract: the audit as one JSON document on stdout; @errors are the
 * processes that could not be read. */
static void print_audit_json(const struct audit_entry *entries, size_t n,
			     const struct ka_process *errors, size_t nerrors)
{
	size_t i, g, conns = 0, off = 0, procs_off = 0;

	fputs("{\"processes\": [", stdout);
	for (i = 0; i < n; i++) {
		const struct audit_entry *e = &entries[i];
		printf("%s\n  {\"pid\": %d, \"command\": ", i ? "," : "", (int)e->proc.pid);
		ka_json_string(e->proc.comm);
		printf(", \"established\": %zu, \"keepalive_off\": %zu, \"keepalive_on\": [",
		       e->established, e->keepalive_off);
		for (g = 0; g < e->ngroups; g++) {
			printf("%s{\"sockets\": %zu", g ? ", " : "", e->groups[g].sockets);
			for (int f = 0; f < KA_NFIELDS; f++)
				if (grouped(f))
					printf(", \"%s\": %ld", ka_options[f].name, e->groups[g].value[f]);
			putchar('}');
		}
		fputs("]", stdout);
		if (e->kernel[0]) {
			fputs(", \"kernel_backend\": ", stdout);
			ka_json_string(e->kernel);
		}
		fputs("}", stdout);
		conns += e->established;
		off += e->keepalive_off;
		procs_off += e->keepalive_off > 0;
	}
	printf("%s], \"summary\": {\"processes\": %zu, \"established\": %zu, "
	       "\"processes_with_keepalive_off\": %zu, \"keepalive_off\": %zu}, ",
	       n ? "\n" : "", n, conns, procs_off, off);
	ka_json_errors(errors, nerrors);
}

/* What the audit collects from /proc. */
struct audit {
	struct audit_entry *entries;    /* processes with established connections */
	size_t n, cap;
	struct ka_process *errors;      /* processes that could not be read */
	size_t nerrors, errcap;
	size_t denied;                  /* of which for want of permission */
};

/* Contract: reads process @pid into @a: an entry when it has established
 * connections, an error when it cannot be read (unless it exited meanwhile).
 * Returns 0, -1 when out of memory, or ENOSYS when no process can be read
 * here (said once on stderr). */
static int audit_process(struct audit *a, pid_t pid)
{
	struct audit_entry e;

	memset(&e, 0, sizeof e);
	if (ka_read_process(pid, &e.proc) < 0) {
		/* Without pidfd_getfd no process can be read: say it once. */
		if (e.proc.error == ENOSYS) {
			fprintf(stderr, "ka-status: %s\n", e.proc.error_text);
			return ENOSYS;
		}
		ka_process_free(&e.proc);
		/* Exited since the listing: not the operator's concern. */
		if (e.proc.error == ESRCH || e.proc.error == ENOENT)
			return 0;
		a->denied += e.proc.error == EPERM || e.proc.error == EACCES;
		return ka_array_push(&a->errors, &a->nerrors, &a->errcap, &e.proc, sizeof e.proc);
	}
	if (summarise(&e) < 0) {
		ka_process_free(&e.proc);
		return -1;
	}
	if (e.established > 0)
		ka_kernel_backend(e.proc.pid, e.kernel, sizeof e.kernel);
	if (e.established > 0 && ka_array_push(&a->entries, &a->n, &a->cap, &e, sizeof e) == 0)
		return 0;
	free(e.groups);
	ka_process_free(&e.proc);
	return e.established > 0 ? -1 : 0;
}

/* Contract: the processes that could not be read, on stderr: one line for
 * all the permission refusals, one per other failure. */
static void report_errors(const struct audit *a)
{
	if (a->denied)
		fprintf(stderr, "ka-status: %zu process%s could not be read (permission denied): "
			"run as root to audit every process\n", a->denied, a->denied == 1 ? "" : "es");
	for (size_t i = 0; i < a->nerrors; i++)
		if (a->errors[i].error != EPERM && a->errors[i].error != EACCES)
			fprintf(stderr, "ka-status: pid %d (%s): %s\n", (int)a->errors[i].pid,
				a->errors[i].comm, a->errors[i].error_text);
}

static void audit_free(struct audit *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->entries[i].groups);
		ka_process_free(&a->entries[i].proc);
	}
	free(a->entries);
	free(a->errors);
}

/* Contract: see ka_status.h. */
int ka_audit_all(bool json)
{
	struct audit a = {0};
	struct dirent *d;
	DIR *proc = opendir("/proc");
	int rc = 0;

	if (!proc) {
		fprintf(stderr, "ka-status: cannot list /proc: %s\n", strerror(errno));
		return 1;
	}
	while (rc == 0 && (d = readdir(proc)) != NULL) {
		if (isdigit((unsigned char)d->d_name[0]))
			rc = audit_process(&a, (pid_t)atoi(d->d_name));
	}
	closedir(proc);
	if (rc == 0) {
		qsort(a.entries, a.n, sizeof *a.entries, by_concern);
		if (json)
			print_audit_json(a.entries, a.n, a.errors, a.nerrors);
		else
			print_audit_table(a.entries, a.n, a.nerrors);
		report_errors(&a);
	} else if (rc < 0) {
		fputs("ka-status: out of memory\n", stderr);
	}
	audit_free(&a);
	return rc != 0 || a.nerrors ? 1 : 0;
}
