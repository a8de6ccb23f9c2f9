/* SPDX-License-Identifier: MIT */
/*
 * log.c - where kashim's diagnostics go: syslog by default, so nothing ever
 * reaches the host program's stdout/stderr (fd 2 may be a client socket or a
 * data file). KASHIM_LOG=stderr or KASHIM_LOG=/absolute/file opt in.
 *
 * Never through libc's syslog(): it keeps its /dev/log socket open on an fd
 * number between calls, and a program that closes its fds and reuses the
 * number would have its file written to, closed and replaced by glibc; it
 * also honours the program's openlog() (ident, LOG_PERROR copies to
 * stderr). Each message is one datagram on a socket opened and closed here,
 * and nothing is kept between calls. Messages are rare; the cost is not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "kashim.h"
#include "load.h"

/* Set once at load (load.c), read-only afterwards. */
static enum kashim_log_to log_to = KASHIM_TO_SYSLOG;
/* In .data, as load.c's storage: no anonymous mapping for .bss at start. */
__attribute__((section(".data.kashim_log"))) static char log_path[KASHIM_LOG_PATH_MAX];
static bool log_debug;

bool kashim_log_setup(enum kashim_log_to to, const char *path, bool debug)
{
	size_t n = 0;

	log_debug = debug;
	/* Copied without strlen() and memcpy(): their first call would cost a
	 * lazy binding in every process that sets KASHIM_LOG. */
	if (to == KASHIM_TO_FILE) {
		while (n < sizeof log_path && (log_path[n] = path[n]))
			n++;
		if (n == sizeof log_path) {
			log_path[0] = '\0';
			return false;
		}
	}
	log_to = to;
	return true;
}

bool kashim_log_debug(void)
{
	return log_debug;
}

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

/* True when @len more bytes fit in @fd under RLIMIT_FSIZE. A write that
 * starts at or past the limit gets SIGXFSZ, whose default action kills the
 * program; kashim must not change the program's signal state to avoid it,
 * so it does not write there: a line that does not fit whole is dropped.
 * (Another process appending between the check and the write can still
 * push the file over; kashim's own lines alone cannot.) A file without a
 * size (a FIFO, a terminal) has no limit. */
static bool fits_file_size_limit(int fd, size_t len)
{
	struct rlimit lim;
	off_t end;

	if (getrlimit(RLIMIT_FSIZE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY)
		return true;
	end = lseek(fd, 0, SEEK_END);
	if (end < 0)
		return true;
	return (rlim_t)end < lim.rlim_cur && lim.rlim_cur - (rlim_t)end >= len;
}

/* "Mmm dd hh:mm:ss" (RFC 3164) for @t, in UTC: local time would need the
 * time-zone lock, which a signal handler or a forked child may find held.
 * Syslog daemons stamp what arrives on /dev/log with their own time anyway
 * (journald always, rsyslog's imuxsock by default). */
static void rfc3164_time(time_t t, char out[16])
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	long days = (long)(t / 86400), secs = (long)(t % 86400);
	long era, doe, yoe, doy, mp, day, month;

	/* Civil date from days since 1970-01-01 (proleptic Gregorian). */
	days += 719468;
	era = days / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	day = doy - (153 * mp + 2) / 5 + 1;
	month = mp < 10 ? mp + 3 : mp - 9;
	snprintf(out, 16, "%.3s %2ld %02ld:%02ld:%02ld", months + 3 * (month - 1), day, secs / 3600,
		 secs / 60 % 60, secs % 60);
}

/* One message to /dev/log on a socket of its own (datagram, or stream
 * where the daemon listens on one), closed before returning. Never blocks:
 * a full or missing receiver loses the message. */
static void send_to_syslog(const char *line, size_t len)
{
	int (*make)(int, int, int) = KASHIM_REAL(real_socket, "socket");
	int (*conn)(int, const struct sockaddr *, socklen_t) = KASHIM_REAL(real_connect, "connect");
	int (*done)(int) = KASHIM_REAL(real_close, "close");
	struct sockaddr_un addr = {.sun_family = AF_UNIX, .sun_path = "/dev/log"};
	int fd;

	if (!make || !conn || !done)
		return;
	fd = make(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (conn(fd, (struct sockaddr *)&addr, sizeof addr) == 0) {
		send(fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	} else if (errno == EPROTOTYPE) {
		done(fd);
		fd = make(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		/* A stream daemon reads NUL-terminated messages. */
		if (fd >= 0 && conn(fd, (struct sockaddr *)&addr, sizeof addr) == 0)
			send(fd, line, len + 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	if (fd >= 0)
		done(fd);
}

/* The program's name in log lines: the basename of what runs, once the
 * settings are read (init.c), argv[0]'s before. */
static const char *program(void)
{
	return kashim_rt.program[0] ? kashim_rt.program : kashim_invocation_name();
}

static void emit(void *ctx, enum kashim_level level, const char *msg)
{
	char line[700];
	int saved_errno = errno;
	int len, fd;

	(void)ctx;
	if (level == KASHIM_LOG_DEBUG && !log_debug)
		return;
	if (log_to == KASHIM_TO_SYSLOG) {
		char stamp[16];

		/* time(), not clock_gettime(): the latter would make every
		 * process that preloads kashim check one more glibc symbol
		 * version (GLIBC_2.17) at start. */
		rfc3164_time(time(NULL), stamp);
		len = snprintf(line, sizeof line, "<%d>%s kashim[%d]: %s: %s",
			       LOG_USER | (level == KASHIM_LOG_DEBUG ? LOG_DEBUG : LOG_WARNING), stamp,
			       (int)getpid(), program(), msg);
		if (len >= 0)
			send_to_syslog(line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
		goto out;
	}
	len = snprintf(line, sizeof line, "kashim[%d] %s: %s\n", (int)getpid(), program(), msg);
	if (len < 0)
		goto out;
	if ((size_t)len >= sizeof line)
		len = sizeof line - 1;
	if (log_to == KASHIM_TO_STDERR) {
		write_all(STDERR_FILENO, line, (size_t)len);
	} else {
		/* O_NONBLOCK: a FIFO nobody reads must not block the host
		 * (open would wait for a reader forever); the line is dropped. */
		fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0644);
		if (fd >= 0) {
			if (fits_file_size_limit(fd, (size_t)len))
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
