// SPDX-License-Identifier: MIT
/*
 * pinroot.c - where kashim-bpf pins, and whether it may: the bpffs (default
 * /sys/fs/bpf, KASHIM_BPF_FS to name another) must be one the system keeps
 * (mounted in the mount namespace of PID 1: a bpffs mounted only in a
 * private namespace vanishes with it, and its links with it; and mounted
 * by kashim-bpf only when PID 1 is the machine's init, not a container's),
 * and the pin
 * root KB_PIN_ROOT must be root's own: a directory (not a symlink), owned
 * by root, mode 0700, checked on every use. On a bpffs mounted with mode
 * 1777 a user who made it first could otherwise move or swap root's
 * attachments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader.h"

/* Contract: see loader.h. */
const char *kb_bpffs(void)
{
	const char *dir = getenv("KASHIM_BPF_FS");

	return dir && dir[0] == '/' ? dir : "/sys/fs/bpf";
}

/* Contract: kb_bpffs()/@what, kept in @buf. */
static const char *below(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "%s/%s", kb_bpffs(), what);
	return buf;
}

/* Contract: see loader.h. */
const char *kb_pin_root(void)
{
	static char buf[4200];

	return below(buf, sizeof buf, "kashim");
}

/* Contract: see loader.h. */
const char *kb_pin_sk_state(void)
{
	static char buf[4200];

	return below(buf, sizeof buf, "kashim/sk_state");
}

/* Contract: see loader.h. */
const char *kb_pin_units(void)
{
	static char buf[4200];

	return below(buf, sizeof buf, "kashim/unit");
}

/* Contract: the device (major:minor) of the bpffs mounted at @dir in the
 * mountinfo file @file into @dev, or with @dir NULL whether any bpffs
 * there has device @dev. False when none (or unreadable: *@readable). */
static bool mountinfo_bpf(const char *file, const char *dir, char *dev, size_t len, bool *readable)
{
	FILE *f = fopen(file, "re");
	char line[8192], d[64], point[4096], type[64];
	bool found = false;

	*readable = f != NULL;
	while (f && !found && fgets(line, sizeof line, f)) {
		char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%*s %*s %63s %*s %4095s", d, point) != 2 ||
		    sscanf(sep + 3, "%63s", type) != 1 || strcmp(type, "bpf"))
			continue;
		if (dir && !strcmp(point, dir)) {
			snprintf(dev, len, "%s", d);
			found = true;
		} else if (!dir && !strcmp(d, dev)) {
			found = true;
		}
	}
	if (f)
		fclose(f);
	return found;
}

/* Contract: true when this process is in the mount namespace of PID 1. */
static bool host_mount_ns(void)
{
	struct stat a, b;

	return stat("/proc/self/ns/mnt", &a) == 0 && stat("/proc/1/ns/mnt", &b) == 0 && a.st_ino == b.st_ino &&
	       a.st_dev == b.st_dev;
}

/* The inode of the initial PID namespace: a constant of the kernel's ABI
 * (PROC_PID_INIT_INO, include/linux/proc_ns.h, since Linux 3.8). */
#define KB_INIT_PID_NS_INO 0xEFFFFFFCu

/* Contract: true when this process's PID 1 is the machine's init, not that
 * of a container (a PID namespace of its own, where PID 1 and this
 * process may share a mount namespace that dies with the container). */
static bool initial_pid_ns(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) == 0 && st.st_ino == KB_INIT_PID_NS_INO;
}

/* Contract: KB_EXIT_OK when a bpffs that outlives this process's mount
 * namespace is mounted at kb_bpffs() (mounted here in PID 1's namespace
 * when missing); else one line and KB_EXIT_REFUSED. */
static int bpffs_ready(void)
{
	const char *fs = kb_bpffs();
	char dev[64];
	bool readable;

	if (!mountinfo_bpf("/proc/self/mountinfo", fs, dev, sizeof dev, &readable)) {
		if (!host_mount_ns()) {
			kb_err("no bpffs at %s in this mount namespace, and one mounted here would vanish with "
			       "the namespace, taking its attachments; refused (run kashim-bpf in the host's "
			       "mount namespace, or bind the host's bpffs here)", fs);
			return KB_EXIT_REFUSED;
		}
		if (!initial_pid_ns()) {
			kb_err("no bpffs at %s, and this is a container (a PID namespace of its own): one "
			       "mounted here would vanish with the container, taking its attachments; refused "
			       "(bind the host's bpffs: podman -v /sys/fs/bpf:/sys/fs/bpf, a hostPath volume)", fs);
			return KB_EXIT_REFUSED;
		}
		if (mount("bpf", fs, "bpf", 0, "mode=0700") < 0) {
			kb_err("cannot mount bpffs at %s: %s", fs, strerror(errno));
			return KB_EXIT_REFUSED;
		}
		return KB_EXIT_OK;
	}
	if (!host_mount_ns() && !mountinfo_bpf("/proc/1/mountinfo", NULL, dev, sizeof dev, &readable) &&
	    readable) {
		kb_err("the bpffs at %s exists only in this mount namespace: its pins would vanish with it, "
		       "taking the attachments; refused (use the host's bpffs)", fs);
		return KB_EXIT_REFUSED;
	}
	return KB_EXIT_OK;
}

/* Contract: KB_EXIT_OK when @dir is a directory, not a symlink, owned by
 * this (root) user, with no access for group or others; else one line. */
static int own_dir(const char *dir)
{
	struct stat st;

	if (lstat(dir, &st) < 0) {
		kb_err("cannot read %s: %s", dir, strerror(errno));
		return KB_EXIT_REFUSED;
	}
	if (S_ISDIR(st.st_mode) && st.st_uid == geteuid() && !(st.st_mode & 077))
		return KB_EXIT_OK;
	kb_err("%s is not kashim-bpf's own: %s, owner uid %u, mode %04o (it must be a directory of root's, "
	       "mode 0700); refused: someone else may have made it, check it and remove it", dir,
	       S_ISLNK(st.st_mode) ? "a symbolic link" : S_ISDIR(st.st_mode) ? "a directory" : "not a directory",
	       (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	return KB_EXIT_REFUSED;
}

/* Contract: see loader.h. */
int kb_pins_prepare(void)
{
	int rc;

	kb_libbpf_init();
	if ((rc = bpffs_ready()) != KB_EXIT_OK)
		return rc;
	if (mkdir(kb_pin_root(), 0700) < 0 && errno != EEXIST) {
		kb_err("cannot create %s: %s", kb_pin_root(), strerror(errno));
		return KB_EXIT_REFUSED;
	}
	return own_dir(kb_pin_root());
}
