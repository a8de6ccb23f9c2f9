/* SPDX-License-Identifier: MIT */
/*
 * accept-server.c - helper of tests/perf/accept.t: a TCP server that accepts
 * K connections on loopback and reports what they carry, and the client
 * that makes them.
 *
 *   accept-server listen K PORTFILE  make the listener itself (socket(),
 *                                    so kashim configures it), write its
 *                                    port to PORTFILE, accept K connections
 *   accept-server fd N K READYFILE Q accept K connections on the listening
 *                                    socket it inherited as fd N; create
 *                                    READYFILE after the Q-th (the Q
 *                                    connections queued before it started)
 *   accept-server connect PORT K     connect to 127.0.0.1:PORT K times
 *
 * The server's own calls are exactly two getsockopt() per connection
 * (SO_KEEPALIVE and TCP_KEEPIDLE, to report them) and no setsockopt() or
 * fcntl(), so that strace counts of those calls show what the preloaded
 * library adds. It ends with one line on stdout:
 *   accepted K keepalive N idle I
 * (N: connections with SO_KEEPALIVE on; I: TCP_KEEPIDLE of the last one).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "accept-server: %s: %s\n", what, strerror(errno));
	exit(1);
}

static long number(const char *text)
{
	char *end;
	long n = strtol(text, &end, 10);

	if (end == text || *end || n < 0 || n > 65535) {
		fprintf(stderr, "accept-server: bad number \"%s\"\n", text);
		exit(2);
	}
	return n;
}

/* A listener on 127.0.0.1 and an ephemeral port, written to @portfile. */
static int make_listener(const char *portfile)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof addr;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	FILE *f;

	if (fd < 0)
		die("socket");
	if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 128) != 0 ||
	    getsockname(fd, (struct sockaddr *)&addr, &len) != 0)
		die("bind/listen");
	f = fopen(portfile, "w");
	if (!f || fprintf(f, "%d\n", ntohs(addr.sin_port)) < 0 || fclose(f) != 0)
		die(portfile);
	return fd;
}

static int serve(int listener, long k, const char *readyfile, long ready_after)
{
	long with_keepalive = 0;
	int idle = -1;

	for (long i = 0; i < k; i++) {
		int on = 0;
		socklen_t len = sizeof on;
		int fd = accept(listener, NULL, NULL);

		if (fd < 0)
			die("accept");
		if (getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, &len) != 0)
			die("getsockopt SO_KEEPALIVE");
		len = sizeof idle;
		if (getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, &len) != 0)
			die("getsockopt TCP_KEEPIDLE");
		with_keepalive += on != 0;
		close(fd);
		if (i + 1 == ready_after && readyfile) {
			FILE *f = fopen(readyfile, "w");

			if (!f || fclose(f) != 0)
				die(readyfile);
		}
	}
	printf("accepted %ld keepalive %ld idle %d\n", k, with_keepalive, idle);
	return 0;
}

static int client(long port, long k)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	for (long i = 0; i < k; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0)
			die("connect");
		close(fd);
	}
	return 0;
}

int main(int argc, char **argv)
{
	/* A server whose client never comes must not hang the test suite. */
	alarm(30);
	if (argc == 4 && !strcmp(argv[1], "listen"))
		return serve(make_listener(argv[3]), number(argv[2]), NULL, 0);
	if (argc == 6 && !strcmp(argv[1], "fd"))
		return serve((int)number(argv[2]), number(argv[3]), argv[4], number(argv[5]));
	if (argc == 4 && !strcmp(argv[1], "connect"))
		return client(number(argv[2]), number(argv[3]));
	fprintf(stderr, "usage: accept-server listen K PORTFILE | fd N K READYFILE Q | connect PORT K\n");
	return 2;
}
