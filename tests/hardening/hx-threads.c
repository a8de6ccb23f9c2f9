/* SPDX-License-Identifier: MIT */
/*
 * hx-threads THREADS SOCKETS IDLE - THREADS threads wait at a barrier, then
 * each makes SOCKETS TCP sockets at once: these are the process's very first
 * sockets, so every thread races into kashim's one-time initialisation.
 * Each socket is checked with getsockopt (SO_KEEPALIVE on, TCP_KEEPIDLE ==
 * IDLE) and kept open until the thread is done, so fds are not reused.
 * Prints "sockets N configured M" and exits 0 when all N were configured,
 * 1 otherwise, 2 on a system error.
 */
#include "hx.h" /* first: it defines _GNU_SOURCE */

#include <pthread.h>
#include <stdatomic.h>

static pthread_barrier_t start_line;
static int sockets_per_thread, want_idle;
static atomic_int made, configured;

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
		if (hx_configured(fds[i], want_idle))
			atomic_fetch_add(&configured, 1);
	}
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
	tids = calloc((size_t)threads, sizeof *tids);
	if (!tids || pthread_barrier_init(&start_line, NULL, (unsigned)threads))
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
