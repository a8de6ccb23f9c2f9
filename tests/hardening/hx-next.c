/* SPDX-License-Identifier: MIT */
/*
 * libhx-next.so - a preloaded library that interposes socket() as kashim
 * does (dlsym(RTLD_NEXT)) and counts the calls it sees; at exit it writes
 * "next-socket N" to stderr. Preloaded after kashim, it must see every
 * socket() the program makes: kashim passes them on to the next
 * definition, not straight to libc.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

static int calls;

__attribute__((visibility("default"))) int socket(int domain, int type, int protocol)
{
	static int (*next)(int, int, int);

	if (!next)
		next = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
	calls++;
	return next(domain, type, protocol);
}

__attribute__((destructor)) static void hx_next_report(void)
{
	char line[32];
	int n = snprintf(line, sizeof line, "next-socket %d\n", calls);

	if (write(2, line, (size_t)n) != n)
		return;
}
