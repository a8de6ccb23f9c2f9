/* SPDX-License-Identifier: MIT */
/*
 * log.c - where kashim's diagnostics go: syslog by default, so nothing ever
 * reaches the host program's stdout/stderr (fd 2 may be a client socket or a
 * data file). KASHIM_LOG=stderr or KASHIM_LOG=/absolute/file opt in.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <unistd.h>

#include "kashim.h"

static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* Reads kashim_rt's log fields, which the initialising thread writes first
 * and nobody changes afterwards. */
static void emit(void *ctx, enum kashim_level level, const char *msg)
{
	const struct kashim_runtime *rt = &kashim_rt;
	char line[640];
	int saved_errno = errno;
	int len, fd;

	(void)ctx;
	if (level == KASHIM_LOG_DEBUG && !rt->debug)
		return;
	if (rt->log_dest == KASHIM_DEST_SYSLOG) {
		syslog(LOG_USER | (level == KASHIM_LOG_DEBUG ? LOG_DEBUG : LOG_WARNING), "kashim[%d] %s: %s",
		       (int)getpid(), rt->program, msg);
		errno = saved_errno;
		return;
	}
	len = snprintf(line, sizeof line, "kashim[%d] %s: %s\n", (int)getpid(), rt->program, msg);
	if (len < 0)
		goto out;
	if ((size_t)len >= sizeof line)
		len = sizeof line - 1;
	if (rt->log_dest == KASHIM_DEST_STDERR) {
		write_all(STDERR_FILENO, line, (size_t)len);
	} else {
		/* O_NONBLOCK: a FIFO nobody reads must not block the host
		 * (open would wait for a reader forever); the line is dropped. */
		fd = open(rt->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0644);
		if (fd >= 0) {
			write_all(fd, line, (size_t)len);
			close(fd);
		}
	}
out:
	errno = saved_errno;
}

const struct kashim_logger kashim_logger = {.write = emit, .ctx = NULL};

void kashim_log(enum kashim_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kashim_vlogf(&kashim_logger, level, fmt, ap);
	va_end(ap);
}
