/* SPDX-License-Identifier: MIT */
/*
 * prometheus.c - ka-status --all --prometheus: the audit of --all as
 * metrics in the Prometheus text exposition format (version 0.0.4), the
 * format node_exporter's textfile collector reads:
 *
 *   kashim_tcp_connections{program, keepalive, configured_by}
 *   kashim_processes_read, kashim_processes_unreadable{reason}
 *   kashim_scrape_duration_seconds
 *
 * Series are per program name (the process's comm, at most 15 bytes), never
 * per pid, and at most --max-programs names (KA_PROM_MAX_PROGRAMS by
 * default), in /proc's order, are kept: the rest are counted under
 * program="(other)", so a host with many programs cannot flood the
 * time-series database.
 *
 * configured_by says who turned keepalive on: "preload" when libkashim.so
 * is mapped in the process, else "kernel" when a kashim-bpf attachment
 * (not an exempt one) covers its cgroup, else "program" (the program
 * itself, or ka-status --apply); "nobody" for connections without keepalive.
 * Under the preload with override off, a socket the program configured
 * itself counts as "preload": from outside the two cannot be told apart.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ka_status.h"

#define KA_PROM_OTHER "(other)"

enum who { WHO_PRELOAD, WHO_KERNEL, WHO_PROGRAM, WHO_NOBODY };
static const char *const who_names[] = {"preload", "kernel", "program", "nobody"};

enum reason { WHY_PERMISSION, WHY_NO_PIDFD_GETFD, WHY_OTHER, WHY_N };
static const char *const reason_names[] = {"permission", "no_pidfd_getfd", "other"};

/* One series of kashim_tcp_connections. */
struct series {
	char program[KA_COMM_LEN];
	bool keepalive;
	enum who who;
	size_t connections;
};

/* What one scrape collects. */
struct scrape {
	struct series *series;
	size_t n, cap;
	size_t programs;             /* distinct names among the series */
	size_t max_programs;         /* names kept before "(other)" */
	size_t read;                 /* processes read */
	size_t unreadable[WHY_N];
	bool said_nosys;
};

/* Contract: true when libkashim.so is mapped in process @pid. */
static bool preloaded(pid_t pid)
{
	char path[64], line[4096];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
	if (!(f = fopen(path, "re")))
		return false;
	while (!found && fgets(line, sizeof line, f)) {
		size_t len = strcspn(line, "\n");

		line[len] = '\0';
		found = len >= 13 && !strcmp(line + len - 13, "/libkashim.so");
	}
	fclose(f);
	return found;
}

/* Contract: who turned keepalive on in process @pid (see the file comment). */
static enum who configured_by(pid_t pid)
{
	char cgroup[512];

	if (preloaded(pid))
		return WHO_PRELOAD;
	if (ka_kernel_backend(pid, cgroup, sizeof cgroup) && strncmp(cgroup, "exempt by ", 10))
		return WHO_KERNEL;
	return WHO_PROGRAM;
}

/* Contract: true when a series of program @name exists. */
static bool known_program(const struct scrape *sc, const char *name)
{
	for (size_t i = 0; i < sc->n; i++)
		if (!strcmp(sc->series[i].program, name))
			return true;
	return false;
}

/* Contract: adds @count connections to the series (@name, @on, @who),
 * creating it; returns -1 when out of memory. */
static int add(struct scrape *sc, const char *name, bool on, enum who who, size_t count)
{
	struct series s = {.keepalive = on, .who = who, .connections = count};

	if (!count)
		return 0;
	if (!known_program(sc, name)) {
		if (sc->programs >= sc->max_programs)
			name = KA_PROM_OTHER;
		if (!known_program(sc, name))
			sc->programs++;
	}
	for (size_t i = 0; i < sc->n; i++) {
		struct series *x = &sc->series[i];

		if (!strcmp(x->program, name) && x->keepalive == on && x->who == who) {
			x->connections += count;
			return 0;
		}
	}
	snprintf(s.program, sizeof s.program, "%s", name);
	return ka_array_push(&sc->series, &sc->n, &sc->cap, &s, sizeof s);
}

/* Contract: counts a process that could not be read for @err. */
static void count_unreadable(struct scrape *sc, int err, const char *text)
{
	if (err == EPERM || err == EACCES) {
		sc->unreadable[WHY_PERMISSION]++;
	} else if (err == ENOSYS) {
		sc->unreadable[WHY_NO_PIDFD_GETFD]++;
		if (!sc->said_nosys)
			fprintf(stderr, "ka-status: %s\n", text);
		sc->said_nosys = true;
	} else {
		sc->unreadable[WHY_OTHER]++;
	}
}

/* For ka_each_pid(): read one process into the scrape. */
static int scrape_one(void *ctx, pid_t pid)
{
	struct scrape *sc = ctx;
	struct ka_process proc;
	size_t on = 0, off = 0;
	int rc = 0;

	if (ka_read_process(pid, &proc) < 0) {
		/* Exited since the listing: not a failure to read. */
		if (proc.error != ESRCH && proc.error != ENOENT)
			count_unreadable(sc, proc.error, proc.error_text);
		ka_process_free(&proc);
		return 0;
	}
	sc->read++;
	for (size_t i = 0; i < proc.nsockets; i++) {
		if (proc.sockets[i].state != TCP_ESTABLISHED)
			continue;
		on += proc.sockets[i].value[KA_F_KEEPALIVE] != 0;
		off += proc.sockets[i].value[KA_F_KEEPALIVE] == 0;
	}
	if ((on && add(sc, proc.comm, true, configured_by(pid), on) < 0) ||
	    add(sc, proc.comm, false, WHO_NOBODY, off) < 0) {
		fputs("ka-status: out of memory\n", stderr);
		rc = -1;
	}
	ka_process_free(&proc);
	return rc;
}

/* Contract: the length of the well-formed UTF-8 sequence at @p (RFC 3629:
 * no overlong form, no surrogate, nothing above U+10FFFF), 0 when there is
 * none. Reads no further than a NUL. */
static size_t utf8_sequence(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (*p < 0x80)
		return 1;
	if (*p >= 0xc2 && *p <= 0xdf) {
		n = 2;
	} else if (*p >= 0xe0 && *p <= 0xef) {
		n = 3;
		lo = *p == 0xe0 ? 0xa0 : lo;
		hi = *p == 0xed ? 0x9f : hi;
	} else if (*p >= 0xf0 && *p <= 0xf4) {
		n = 4;
		lo = *p == 0xf0 ? 0x90 : lo;
		hi = *p == 0xf4 ? 0x8f : hi;
	} else {
		return 0;
	}
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* Contract: @s as a label value: backslash, double quote and newline
 * escaped as the format requires; bytes that are not UTF-8 (a comm cut
 * in the middle of a character) become U+FFFD, as label values must be UTF-8. */
static void label_value(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = utf8_sequence(p);

		if (n == 0) {
			fputs("\xef\xbf\xbd", out);
			p++;
		} else if (*p == '\\' || *p == '"') {
			fprintf(out, "\\%c", *p++);
		} else if (*p == '\n') {
			fputs("\\n", out);
			p++;
		} else {
			fwrite(p, 1, n, out);
			p += n;
		}
	}
}

/* Series order: by program, keepalive on first, then by who. */
static int by_labels(const void *a, const void *b)
{
	const struct series *x = a, *y = b;
	int c = strcmp(x->program, y->program);

	if (c)
		return c;
	if (x->keepalive != y->keepalive)
		return x->keepalive ? -1 : 1;
	return (int)x->who - (int)y->who;
}

/* Contract: the scrape as metrics on @out, with HELP and TYPE lines. */
static void print_metrics(FILE *out, struct scrape *sc, double seconds)
{
	fputs("# HELP kashim_tcp_connections Established TCP and MPTCP connections, by program "
	      "name, keepalive on or off, and who turned keepalive on (preload, kernel, program, "
	      "nobody).\n# TYPE kashim_tcp_connections gauge\n", out);
	qsort(sc->series, sc->n, sizeof *sc->series, by_labels);
	for (size_t i = 0; i < sc->n; i++) {
		fputs("kashim_tcp_connections{program=\"", out);
		label_value(out, sc->series[i].program);
		fprintf(out, "\",keepalive=\"%s\",configured_by=\"%s\"} %zu\n",
			sc->series[i].keepalive ? "on" : "off", who_names[sc->series[i].who],
			sc->series[i].connections);
	}
	fprintf(out, "# HELP kashim_processes_read Processes whose sockets ka-status read.\n"
		"# TYPE kashim_processes_read gauge\nkashim_processes_read %zu\n", sc->read);
	fputs("# HELP kashim_processes_unreadable Processes whose sockets could not be read, by "
	      "reason.\n# TYPE kashim_processes_unreadable gauge\n", out);
	for (int r = 0; r < WHY_N; r++)
		fprintf(out, "kashim_processes_unreadable{reason=\"%s\"} %zu\n", reason_names[r],
			sc->unreadable[r]);
	fprintf(out, "# HELP kashim_scrape_duration_seconds Time ka-status took to read every "
		"process.\n# TYPE kashim_scrape_duration_seconds gauge\n"
		"kashim_scrape_duration_seconds %.6f\n", seconds);
}

/* Contract: the metrics in @path, replaced in one rename() so a reader
 * never sees half a file; the temporary file (beside it, not named *.prom,
 * which the textfile collector skips) is removed on failure. 0 or 1. */
static int write_atomically(const char *path, struct scrape *sc, double seconds)
{
	char *tmp;
	FILE *f = NULL;
	bool created;
	int fd;

	if (asprintf(&tmp, "%s.XXXXXX", path) < 0) {
		fputs("ka-status: out of memory\n", stderr);
		return 1;
	}
	fd = mkstemp(tmp);
	created = fd >= 0;
	if (fd < 0 || fchmod(fd, 0644) != 0 || !(f = fdopen(fd, "w"))) {
		fprintf(stderr, "ka-status: --output: cannot create %s: %s\n", tmp,
			strerror(errno));
		goto fail;
	}
	print_metrics(f, sc, seconds);
	if (fflush(f) != 0 || ferror(f) || fsync(fd) != 0) {
		fprintf(stderr, "ka-status: --output: cannot write %s: %s\n", tmp, strerror(errno));
		goto fail;
	}
	fclose(f);
	f = NULL;
	fd = -1;
	if (rename(tmp, path) != 0) {
		fprintf(stderr, "ka-status: --output: cannot rename %s to %s: %s\n", tmp, path,
			strerror(errno));
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	if (f)
		fclose(f);
	else if (fd >= 0)
		close(fd);
	if (created)
		unlink(tmp);
	free(tmp);
	return 1;
}

/* Contract: see ka_status.h. */
int ka_prometheus(const char *output, size_t max_programs)
{
	struct scrape sc = {.max_programs = max_programs};
	struct timespec t0, t1;
	double seconds;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = ka_each_pid(scrape_one, &sc);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (rc == 0) {
		if (output)
			rc = write_atomically(output, &sc, seconds);
		else
			print_metrics(stdout, &sc, seconds);
	}
	free(sc.series);
	return rc ? 1 : 0;
}
