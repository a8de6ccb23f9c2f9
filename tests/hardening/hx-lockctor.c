/* SPDX-License-Identifier: MIT */
/*
 * libhx-lockctor.so - a library whose constructor, run by dlopen() under
 * ld.so's lock, does what hx-firstsock asks in its environment:
 *   HX_LOCK_CTOR="FD ADDRESS"  write a byte to FD, then take and release the
 *                              pthread mutex at ADDRESS (the program's lock);
 *   HX_RAISE_CTOR=1            raise SIGUSR1 (its handler runs inside dlopen);
 *   HX_KICK_CTOR=ADDRESS       send SIGUSR1 to the process (this thread blocks
 *                              it: another thread takes it), then wait until
 *                              the int at ADDRESS, set by the handler, is 1.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void hx_lockctor(void)
{
	const char *lock = getenv("HX_LOCK_CTOR"), *kick = getenv("HX_KICK_CTOR");
	void *mutex = NULL, *flag = NULL;
	int fd = -1;

	if (getenv("HX_RAISE_CTOR"))
		raise(SIGUSR1);
	if (kick && sscanf(kick, "%p", &flag) == 1) {
		sigset_t usr1;

		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		pthread_sigmask(SIG_BLOCK, &usr1, NULL);
		kill(getpid(), SIGUSR1);
		while (!__atomic_load_n((int *)flag, __ATOMIC_ACQUIRE))
			usleep(1000);
	}
	if (!lock || sscanf(lock, "%d %p", &fd, &mutex) != 2)
		return;
	if (write(fd, "x", 1) != 1)
		abort();
	pthread_mutex_lock(mutex);
	pthread_mutex_unlock(mutex);
}
