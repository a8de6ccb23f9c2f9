/* SPDX-License-Identifier: MIT */
/*
 * main.c - ka-status: show the keepalive settings of the TCP sockets of
 * running processes, read from the live sockets.
 *
 *   ka-status [--json] PID...    every TCP socket of these processes
 *   ka-status [--json] --all     which processes have established
 *                                connections with keepalive off
 *   ka-status --apply [--yes] [--json] [--config FILE] PID...|--all
 *                                give their sockets kashim's settings
 *   ka-status --all --prometheus [--output FILE]
 *                                the audit as Prometheus metrics
 *
 * Exit status: 0 when everything asked for was read, 1 when some process
 * could not be read (the others are still printed), 2 for bad arguments;
 * --apply has its own (ka_status.h, ka-status(1)).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../config/kashim_settings.h"
#include "ka_status.h"

#ifndef KASHIM_VERSION
#define KASHIM_VERSION "unknown"
#endif

/* Contract: prints the usage text on @out. */
static void usage(FILE *out)
{
	fputs("usage: ka-status [--json] PID...\n"
	      "       ka-status [--json] --all\n"
	      "       ka-status --apply [--yes] [--json] [--config FILE] PID...|--all\n"
	      "       ka-status --all --prometheus [--output FILE]\n"
	      "\n"
	      "Show the keepalive settings of the TCP sockets of running processes, read\n"
	      "from the live sockets (pidfd_getfd + getsockopt; nothing is changed).\n"
	      "\n"
	      "  -a, --all       audit every process with established TCP connections:\n"
	      "                  how many have keepalive off, the settings of the rest\n"
	      "  -j, --json      print JSON instead of a table\n"
	      "      --apply     give the established and listening TCP sockets of these\n"
	      "                  processes (or --all) what kashim would, without\n"
	      "                  restarting them; a dry run unless --yes\n"
	      "  -y, --yes       with --apply: set the options (default: only show them)\n"
	      "  -c, --config FILE  with --apply: the keepalive.conf to follow (default\n"
	      "                  " KASHIM_SYSCONF_PATH ")\n"
	      "      --prometheus  with --all: print metrics in the Prometheus text format\n"
	      "  -o, --output FILE  with --prometheus: write FILE atomically (temp + rename)\n"
	      "      --max-programs N  with --prometheus: program names kept (default 500),\n"
	      "                  the rest counted as \"(other)\"\n"
	      "  -h, --help      show this help\n"
	      "  -V, --version   show the version\n"
	      "\n"
	      "Columns: IDLE, INTVL, CNT are TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT (the\n"
	      "kernel's defaults when the program never set them); USER_TIMEOUT is\n"
	      "TCP_USER_TIMEOUT in ms, 0 meaning the kernel's retransmission limit.\n"
	      "Reading another user's process needs root. Exit status: 0 all read,\n"
	      "1 some process could not be read, 2 bad arguments; with --apply also\n"
	      "3 permission denied, 4 no pidfd_getfd in this kernel, 5 no such process.\n",
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

/* What the command line asks for. */
struct args {
	bool all, json, apply, yes, prometheus;
	const char *config, *output;
	long max_programs;              /* 0: not given */
};

/* Contract: the options given together that do not go together: a usage
 * error (status 2), or 0. */
static int check_combination(const struct args *a)
{
	if ((a->yes || a->config) && !a->apply)
		return bad_usage(a->yes ? "--yes goes with --apply" : "--config goes with --apply",
				 NULL);
	if (a->apply && a->prometheus)
		return bad_usage("--prometheus does not go with --apply", NULL);
	if (a->prometheus && (!a->all || a->json))
		return bad_usage(a->json ? "--prometheus does not go with --json"
					 : "--prometheus goes with --all", NULL);
	if ((a->output || a->max_programs) && !a->prometheus)
		return bad_usage(a->output ? "--output goes with --prometheus"
					   : "--max-programs goes with --prometheus", NULL);
	return 0;
}

/* Contract: parses the options into @a; returns -1 to go on, or the exit
 * status (help, version, usage error). */
static int parse_options(int argc, char **argv, struct args *a)
{
	enum { OPT_APPLY = 256, OPT_PROMETHEUS, OPT_MAX_PROGRAMS };
	static const struct option longopts[] = {
		{"all", no_argument, NULL, 'a'},     {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},    {"version", no_argument, NULL, 'V'},
		{"apply", no_argument, NULL, OPT_APPLY}, {"yes", no_argument, NULL, 'y'},
		{"config", required_argument, NULL, 'c'},
		{"prometheus", no_argument, NULL, OPT_PROMETHEUS},
		{"output", required_argument, NULL, 'o'},
		{"max-programs", required_argument, NULL, OPT_MAX_PROGRAMS},
		{NULL, 0, NULL, 0},
	};
	int opt;

	opterr = 0; /* our own messages, with the usage hint */
	while ((opt = getopt_long(argc, argv, ":ajhVyc:o:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			a->all = true;
			break;
		case 'j':
			a->json = true;
			break;
		case OPT_APPLY:
			a->apply = true;
			break;
		case 'y':
			a->yes = true;
			break;
		case 'c':
			a->config = optarg;
			break;
		case OPT_PROMETHEUS:
			a->prometheus = true;
			break;
		case 'o':
			a->output = optarg;
			break;
		case OPT_MAX_PROGRAMS:
			if (!kashim_parse_number(optarg, 1, 100000, &a->max_programs))
				return bad_usage("--max-programs takes a number from 1 to 100000",
						 optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("ka-status (kashim) %s\n", KASHIM_VERSION);
			return 0;
		case ':':
			return bad_usage("option needs a value", argv[optind - 1]);
		default:
			return bad_usage("unknown option", argv[optind - 1]);
		}
	}
	return -1;
}

/* Contract: parses the command line (see the file comment) and runs. */
int main(int argc, char **argv)
{
	struct args a = {0};
	int i, status;
	size_t npids;

	if ((status = parse_options(argc, argv, &a)) >= 0 || (status = check_combination(&a)))
		return status;
	if (a.all && optind < argc)
		return bad_usage("--all takes no PID", argv[optind]);
	if (!a.all && optind == argc)
		return bad_usage("no PID given (or use --all)", NULL);
	for (i = optind; i < argc; i++) {
		pid_t pid;
		if (!parse_pid(argv[i], &pid))
			return bad_usage("not a process id", argv[i]);
	}
	npids = (size_t)(argc - optind);
	if (a.apply)
		status = ka_apply(argv + optind, npids, a.all, a.config, a.yes, a.json);
	else if (a.prometheus)
		status = ka_prometheus(a.output, a.max_programs ? (size_t)a.max_programs
								: KA_PROM_MAX_PROGRAMS);
	else
		status = a.all ? ka_audit_all(a.json)
			       : show_processes(argv + optind, npids, a.json);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "ka-status: cannot write output: %s\n", strerror(errno));
		return 1;
	}
	return status;
}
