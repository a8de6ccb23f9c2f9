/* SPDX-License-Identifier: MIT */
/*
 * libhx-ctor.so - a preloaded library whose constructor makes a TCP socket,
 * as some instrumentation libraries do, possibly before kashim's code ever
 * ran. The constructor writes what the kernel says about that socket to the
 * file named by HX_CTOR_OUT: "ctor keepalive=K idle=I".
 */
#include "hx.h" /* first: it defines _GNU_SOURCE */

#include <fcntl.h>

__attribute__((constructor)) static void hx_ctor_makes_a_socket(void)
{
	const char *out = getenv("HX_CTOR_OUT");
	struct hx_ka ka = {-1, -1, -1, -1, -1};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	FILE *f;

	if (fd >= 0) {
		hx_read_ka(fd, &ka);
		close(fd);
	}
	if (out && (f = fopen(out, "w"))) {
		fprintf(f, "ctor keepalive=%d idle=%d\n", ka.keepalive, ka.idle);
		fclose(f);
	}
}
