/* SPDX-License-Identifier: MIT */
/*
 * replay.c - main() for the fuzz target without libFuzzer: replays saved
 * inputs (fuzz/regressions/, fuzz/corpus/) through LLVMFuzzerTestOneInput,
 * so every input that once crashed the loader stays a test in `make check`.
 *
 * Usage: replay FILE...  Each input runs in a child process of its own, so
 * an exit(), abort() or crash in libconfuse is caught and named, and the
 * child's stdout and stderr must stay empty (the loader runs inside other
 * programs, which must never see its output). Prints one line per input,
 * "PASS fuzz-replay NAME" or "FAIL fuzz-replay NAME: why"; exits 1 if any
 * failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read all of @path into a malloc()ed buffer; NULL on error. */
static uint8_t *slurp(const char *path, size_t *size)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	*size = got;
	return buf;
}

/* Run one input in a child whose stdout/stderr go to a temporary file.
 * Returns NULL when it passed, else a static description of the failure. */
static const char *replay_one(const char *path)
{
	static char why[512];
	char out[4096] = "";
	char tmpl[] = "/tmp/kashim-replay-XXXXXX";
	int capture = mkstemp(tmpl);
	int status;
	ssize_t n;
	pid_t pid;

	if (capture < 0)
		return "cannot create a capture file";
	unlink(tmpl);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		size_t size = 0;
		uint8_t *data = slurp(path, &size);

		if (!data)
			_exit(99);
		dup2(capture, STDOUT_FILENO);
		dup2(capture, STDERR_FILENO);
		LLVMFuzzerTestOneInput(data, size);
		free(data);
		/* What the loader left in stdio buffers would reach the host's
		 * output at its exit: flush it into the capture. */
		fflush(NULL);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		close(capture);
		return "cannot run a child";
	}
	n = pread(capture, out, sizeof out - 1, 0);
	close(capture);
	out[n > 0 ? n : 0] = '\0';
	for (char *p = out; *p; p++)
		if (*p == '\n')
			*p = ' ';
	if (WIFSIGNALED(status))
		snprintf(why, sizeof why, "killed by signal %d: %.400s", WTERMSIG(status), out);
	else if (WEXITSTATUS(status) == 99)
		snprintf(why, sizeof why, "cannot read the input");
	else if (WEXITSTATUS(status) != 0)
		snprintf(why, sizeof why, "exited %d (exit() inside the loader?): %.400s",
			 WEXITSTATUS(status), out);
	else if (out[0])
		snprintf(why, sizeof why, "printed to stdout/stderr: %.400s", out);
	else
		return NULL;
	return why;
}

int main(int argc, char **argv)
{
	int failed = 0;

	for (int i = 1; i < argc; i++) {
		const char *name = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
		const char *why = replay_one(argv[i]);

		if (why) {
			printf("FAIL fuzz-replay %s: %s\n", name, why);
			failed++;
		} else {
			printf("PASS fuzz-replay %s\n", name);
		}
	}
	return failed > 0;
}
