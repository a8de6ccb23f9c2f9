/* SPDX-License-Identifier: MIT */
/*
 * hx.h - shared by the hardening helper programs (tests/hardening/hx-*.c).
 * They know nothing of kashim: the shim reaches them through LD_PRELOAD,
 * exactly as it reaches any program, and they report what the kernel says
 * about their sockets (getsockopt), never what kashim claims.
 */
#ifndef HX_H
#define HX_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* The keepalive options of one socket, as the kernel reports them. */
struct hx_ka {
	int keepalive, idle, interval, count, user_timeout;
};

/* Print a message with errno's text and exit 2 (the tests' "broken" code). */
static inline void hx_die(const char *what)
{
	fprintf(stderr, "%s: %s\n", what, strerror(errno));
	exit(2);
}

/* Read @fd's keepalive options; false if any getsockopt fails. */
static inline bool hx_read_ka(int fd, struct hx_ka *ka)
{
	socklen_t len = sizeof(int);

	return getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &ka->keepalive, &len) == 0 &&
	       getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &ka->idle, &len) == 0 &&
	       getsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &ka->interval, &len) == 0 &&
	       getsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &ka->count, &len) == 0 &&
	       getsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ka->user_timeout, &len) == 0;
}

/* True when @fd has SO_KEEPALIVE on and the idle time @want_idle. */
static inline bool hx_configured(int fd, int want_idle)
{
	struct hx_ka ka;

	return hx_read_ka(fd, &ka) && ka.keepalive == 1 && ka.idle == want_idle;
}

/* Raise RLIMIT_NOFILE to at least @want (root may raise the hard limit). */
static inline void hx_raise_nofile(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		hx_die("getrlimit");
	if (rl.rlim_cur >= want)
		return;
	if (rl.rlim_max < want)
		rl.rlim_max = want;
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		hx_die("setrlimit RLIMIT_NOFILE");
}

#endif
