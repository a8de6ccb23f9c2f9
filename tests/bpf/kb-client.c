// SPDX-License-Identifier: MIT
/*
 * kb-client - a TCP client for tests/bpf: connects, reports the keepalive
 * options its socket has, then waits in recv() until the connection ends.
 * Linked statically for the tests (no preload reaches it) and also run
 * set-user-ID. With -U it makes its socket and connects through io_uring.
 *
 *   kb-client [-6] [-b on|off] [-a on|off] [-U] HOST PORT
 *     -b/-a  SO_KEEPALIVE set by the program itself before/after connect()
 *
 * Prints "connected HOST:PORT ka=K idle=I intvl=N cnt=C uto=U", then, when
 * recv() returns, "result ERRNAME|EOF SECONDS.SSS" (wall clock).
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
#include <sys/time.h>
#include <unistd.h>
#ifdef KB_URING
#include <liburing.h>
#endif

static int opt(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof v;

	getsockopt(fd, level, name, &v, &len);
	return v;
}

static void set_keepalive(int fd, const char *value)
{
	int on = !strcmp(value, "on");

	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) < 0) {
		perror("setsockopt");
		exit(1);
	}
}

#ifdef KB_URING
/* socket() and connect() as io_uring operations (Linux 5.19+). */
static int uring_connect(int family, const struct sockaddr *sa, socklen_t len, const char *before)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int fd, rc;

	if (io_uring_queue_init(4, &ring, 0) < 0) {
		perror("io_uring_queue_init");
		exit(1);
	}
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_socket(sqe, family, SOCK_STREAM, 0, 0);
	io_uring_submit(&ring);
	io_uring_wait_cqe(&ring, &cqe);
	fd = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	if (fd < 0) {
		fprintf(stderr, "io_uring socket: %s\n", strerror(-fd));
		exit(1);
	}
	if (before)
		set_keepalive(fd, before);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_connect(sqe, fd, sa, len);
	io_uring_submit(&ring);
	io_uring_wait_cqe(&ring, &cqe);
	rc = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	if (rc < 0) {
		fprintf(stderr, "io_uring connect: %s\n", strerror(-rc));
		exit(1);
	}
	return fd;
}
#endif

int main(int argc, char **argv)
{
	const char *before = NULL, *after = NULL;
	int family = AF_INET, c, fd, uring = 0;
	struct sockaddr_storage ss;
	socklen_t len;
	struct timeval tv;
	char buf[256];
	ssize_t n;

	while ((c = getopt(argc, argv, "6b:a:U")) != -1) {
		switch (c) {
		case '6':
			family = AF_INET6;
			break;
		case 'b':
			before = optarg;
			break;
		case 'a':
			after = optarg;
			break;
		case 'U':
			uring = 1;
			break;
		default:
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: kb-client [-6] [-b on|off] [-a on|off] [-U] HOST PORT\n");
		return 2;
	}
	memset(&ss, 0, sizeof ss);
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_port = htons((unsigned short)atoi(argv[optind + 1]));
		inet_pton(AF_INET, argv[optind], &in->sin_addr);
		len = sizeof *in;
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((unsigned short)atoi(argv[optind + 1]));
		inet_pton(AF_INET6, argv[optind], &in6->sin6_addr);
		len = sizeof *in6;
	}
	if (uring) {
#ifdef KB_URING
		fd = uring_connect(family, (struct sockaddr *)&ss, len, before);
#else
		fprintf(stderr, "kb-client: built without io_uring\n");
		return 2;
#endif
	} else {
		fd = socket(family, SOCK_STREAM, 0);
		if (fd < 0) {
			perror("socket");
			return 1;
		}
		if (before)
			set_keepalive(fd, before);
		if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
			perror("connect");
			return 1;
		}
	}
	if (after)
		set_keepalive(fd, after);
	printf("connected %s:%s ka=%d idle=%d intvl=%d cnt=%d uto=%d\n", argv[optind], argv[optind + 1],
	       opt(fd, SOL_SOCKET, SO_KEEPALIVE) != 0, opt(fd, IPPROTO_TCP, TCP_KEEPIDLE),
	       opt(fd, IPPROTO_TCP, TCP_KEEPINTVL), opt(fd, IPPROTO_TCP, TCP_KEEPCNT),
	       opt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT));
	fflush(stdout);
	n = recv(fd, buf, sizeof buf, 0);
	gettimeofday(&tv, NULL);
	printf("result %s %ld.%03ld\n", n < 0 ? strerrorname_np(errno) : n == 0 ? "EOF" : "DATA",
	       (long)tv.tv_sec, (long)tv.tv_usec / 1000);
	return 0;
}
