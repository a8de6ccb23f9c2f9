/* SPDX-License-Identifier: MIT */
/*
 * kabench.c - the operations `make bench` measures, in a loop.
 *
 *   kabench [-m] [-t] [-w WARMUP] WORKLOAD N
 *
 * WORKLOAD is one of
 *   socket   socket(AF_INET, SOCK_STREAM, 0) + close
 *   connect  a loopback client socket + connect, the server's accept, both
 *            closes, all in this one process
 *   close    open("/dev/null") + close: what every close() of a file pays
 *            now that kashim interposes close()
 *   spawn    posix_spawn + waitpid of /bin/true (the child inherits the
 *            environment, LD_PRELOAD included)
 * -m makes the four keepalive setsockopt() calls itself on every TCP socket
 *    it creates (the "manual" variant: the floor any shim can reach);
 * -t prints the wall-clock nanoseconds per operation of the N operations;
 * -w runs WARMUP operations first, outside the timed loop (the first TCP
 *    socket under kashim reads the config: that is not a per-socket cost).
 *
 * Which library is preloaded is the caller's business (bench/run sets
 * LD_PRELOAD); this program does the same work under every variant.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int manual;            /* -m */
static int listener = -1;     /* connect workload: the server side */
static struct sockaddr_in server_addr;

static void die(const char *what)
{
	fprintf(stderr, "kabench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The four calls a program that wants keepalive makes itself, with the
 * values of kashim's defaults (and of bench/run's config). */
static void set_keepalive(int fd)
{
	static const struct {
		int level, name, value;
	} opts[] = {
		{SOL_SOCKET, SO_KEEPALIVE, 1},
		{IPPROTO_TCP, TCP_KEEPIDLE, 60},
		{IPPROTO_TCP, TCP_KEEPINTVL, 10},
		{IPPROTO_TCP, TCP_KEEPCNT, 5},
	};

	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
		if (setsockopt(fd, opts[i].level, opts[i].name, &opts[i].value, sizeof(int)) != 0)
			die("setsockopt");
}

/* A TCP socket, configured by hand under -m. */
static int tcp_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	if (manual)
		set_keepalive(fd);
	return fd;
}

static void op_socket(void)
{
	close(tcp_socket());
}

/* The listener for the connect workload, on 127.0.0.1 and an ephemeral
 * port. SO_LINGER {1, 0} is copied to every accepted socket, whose close()
 * then sends a RST: no TIME_WAIT piles up over thousands of connections, so
 * the last operation costs the kernel what the first did. Set once, here. */
static void setup_listener(void)
{
	struct linger abort_on_close = {.l_onoff = 1, .l_linger = 0};
	socklen_t len = sizeof server_addr;

	listener = tcp_socket();
	if (setsockopt(listener, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close) != 0)
		die("setsockopt SO_LINGER");
	server_addr.sin_family = AF_INET;
	server_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	server_addr.sin_port = 0;
	if (bind(listener, (struct sockaddr *)&server_addr, sizeof server_addr) != 0)
		die("bind");
	if (listen(listener, 64) != 0)
		die("listen");
	if (getsockname(listener, (struct sockaddr *)&server_addr, &len) != 0)
		die("getsockname");
}

/* On loopback the handshake completes inside connect(), so accept() finds
 * the connection queued and neither call blocks. */
static void op_connect(void)
{
	int client = tcp_socket();
	int accepted;

	if (connect(client, (struct sockaddr *)&server_addr, sizeof server_addr) != 0)
		die("connect");
	accepted = accept(listener, NULL, NULL);
	if (accepted < 0)
		die("accept");
	close(accepted);
	close(client);
}

static void op_close(void)
{
	int fd = open("/dev/null", O_RDONLY);

	if (fd < 0)
		die("open");
	close(fd);
}

static void op_spawn(void)
{
	char *argv[] = {"true", NULL};
	pid_t pid;
	int status;
	int err = posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ);

	if (err != 0) {
		errno = err;
		die("posix_spawn /bin/true");
	}
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "kabench: /bin/true did not exit 0 (status %#x)\n", status);
		exit(1);
	}
}

static long parse_count(const char *text, const char *what)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(text, &end, 10);
	if (errno || end == text || *end || n < 0) {
		fprintf(stderr, "kabench: %s must be a number >= 0, not \"%s\"\n", what, text);
		exit(2);
	}
	return n;
}

static void usage(void)
{
	fprintf(stderr, "usage: kabench [-m] [-t] [-w WARMUP] socket|connect|spawn N\n");
	exit(2);
}

int main(int argc, char **argv)
{
	void (*op)(void);
	long warmup = 0, n;
	int timed = 0, c;
	struct timespec start, end;

	while ((c = getopt(argc, argv, "mtw:")) != -1) {
		switch (c) {
		case 'm':
			manual = 1;
			break;
		case 't':
			timed = 1;
			break;
		case 'w':
			warmup = parse_count(optarg, "WARMUP");
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	if (!strcmp(argv[optind], "socket")) {
		op = op_socket;
	} else if (!strcmp(argv[optind], "connect")) {
		op = op_connect;
		setup_listener();
	} else if (!strcmp(argv[optind], "close")) {
		op = op_close;
	} else if (!strcmp(argv[optind], "spawn")) {
		op = op_spawn;
	} else {
		usage();
	}
	n = parse_count(argv[optind + 1], "N");

	for (long i = 0; i < warmup; i++)
		op();
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (long i = 0; i < n; i++)
		op();
	clock_gettime(CLOCK_MONOTONIC, &end);
	if (timed && n > 0)
		printf("%.1f\n", ((double)(end.tv_sec - start.tv_sec) * 1e9 +
				  (double)(end.tv_nsec - start.tv_nsec)) / (double)n);
	return 0;
}
