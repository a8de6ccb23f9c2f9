/* SPDX-License-Identifier: MIT */
/*
 * hx-threads THREADS SOCKETS IDLE - THREADS threads wait at a barrier, then
 * each makes SOCKETS TCP sockets at once: these are the process's very first
 * sockets, so every thread races into kashim's one-time initialisation.
 * Once every thread has made its sockets (a second barrier), each socket is
 * connect()ed (to a loopback port nobody listens on) and checked with
 * getsockopt (SO_KEEPALIVE on, TCP_KEEPIDLE == IDLE): kashim never makes a
 * thread wait for the one reading its settings; sockets made meanwhile are
 * configured by that thread as soon as it is done, or, beyond the few
 * hundred it notes, by connect(). Sockets stay open until then, so fds are
 * not reused.
 * Prints "sockets N configured M" and exits 0 when all N were configured,
 * 1 otherwise, 2 on a system error.
 */
#include "hx.h" /* first: it defines _GNU_SOURCE */

#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>

static pthread_barrier_t start_line, made_line;
static int sockets_per_thread, want_idle;
static atomic_int made, configured;
static struct sockaddr_in nobody; /* a loopback port with no listener */

/* One racer: wait for the others, then make and check its sockets. */
static void *racer(void *arg)
{
	int *fds = calloc((size_t)sockets_per_thread, sizeof *fds);

	(void)arg;
	if (!fds)
		hx_die("calloc");
	pthread_barrier_wait(&start_line);
	for (int i = 0; i < sockets_per_thread; i++) {
		fds[i] = socket(i % 2 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fds[i] < 0)
			hx_die("socket");
		atomic_fetch_add(&made, 1);
	}
	pthread_barrier_wait(&made_line);
	for (int i = 0; i < sockets_per_thread; i++) {
		const struct sockaddr *to = (const struct sockaddr *)&nobody;

		if (i % 2) { /* an IPv6 socket connects to ::ffff:127.0.0.1 */
			struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_port = nobody.sin_port};

			inet_pton(AF_INET6, "::ffff:127.0.0.1", &v6.sin6_addr);
			connect(fds[i], (const struct sockaddr *)&v6, sizeof v6);
		} else {
			connect(fds[i], to, sizeof nobody);
		}
	}
	for (int i = 0; i < sockets_per_thread; i++)
		if (hx_configured(fds[i], want_idle))
			atomic_fetch_add(&configured, 1);
	for (int i = 0; i < sockets_per_thread; i++)
		close(fds[i]);
	free(fds);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads;
	pthread_t *tids;

	if (argc != 4)
		return fprintf(stderr, "usage: hx-threads THREADS SOCKETS IDLE\n"), 2;
	threads = atoi(argv[1]);
	sockets_per_thread = atoi(argv[2]);
	want_idle = atoi(argv[3]);
	hx_raise_nofile((rlim_t)threads * (rlim_t)sockets_per_thread + 64);
	/* A free port, found with a socket kashim never sees (raw syscall),
	 * so that the racers' sockets are still the process's first. */
	{
		socklen_t len = sizeof nobody;
		int probe = (int)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);

		nobody.sin_family = AF_INET;
		nobody.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (probe < 0 || bind(probe, (struct sockaddr *)&nobody, sizeof nobody) != 0 ||
		    getsockname(probe, (struct sockaddr *)&nobody, &len) != 0)
			hx_die("free port");
		syscall(SYS_close, probe);
	}
	tids = calloc((size_t)threads, sizeof *tids);
	if (!tids || pthread_barrier_init(&start_line, NULL, (unsigned)threads) ||
	    pthread_barrier_init(&made_line, NULL, (unsigned)threads))
		hx_die("setup");
	for (int i = 0; i < threads; i++)
		if ((errno = pthread_create(&tids[i], NULL, racer, NULL)))
			hx_die("pthread_create");
	for (int i = 0; i < threads; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	printf("sockets %d configured %d\n", atomic_load(&made), atomic_load(&configured));
	return atomic_load(&configured) == atomic_load(&made) ? 0 : 1;
}
