/* SPDX-License-Identifier: MIT */
/*
 * output.c - print what sockets.c read: an aligned table for people, JSON
 * for scripts. Both show the same fields; JSON uses null where the table
 * shows "-".
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "ka_status.h"

/* Contract: see ka_status.h. Control characters and non-ASCII bytes are
 * escaped as \u00XX so the output stays valid JSON whatever a process calls
 * itself (comm is arbitrary bytes). */
void ka_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* Contract: an address as a JSON string, or null for "-" (not connected). */
static void json_address(const char *addr)
{
	if (strcmp(addr, "-") == 0)
		fputs("null", stdout);
	else
		ka_json_string(addr);
}

/* Contract: one socket as a JSON object, no trailing newline. */
static void json_socket(const struct ka_socket *s)
{
	printf("{\"fd\": %d, \"family\": \"%s\", \"protocol\": \"%s\", \"state\": \"%s\", \"local\": ",
	       s->fd, s->family == AF_INET6 ? "ipv6" : "ipv4", s->protocol == IPPROTO_MPTCP ? "mptcp" : "tcp",
	       ka_state_name(s->state));
	json_address(s->local);
	fputs(", \"remote\": ", stdout);
	json_address(s->remote);
	for (int f = 0; f < KA_NFIELDS; f++) {
		if (!ka_options[f].column)
			continue;
		printf(", \"%s\": ", ka_options[f].name);
		if (ka_options[f].kind == KA_KIND_BOOL)
			fputs(s->value[f] ? "true" : "false", stdout);
		else
			printf("%ld", s->value[f]);
	}
	putchar('}');
}

/* Contract: see ka_status.h. */
void ka_print_json(const struct ka_process *procs, size_t n)
{
	const char *sep = "";
	size_t i, j;

	fputs("{\"processes\": [", stdout);
	for (i = 0; i < n; i++) {
		if (procs[i].error)
			continue;
		printf("%s\n  {\"pid\": %d, \"command\": ", sep, (int)procs[i].pid);
		ka_json_string(procs[i].comm);
		fputs(", \"sockets\": [", stdout);
		for (j = 0; j < procs[i].nsockets; j++) {
			fputs(j ? ",\n    " : "\n    ", stdout);
			json_socket(&procs[i].sockets[j]);
		}
		fputs(procs[i].nsockets ? "\n  ]}" : "]}", stdout);
		sep = ",";
	}
	fputs(*sep ? "\n], " : "], ", stdout);
	ka_json_errors(procs, n);
}

/* Contract: see ka_status.h. */
void ka_json_errors(const struct ka_process *procs, size_t n)
{
	const char *sep = "";

	fputs("\"errors\": [", stdout);
	for (size_t i = 0; i < n; i++) {
		if (!procs[i].error)
			continue;
		printf("%s\n  {\"pid\": %d, \"error\": ", sep, (int)procs[i].pid);
		ka_json_string(procs[i].error_text);
		fputs("}", stdout);
		sep = ",";
	}
	puts(*sep ? "\n]}" : "]}");
}

/* Contract: see ka_status.h. Keepalive values are shown even when keepalive
 * is off: they are what the kernel would use (its sysctl defaults unless the
 * program set them), which tells the operator what turning it on would do. */
void ka_print_table(const struct ka_process *procs, size_t n)
{
	const char *headers[KA_TABLE_MAX_COLS + 1] = {"PID", "COMMAND", "FD", "PROTO", "STATE", "LOCAL",
						      "REMOTE"};
	char align[KA_TABLE_MAX_COLS + 1] = "rlrllll";
	size_t i, j, rows = 0, ncols = 7;
	struct ka_table t;

	_Static_assert(7 + KA_NFIELDS <= KA_TABLE_MAX_COLS, "a column for every setting");
	/* One column per setting a socket carries (config/fields.h). */
	for (int f = 0; f < KA_NFIELDS; f++) {
		if (!ka_options[f].column)
			continue;
		align[ncols] = ka_options[f].kind == KA_KIND_BOOL ? 'l' : 'r';
		headers[ncols++] = ka_options[f].column;
	}
	ka_table_init(&t, headers, align);
	for (i = 0; i < n; i++) {
		for (j = 0; !procs[i].error && j < procs[i].nsockets; j++) {
			const struct ka_socket *s = &procs[i].sockets[j];
			ka_table_cell(&t, "%d", (int)procs[i].pid);
			ka_table_cell(&t, "%s", procs[i].comm);
			ka_table_cell(&t, "%d", s->fd);
			ka_table_cell(&t, "%s", s->protocol == IPPROTO_MPTCP ? "mptcp" : "tcp");
			ka_table_cell(&t, "%s", ka_state_name(s->state));
			ka_table_cell(&t, "%s", s->local);
			ka_table_cell(&t, "%s", s->remote);
			for (int f = 0; f < KA_NFIELDS; f++) {
				if (!ka_options[f].column)
					continue;
				if (ka_options[f].kind == KA_KIND_BOOL)
					ka_table_cell(&t, "%s", s->value[f] ? "on" : "off");
				else
					ka_table_cell(&t, "%ld", s->value[f]);
			}
			rows++;
		}
	}
	/* No rows: no header either (nothing was allocated). */
	if (rows)
		ka_table_print(&t);
	for (i = 0; i < n; i++)
		if (!procs[i].error && procs[i].nsockets == 0)
			printf("%d (%s): no TCP sockets\n", (int)procs[i].pid, procs[i].comm);
}
