/* SPDX-License-Identifier: MIT */
/*
 * probe.c - a plain TCP client or server that reports what the kernel says
 * of its connected socket: "on IDLE" or "off IDLE" (SO_KEEPALIVE,
 * TCP_KEEPIDLE). Built for glibc and for musl (make MUSL=1), it is the
 * program kashim is preloaded into by tests/package/musl.t and the
 * container tests; it knows nothing of kashim.
 *
 *   probe listen PORTFILE [HOLD]  accept one connection on 127.0.0.1 (the
 *                                 port is written to PORTFILE), report
 *   probe connect PORT [HOLD]     connect to 127.0.0.1:PORT, report
 * then keep the socket open for HOLD seconds (default 0) and exit, so that
 * ka-status can read it from outside.
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static unsigned hold;

/* Print "on|off IDLE" for @fd, then hold it open; exit status 0 when it
 * could be read. */
static int report(int fd)
{
	int on = 0, idle = 0;
	socklen_t len = sizeof on;

	if (getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, &len) != 0 ||
	    getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, &(socklen_t){sizeof idle}) != 0) {
		perror("probe: getsockopt");
		return 1;
	}
	printf("%s %d\n", on ? "on" : "off", idle);
	fflush(stdout);
	sleep(hold);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sa;
	int fd, conn;

	if (argc < 3 || argc > 4 || (strcmp(argv[1], "listen") && strcmp(argv[1], "connect"))) {
		fputs("usage: probe listen PORTFILE [HOLD] | probe connect PORT [HOLD]\n", stderr);
		return 2;
	}
	if (argc == 4)
		hold = (unsigned)atoi(argv[3]);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0) {
		perror("probe: socket");
		return 1;
	}
	if (!strcmp(argv[1], "connect")) {
		sa.sin_port = htons((unsigned short)atoi(argv[2]));
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
			perror("probe: connect");
			return 1;
		}
		return report(fd);
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 1) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
		perror("probe: listen");
		return 1;
	}
	FILE *f = fopen(argv[2], "w");
	if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f) != 0) {
		perror(argv[2]);
		return 1;
	}
	conn = accept(fd, NULL, NULL);
	if (conn < 0) {
		perror("probe: accept");
		return 1;
	}
	return report(conn);
}
