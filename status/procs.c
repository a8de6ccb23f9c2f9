/* SPDX-License-Identifier: MIT */
/*
 * procs.c - every process of the machine, as /proc lists them: what
 * --apply --all and --prometheus walk. A process that exits meanwhile is
 * the visitor's concern (its reads fail with ESRCH or ENOENT).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ka_status.h"

/* Contract: see ka_status.h. */
int ka_each_pid(int (*fn)(void *ctx, pid_t pid), void *ctx)
{
	DIR *proc = opendir("/proc");
	struct dirent *d;
	int rc = 0;

	if (!proc) {
		fprintf(stderr, "ka-status: cannot list /proc: %s\n", strerror(errno));
		return -1;
	}
	while (rc == 0 && (d = readdir(proc)) != NULL) {
		char *end;
		long pid = strtol(d->d_name, &end, 10);

		if (isdigit((unsigned char)d->d_name[0]) && *end == '\0' && pid > 0)
			rc = fn(ctx, (pid_t)pid);
	}
	closedir(proc);
	return rc;
}
