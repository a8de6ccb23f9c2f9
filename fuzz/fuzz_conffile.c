/* SPDX-License-Identifier: MIT */
/*
 * fuzz_conffile.c - libFuzzer target for the config loader,
 * kashim_conffile_load() (config/conffile.c over libconfuse).
 *
 * Each input is written to a file in /dev/shm and loaded as keepalive.conf.
 * Beyond "no crash, no sanitizer report, no exit()", the loader's contract
 * is checked on every input, so a silent wrong answer is a finding too:
 *  - APPLIED: every value is inside the kernel's range, nothing was logged;
 *  - INVALID: the settings are exactly what they were, and at least one
 *    message was logged, each naming the file;
 *  - MISSING never happens (the file exists);
 *  - nothing reaches stdout (flex's default rule ECHOes to it): stdout is
 *    pointed at a file in /dev/shm that must stay empty.
 * Built two ways by mk/hardening.mk: with clang -fsanitize=fuzzer for
 * `make fuzz`, and with fuzz/replay.c's main() for `make check`, which
 * replays fuzz/regressions/ and the corpus.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../config/conffile.h"

static char conf_path[64];
static int stdout_capture = -1;

/* Counts messages and remembers whether each one named the file. */
struct fuzz_log {
	int count;
	int without_path;
};

static void fuzz_log_write(void *ctx, enum kashim_level level, const char *msg)
{
	struct fuzz_log *l = ctx;

	(void)level;
	l->count++;
	if (!strstr(msg, conf_path))
		l->without_path++;
}

/* Abort with a reason: libFuzzer and the replay driver report it. */
static void violated(const char *what)
{
	fprintf(stderr, "contract violated: %s\n", what);
	abort();
}

static void check_ranges(const struct kashim_settings *s)
{
	if (s->idle < 1 || s->idle > KASHIM_IDLE_MAX)
		violated("idle out of range after APPLIED");
	if (s->interval < 1 || s->interval > KASHIM_INTERVAL_MAX)
		violated("interval out of range after APPLIED");
	if (s->count < 1 || s->count > KASHIM_COUNT_MAX)
		violated("count out of range after APPLIED");
	if (s->user_timeout < 0 || s->user_timeout > KASHIM_USER_TIMEOUT_MAX)
		violated("user_timeout out of range after APPLIED");
}

/* Write @size bytes to conf_path, replacing what was there. */
static void write_input(const uint8_t *data, size_t size)
{
	int fd;

	if (!conf_path[0])
		snprintf(conf_path, sizeof conf_path, "/dev/shm/kashim-fuzz-%d.conf", (int)getpid());
	fd = open(conf_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		violated("cannot write the input file");
	while (size > 0) {
		ssize_t n = write(fd, data, size);

		if (n <= 0)
			violated("short write of the input file");
		data += n;
		size -= (size_t)n;
	}
	close(fd);
}

/* Point stdout at an unlinked file so that anything written to it can be
 * seen (libFuzzer itself only writes to stderr). */
static void capture_stdout(void)
{
	char path[64];

	snprintf(path, sizeof path, "/dev/shm/kashim-fuzz-%d.out", (int)getpid());
	stdout_capture = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (stdout_capture < 0)
		violated("cannot create the stdout capture");
	unlink(path);
	fflush(stdout);
	dup2(stdout_capture, STDOUT_FILENO);
}

/* Contract: loads one input as a config file and checks the loader's
 * promises; returns 0, or aborts on a violation. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_log log = {0};
	struct kashim_logger logger = {.write = fuzz_log_write, .ctx = &log};
	struct kashim_settings before, s;
	enum kashim_conf_result r;

	if (stdout_capture < 0)
		capture_stdout();
	write_input(data, size);
	kashim_settings_defaults(&s);
	before = s;
	/* Program names that the example's sections and glob titles can match. */
	r = kashim_conffile_load(conf_path, "redis-server", "legacy_app", &s, &logger);
	switch (r) {
	case KASHIM_CONF_APPLIED:
		check_ranges(&s);
		if (log.count)
			violated("file applied although problems were logged");
		break;
	case KASHIM_CONF_INVALID:
		if (memcmp(&before, &s, sizeof s))
			violated("settings changed although the file was refused");
		if (log.count == 0)
			violated("file refused without a message");
		if (log.without_path)
			violated("a message does not name the file");
		break;
	default:
		violated("unexpected result (MISSING for a file that exists?)");
	}
	fflush(stdout);
	if (lseek(STDOUT_FILENO, 0, SEEK_END) > 0)
		violated("the loader wrote to stdout");
	unlink(conf_path);
	return 0;
}
