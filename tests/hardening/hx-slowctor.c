/* SPDX-License-Identifier: MIT */
/*
 * libhx-slowctor.so - a library whose constructor makes a TCP socket while
 * ld.so's loader lock is held, as a plugin loaded with dlopen() may. Before
 * that it tells the main program (a byte on the fd in HX_SIGNAL_FD) and
 * waits 300 ms, so that the program's own first TCP socket is being set up
 * meanwhile (hx-host dlopen-race). The socket is left in hx_slowctor_fd.
 */
#include "hx.h" /* first: it defines _GNU_SOURCE */

__attribute__((visibility("default"))) int hx_slowctor_fd = -1;

__attribute__((constructor)) static void hx_slowctor(void)
{
	const char *sig = getenv("HX_SIGNAL_FD");

	if (sig && write(atoi(sig), "!", 1) != 1)
		return;
	usleep(300 * 1000);
	hx_slowctor_fd = socket(AF_INET, SOCK_STREAM, 0);
}
