/* SPDX-License-Identifier: MIT */
/*
 * hx-race FIFO N - sockets made while another thread reads the settings.
 *
 * KASHIM_CONFIG is FIFO, read by the stand-in config plugin
 * (libhx-slowconf.so): a thread's first socket() stays inside kashim's
 * initialisation until the FIFO gets its text. Meanwhile 4 threads make N
 * TCP sockets each and connect them to a local listener (made with raw
 * system calls, unseen by the shim); on every other one the program first
 * sets SO_KEEPALIVE and TCP_KEEPIDLE = 777 itself. Then the FIFO gets
 * "idle = 44 interval = 7" (and "rules = 1" when HX_RULES is set: the
 * plugin then adds a destination rule no socket here matches) and the
 * thread finishes. Prints:
 *   plain K/N chosen C/N
 * K: the sockets the program left alone that have keepalive 44/7; C: those
 * it chose for that have its 777 and kashim's interval 7. FIFO "-": the
 * control run, without the shim (nothing to wait for).
 */
#include "hx.h" /* first: it defines _GNU_SOURCE */

#include <fcntl.h>
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
	const char *text = getenv("HX_RULES") ? "idle = 44 interval = 7 rules = 1\n" : "idle = 44 interval = 7\n";
	int writer = -1, plain = 0, chosen = 0, n;

	if (argc != 3)
		return 2;
	per_thread = atoi(argv[2]) / THREADS;
	n = per_thread * THREADS;
	hx_raise_nofile((rlim_t)n + 64);
	fds = calloc((size_t)n, sizeof *fds);
	raw_listener();
	if (!fds || pthread_create(&reader, NULL, blocked, NULL) != 0)
		hx_die("start");
	/* The reader holds the FIFO open once it is inside the plugin. */
	for (int i = 0; i < 3000 && writer < 0 && strcmp(argv[1], "-"); i++) {
		writer = open(argv[1], O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (writer < 0)
			nanosleep(&(struct timespec){0, 1000000}, NULL);
	}
	if (writer < 0 && strcmp(argv[1], "-"))
		hx_die("the reader never opened the FIFO");
	for (int t = 0; t < THREADS; t++)
		if (pthread_create(&makers[t], NULL, maker, fds + t * per_thread) != 0)
			hx_die("pthread_create");
	for (int t = 0; t < THREADS; t++)
		pthread_join(makers[t], NULL);
	if (writer >= 0 && write(writer, text, strlen(text)) < 0)
		hx_die("write");
	if (writer >= 0)
		close(writer);
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
