/* SPDX-License-Identifier: MIT */
/*
 * hx-race WAIT N - sockets made while another thread reads the settings.
 *
 * A thread makes the first TCP socket, which reads the settings; the test
 * holds it there (strace delays its open of the compiled config). After
 * WAIT ms, 4 threads make N TCP sockets in all and connect them to a local
 * listener (made with raw system calls, unseen by the shim); on every other
 * one the program first sets SO_KEEPALIVE and TCP_KEEPIDLE = 777 itself.
 * Then the reader is joined. The config says idle 44, interval 7 (and may
 * have a destination rule no socket here matches). Prints:
 *   plain K/N chosen C/N
 * K: the sockets the program left alone that have keepalive 44/7; C: those
 * it chose for that have its 777 and kashim's interval 7.
 */
#include "hx.h" /* first: it defines _GNU_SOURCE */

#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>

#define THREADS 4

static struct sockaddr_in target = {.sin_family = AF_INET};
static int per_thread;
static int *fds;

static void *blocked(void *arg)
{
	(void)arg;
	if (socket(AF_INET, SOCK_STREAM, 0) < 0)
		hx_die("socket");
	return NULL;
}

static void *maker(void *arg)
{
	int *out = arg, on = 1, idle = 777;

	for (int i = 0; i < per_thread; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0)
			hx_die("socket");
		if (i % 2 && (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) != 0 ||
			      setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle) != 0))
			hx_die("setsockopt");
		if (connect(fd, (struct sockaddr *)&target, sizeof target) != 0)
			hx_die("connect");
		out[i] = fd;
	}
	return NULL;
}

/* A listener kashim does not see: raw system calls. */
static int raw_listener(void)
{
	socklen_t len = sizeof target;
	int fd = (int)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);

	target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || syscall(SYS_bind, fd, &target, sizeof target) != 0 || syscall(SYS_listen, fd, 4096) != 0 ||
	    syscall(SYS_getsockname, fd, &target, &len) != 0)
		hx_die("listener");
	return fd;
}

int main(int argc, char **argv)
{
	pthread_t reader, makers[THREADS];
	int plain = 0, chosen = 0, n, wait_ms;

	if (argc != 3)
		return 2;
	per_thread = atoi(argv[2]) / THREADS;
	n = per_thread * THREADS;
	hx_raise_nofile((rlim_t)n + 64);
	fds = calloc((size_t)n, sizeof *fds);
	raw_listener();
	if (!fds || pthread_create(&reader, NULL, blocked, NULL) != 0)
		hx_die("start");
	wait_ms = atoi(argv[1]);
	nanosleep(&(struct timespec){wait_ms / 1000, wait_ms % 1000 * 1000000L}, NULL);
	for (int t = 0; t < THREADS; t++)
		if (pthread_create(&makers[t], NULL, maker, fds + t * per_thread) != 0)
			hx_die("pthread_create");
	for (int t = 0; t < THREADS; t++)
		pthread_join(makers[t], NULL);
	pthread_join(reader, NULL);
	for (int i = 0; i < n; i++) {
		struct hx_ka ka;

		if (!hx_read_ka(fds[i], &ka))
			hx_die("getsockopt");
		if ((i % per_thread) % 2)
			chosen += ka.keepalive == 1 && ka.idle == 777 && ka.interval == 7;
		else
			plain += ka.keepalive == 1 && ka.idle == 44 && ka.interval == 7;
	}
	printf("plain %d/%d chosen %d/%d\n", plain, n / 2, chosen, n / 2);
	return 0;
}
