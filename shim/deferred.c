/* SPDX-License-Identifier: MIT */
/*
 * deferred.c - one buffer for what the load-time constructors have to say.
 *
 * At load the shim must not write: the messages (a bad KASHIM_* or KEEP*
 * variable, a KASHIM_CONFIG file parsed at load) are said at the process's
 * first TCP socket, by the first reading of the settings. A process that
 * never makes one (a shell, a wrapper started with the same variables)
 * says nothing, or every command of a shell script would repeat them.
 */
#include <string.h>

#include "deferred.h"
#include "log.h"

/* NUL-separated, in the order made. In .data, not .bss, although it
 * starts as zeros (as load.c's storage and fdstate.c's map): .bss past the
 * last page of .data costs every process an anonymous mmap(). */
__attribute__((section(".data.kashim_deferred"))) static char deferred[4096];
static unsigned deferred_len, deferred_lost;

static void defer(void *ctx, enum kashim_level level, const char *msg)
{
	size_t n = strlen(msg) + 1;

	(void)ctx, (void)level;
	if (n > sizeof deferred - deferred_len) {
		deferred_lost++;
		return;
	}
	/* memmove, not memcpy: memcpy would bind GLIBC_2.14, checked by ld.so
	 * in every process (make bench, spawn). */
	memmove(deferred + deferred_len, msg, n);
	deferred_len += (unsigned)n;
}

const struct kashim_logger kashim_deferred_logger = {.write = defer, .ctx = NULL};

void kashim_deferred_report(void)
{
	for (unsigned at = 0; at < deferred_len; at += (unsigned)strlen(deferred + at) + 1)
		kashim_log(KASHIM_LOG_WARN, "%s", deferred + at);
	if (deferred_lost)
		kashim_log(KASHIM_LOG_WARN, "%u more messages from loading (environment, config file) not shown",
			   deferred_lost);
}
