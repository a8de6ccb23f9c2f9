/* SPDX-License-Identifier: MIT */
/*
 * hx-load - many concurrent connections on loopback.
 *
 *   hx-load server N ROUNDS IDLE
 *       Listens on 127.0.0.1 (port printed as "port P"), then ROUNDS times:
 *       accepts until it holds N connections at once, checks each accepted
 *       fd with getsockopt (SO_KEEPALIVE on, TCP_KEEPIDLE == IDLE), writes
 *       one byte on each (so the client knows all N are held), waits until
 *       the client closed them all, closes them and reports its own open fd
 *       count and VmRSS:
 *         round R held N configured C fds F rss_kb K
 *       A line "start fds F rss_kb K" comes first, after listening.
 *   hx-load client N ROUNDS PORT
 *       The load generator: per round, N non-blocking connections (at most
 *       512 in progress), from source address 127.0.0.(2 + round) so rounds
 *       never compete for ephemeral ports; waits for the server's byte on
 *       each, then closes them all. Prints "round R connected N".
 * Exit 0 when every round went through (the test judges the counts), 1 on a
 * timeout, 2 on a system error.
 */
#include "hx.h" /* first: it defines _GNU_SOURCE */

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>

/* This process's open fds, counted in /proc/self/fd (minus the dir's own). */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		hx_die("opendir /proc/self/fd");
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;
}

/* VmRSS of this process in KiB, from /proc/self/status. */
static long rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		hx_die("fopen /proc/self/status");
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int server(int n, int rounds, int idle)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof addr;
	int *conns = calloc((size_t)n, sizeof *conns);
	struct epoll_event ev, *events = calloc(1024, sizeof *events);
	int listener, ep;
	char byte = 'k';

	if (!conns || !events)
		hx_die("calloc");
	listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) ||
	    listen(listener, 4096) || getsockname(listener, (struct sockaddr *)&addr, &len))
		hx_die("listen");
	if ((ep = epoll_create1(0)) < 0)
		hx_die("epoll_create1");
	ev = (struct epoll_event){.events = EPOLLIN, .data.fd = -1};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev))
		hx_die("epoll_ctl");
	printf("port %d\nstart fds %d rss_kb %ld\n", ntohs(addr.sin_port), count_fds(), rss_kb());
	fflush(stdout);
	for (int r = 1; r <= rounds; r++) {
		int held = 0, configured = 0, open_conns;

		while (held < n) {
			int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

			if (fd < 0 && (errno == EAGAIN || errno == EINTR)) {
				if (epoll_wait(ep, events, 1, 10000) == 0) {
					printf("round %d: no connection for 10 s with %d held\n", r, held);
					return 1;
				}
				continue;
			}
			if (fd < 0)
				hx_die("accept4");
			configured += hx_configured(fd, idle);
			conns[held++] = fd;
		}
		/* All N are held at once: tell each client, then wait for EOFs. */
		for (int i = 0; i < n; i++) {
			if (write(conns[i], &byte, 1) != 1)
				hx_die("write");
			ev = (struct epoll_event){.events = EPOLLIN | EPOLLRDHUP, .data.fd = i};
			if (epoll_ctl(ep, EPOLL_CTL_ADD, conns[i], &ev))
				hx_die("epoll_ctl conn");
		}
		for (open_conns = n; open_conns > 0;) {
			int k = epoll_wait(ep, events, 1024, 10000);

			if (k <= 0) {
				printf("round %d: %d connections never closed\n", r, open_conns);
				return 1;
			}
			for (int j = 0; j < k; j++) {
				int i = events[j].data.fd;

				if (i < 0 || conns[i] < 0)
					continue; /* the listener: next round's clients, later */
				epoll_ctl(ep, EPOLL_CTL_DEL, conns[i], NULL);
				close(conns[i]);
				conns[i] = -1;
				open_conns--;
			}
		}
		printf("round %d held %d configured %d fds %d rss_kb %ld\n", r, held, configured, count_fds(),
		       rss_kb());
		fflush(stdout);
	}
	return 0;
}

/* Finish the connects in progress; returns how many completed. */
static int settle_connects(struct pollfd *pfds, int from, int to)
{
	int done = 0;

	for (int i = from; i < to; i++)
		pfds[i].events = POLLOUT;
	while (done < to - from) {
		if (poll(pfds + from, (nfds_t)(to - from), 10000) <= 0)
			hx_die("connect poll");
		for (int i = from; i < to; i++) {
			int err = 0;
			socklen_t len = sizeof err;

			if (!pfds[i].events || !pfds[i].revents)
				continue;
			if (getsockopt(pfds[i].fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
				errno = err;
				hx_die("connect");
			}
			pfds[i].events = 0;
			done++;
		}
	}
	return done;
}

static int client(int n, int rounds, int port)
{
	struct pollfd *pfds = calloc((size_t)n, sizeof *pfds);
	char byte;

	if (!pfds)
		hx_die("calloc");
	for (int r = 1; r <= rounds; r++) {
		struct sockaddr_in src = {.sin_family = AF_INET}, dst = {.sin_family = AF_INET};
		int connected = 0, got = 0, one = 1;

		src.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1 + (unsigned)r);
		dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		dst.sin_port = htons((unsigned short)port);
		for (int i = 0; i < n; i++) {
			int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

			if (fd < 0)
				hx_die("socket");
			/* The port is chosen at connect(), per destination. */
			setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
			if (bind(fd, (struct sockaddr *)&src, sizeof src))
				hx_die("bind");
			if (connect(fd, (struct sockaddr *)&dst, sizeof dst) && errno != EINPROGRESS)
				hx_die("connect");
			pfds[i].fd = fd;
			if ((i + 1) % 512 == 0 || i + 1 == n)
				connected += settle_connects(pfds, i + 1 - ((i % 512) + 1), i + 1);
		}
		/* One byte on every connection: the server held them all. */
		for (int i = 0; i < n; i++)
			pfds[i].events = POLLIN;
		while (got < n) {
			if (poll(pfds, (nfds_t)n, 10000) <= 0)
				hx_die("poll for the server's bytes");
			for (int i = 0; i < n; i++) {
				if (!pfds[i].events || !pfds[i].revents)
					continue;
				if (read(pfds[i].fd, &byte, 1) != 1)
					hx_die("read");
				pfds[i].events = 0;
				got++;
			}
		}
		for (int i = 0; i < n; i++)
			close(pfds[i].fd);
		printf("round %d connected %d\n", r, connected);
		fflush(stdout);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 0, rounds = argc > 3 ? atoi(argv[3]) : 0;

	hx_raise_nofile((rlim_t)n + 256);
	if (argc == 5 && !strcmp(argv[1], "server"))
		return server(n, rounds, atoi(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "client"))
		return client(n, rounds, atoi(argv[4]));
	fprintf(stderr, "usage: see the comment at the top of hx-load.c\n");
	return 2;
}
