/* SPDX-License-Identifier: MIT */
/*
 * hx-raw - a TCP socket made with syscall(SYS_socket), bypassing libc's
 * socket() and so any preload, then connected through libc's connect() to
 * a listener on loopback. Prints the socket's SO_KEEPALIVE and TCP_KEEPIDLE
 * after each step, as the kernel reports them:
 *   made keepalive=K idle=I
 *   connected keepalive=K idle=I
 * Exit 0, or 2 on a system error.
 */
#include "hx.h" /* first: it defines _GNU_SOURCE */

#include <arpa/inet.h>
#include <sys/syscall.h>

static void show(const char *when, int fd)
{
	struct hx_ka ka;

	if (!hx_read_ka(fd, &ka))
		hx_die("getsockopt");
	printf("%s keepalive=%d idle=%d\n", when, ka.keepalive, ka.idle);
}

int main(void)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof addr;
	int listener = socket(AF_INET, SOCK_STREAM, 0);
	int fd = (int)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);

	if (listener < 0 || fd < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) ||
	    listen(listener, 1) || getsockname(listener, (struct sockaddr *)&addr, &len))
		hx_die("setup");
	show("made", fd);
	if (connect(fd, (struct sockaddr *)&addr, sizeof addr))
		hx_die("connect");
	show("connected", fd);
	return 0;
}
