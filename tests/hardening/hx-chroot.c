/* SPDX-License-Identifier: MIT */
/*
 * hx-chroot [DIR] - change the root to DIR (when given) and only then make
 * the first TCP socket, printing its keepalive options as the kernel
 * reports them:
 *   chroot=1 keepalive=1 idle=29 interval=10 count=5
 * A daemon that confines itself before it serves does the same. Exit 2 if
 * chroot, socket or getsockopt fails.
 */
#include "hx.h" /* first: it defines _GNU_SOURCE */

int main(int argc, char **argv)
{
	struct hx_ka ka;
	int fd;

	if (argc > 1 && (chroot(argv[1]) != 0 || chdir("/") != 0))
		hx_die("chroot");
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		hx_die("socket");
	if (!hx_read_ka(fd, &ka))
		hx_die("getsockopt");
	printf("chroot=%d keepalive=%d idle=%d interval=%d count=%d\n", argc > 1, ka.keepalive, ka.idle,
	       ka.interval, ka.count);
	close(fd);
	return 0;
}
