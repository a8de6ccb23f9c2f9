/* SPDX-License-Identifier: MIT */
/*
 * hx-probe - make one TCP socket and print its keepalive options as the
 * kernel reports them, with whether the process runs in secure-execution
 * mode (AT_SECURE: setuid) so a test can show which mode it exercised:
 *   secure=0 keepalive=1 idle=60 interval=10 count=5 user_timeout=0
 * Exit status 0, or 2 if the socket cannot be made or read.
 */
#include "hx.h" /* first: it defines _GNU_SOURCE */

#include <sys/auxv.h>

int main(void)
{
	struct hx_ka ka;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		hx_die("socket");
	if (!hx_read_ka(fd, &ka))
		hx_die("getsockopt");
	printf("secure=%lu keepalive=%d idle=%d interval=%d count=%d user_timeout=%d\n",
	       getauxval(AT_SECURE), ka.keepalive, ka.idle, ka.interval, ka.count, ka.user_timeout);
	close(fd);
	return 0;
}
