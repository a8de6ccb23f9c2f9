/* SPDX-License-Identifier: MIT */
/*
 * main.c - ka-status: show the keepalive settings of the TCP sockets of
 * running processes, read from the live sockets.
 *
 *   ka-status [--json] PID...    every TCP socket of these processes
 *   ka-status [--json] --all     which processes have established
 *                                connections with keepalive off
 *
 * Exit status: 0 when everything asked for was read, 1 when some process
 * could not be read (the others are still printed), 2 for bad arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ka_status.h"

#ifndef KASHIM_VERSION
#define KASHIM_VERSION "unknown"
#endif

/* Contract: prints the usage text on @out. */
static void usage(FILE *out)
{
	fputs("usage: ka-status [--json] PID...\n"
	      "       ka-status [--json] --all\n"
	      "\n"
	      "Show the keepalive settings of the TCP sockets of running processes, read\n"
	      "from the live sockets (pidfd_getfd + getsockopt; nothing is changed).\n"
	      "\n"
	      "  -a, --all       audit every process with established TCP connections:\n"
	      "                  how many have keepalive off, the settings of the rest\n"
	      "  -j, --json      print JSON instead of a table\n"
	      "  -h, --help      show this help\n"
	      "  -V, --version   show the version\n"
	      "\n"
	      "Columns: IDLE, INTVL, CNT are TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT (the\n"
	      "kernel's defaults when the program never set them); USER_TIMEOUT is\n"
	      "TCP_USER_TIMEOUT in ms, 0 meaning the kernel's retransmission limit.\n"
	      "Reading another user's process needs root. Exit status: 0 all read,\n"
	      "1 some process could not be read, 2 bad arguments.\n",
	      out);
}

/* Contract: reports a usage error on stderr and returns exit status 2. */
static int bad_usage(const char *what, const char *arg)
{
	if (arg)
		fprintf(stderr, "ka-status: %s: '%s'\n", what, arg);
	else
		fprintf(stderr, "ka-status: %s\n", what);
	fputs("Try 'ka-status --help'.\n", stderr);
	return 2;
}

/* Contract: true and *@pid set when @s is a whole decimal number in
 * 1..INT_MAX (no sign, no blanks, no trailing text). */
static bool parse_pid(const char *s, pid_t *pid)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 1 || v > INT_MAX)
		return false;
	*pid = (pid_t)v;
	return true;
}

/* Contract: reads the processes named in @pids (@n of them), prints them
 * as a table or JSON, and reports each unreadable one on stderr. Returns 0
 * when all were read, 1 otherwise. */
static int show_processes(char *const *pids, size_t n, bool json)
{
	struct ka_process *procs = calloc(n, sizeof *procs);
	size_t i;
	int status = 0;

	if (!procs) {
		fputs("ka-status: out of memory\n", stderr);
		return 1;
	}
	for (i = 0; i < n; i++) {
		pid_t pid = 0;
		parse_pid(pids[i], &pid); /* checked by main */
		if (ka_read_process(pid, &procs[i]) < 0) {
			fprintf(stderr, "ka-status: pid %d: %s\n", (int)pid, procs[i].error_text);
			status = 1;
		}
	}
	if (json)
		ka_print_json(procs, n);
	else
		ka_print_table(procs, n);
	for (i = 0; i < n; i++)
		ka_process_free(&procs[i]);
	free(procs);
	return status;
}

/* Contract: parses the command line (see the file comment) and runs. */
int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"all", no_argument, NULL, 'a'},     {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},    {"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	bool all = false, json = false;
	int opt, i, status;

	opterr = 0; /* our own messages, with the usage hint */
	while ((opt = getopt_long(argc, argv, "ajhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			all = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("ka-status (kashim) %s\n", KASHIM_VERSION);
			return 0;
		default:
			return bad_usage("unknown option", argv[optind - 1]);
		}
	}
	if (all && optind < argc)
		return bad_usage("--all takes no PID", argv[optind]);
	if (!all && optind == argc)
		return bad_usage("no PID given (or use --all)", NULL);
	for (i = optind; i < argc; i++) {
		pid_t pid;
		if (!parse_pid(argv[i], &pid))
			return bad_usage("not a process id", argv[i]);
	}
	status = all ? ka_audit_all(json) : show_processes(argv + optind, (size_t)(argc - optind), json);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "ka-status: cannot write output: %s\n", strerror(errno));
		return 1;
	}
	return status;
}
