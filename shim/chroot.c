/* SPDX-License-Identifier: MIT */
/*
 * chroot.c - a program that changes its root before its first TCP socket
 * (a daemon that confines itself) still gets its program section: the
 * settings are decided here, while the config file, its compiled form and
 * /proc/self/exe are still where they were, and then libc's chroot() runs.
 * A process that never makes a TCP socket pays that reading once, at its
 * chroot(); a program that execs inside the new root starts over there.
 */
#define _GNU_SOURCE
#include <errno.h>

#include "kashim.h"

KASHIM_EXPORT int chroot(const char *path)
{
	int (*real)(const char *) = KASHIM_REAL(real_chroot, "chroot");

	/* Settles the settings (errno kept); NULL while another thread reads
	 * them, which it does now, before this root changes. */
	(void)kashim_runtime();
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	return real(path);
}
