// SPDX-License-Identifier: MIT
/*
 * kernel.c - ka-status --all: does a process's cgroup (or an ancestor) have
 * a kashim-bpf attachment? Read from /proc/PID/cgroup, the cgroup2 mount
 * and the links kashim-bpf pins in bpffs (one directory per cgroup id), so
 * ka-status needs no libbpf; an exempt attachment (keepalive = false) is
 * told apart by reading its settings map with the bpf() system call.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../bpf/kashim_bpf.h"
#include "ka_status.h"

#define KA_PINS "/sys/fs/bpf/kashim"

/* Contract: the cgroup2 mount point into @buf; false when none. */
static bool cgroup2_mount(char *buf, size_t len)
{
	FILE *f = fopen("/proc/mounts", "re");
	char dir[4096], type[64], line[8192];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof line, f))
		if (sscanf(line, "%*s %4095s %63s", dir, type) == 2 && !strcmp(type, "cgroup2")) {
			snprintf(buf, len, "%s", dir);
			found = true;
		}
	fclose(f);
	return found;
}

/* Contract: true when the attachment pinned in @dir is exempt (its
 * settings say keepalive = false); false when it configures or is unreadable. */
static bool attachment_exempt(const char *dir)
{
	char path[600];
	union bpf_attr attr;
	struct kashim_bpf_conf conf;
	uint32_t key = 0;
	int fd;
	bool exempt = false;

	snprintf(path, sizeof path, "%s/data", dir);
	memset(&attr, 0, sizeof attr);
	attr.pathname = (uint64_t)(uintptr_t)path;
	fd = (int)syscall(SYS_bpf, BPF_OBJ_GET, &attr, sizeof attr);
	if (fd < 0)
		return false;
	memset(&attr, 0, sizeof attr);
	attr.map_fd = (uint32_t)fd;
	attr.key = (uint64_t)(uintptr_t)&key;
	attr.value = (uint64_t)(uintptr_t)&conf;
	if (syscall(SYS_bpf, BPF_MAP_LOOKUP_ELEM, &attr, sizeof attr) == 0)
		exempt = !conf.keepalive;
	close(fd);
	return exempt;
}

/* Contract: the id of the BPF object pinned at @path (0 when none). */
static uint32_t pinned_prog_id(const char *path)
{
	union bpf_attr attr;
	struct bpf_prog_info info;
	int fd;

	memset(&attr, 0, sizeof attr);
	attr.pathname = (uint64_t)(uintptr_t)path;
	if ((fd = (int)syscall(SYS_bpf, BPF_OBJ_GET, &attr, sizeof attr)) < 0)
		return 0;
	memset(&info, 0, sizeof info);
	memset(&attr, 0, sizeof attr);
	attr.info.bpf_fd = (uint32_t)fd;
	attr.info.info_len = sizeof info;
	attr.info.info = (uint64_t)(uintptr_t)&info;
	if (syscall(SYS_bpf, BPF_OBJ_GET_INFO_BY_FD, &attr, sizeof attr) < 0)
		info.id = 0;
	close(fd);
	return info.id;
}

/* Contract: true when the sock_ops program kashim-bpf pinned for a systemd
 * unit (BPFProgram=) is attached to cgroup @cg itself; its directory in
 * @pins. */
static bool unit_attached(const char *cg, char *pins, size_t len)
{
	uint32_t ids[64], cnt = 64, id;
	union bpf_attr attr;
	DIR *d;
	struct dirent *e;
	int fd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool found = false;

	if (fd < 0)
		return false;
	memset(&attr, 0, sizeof attr);
	attr.query.target_fd = (uint32_t)fd;
	attr.query.attach_type = BPF_CGROUP_SOCK_OPS;
	attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
	attr.query.prog_cnt = cnt;
	if (syscall(SYS_bpf, BPF_PROG_QUERY, &attr, sizeof attr) < 0)
		attr.query.prog_cnt = 0;
	close(fd);
	cnt = attr.query.prog_cnt < 64 ? attr.query.prog_cnt : 64;
	if (!cnt || !(d = opendir(KA_PINS "/unit")))
		return false;
	while (!found && (e = readdir(d))) {
		char path[600];

		if (e->d_name[0] == '.')
			continue;
		snprintf(pins, len, KA_PINS "/unit/%s", e->d_name);
		snprintf(path, sizeof path, "%s/sock_ops", pins);
		id = pinned_prog_id(path);
		for (uint32_t i = 0; id && i < cnt && !found; i++)
			found = ids[i] == id;
	}
	closedir(d);
	return found;
}

/* Contract: see ka_status.h. */
bool ka_kernel_backend(pid_t pid, char *buf, size_t len)
{
	char path[4096], mount[4096], line[4096], cg[8192], pins[600];
	struct stat st;
	FILE *f;
	bool have = false;

	if (access(KA_PINS, F_OK) != 0 || !cgroup2_mount(mount, sizeof mount))
		return false;
	snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
	if (!(f = fopen(path, "re")))
		return false;
	while (!have && fgets(line, sizeof line, f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(cg, sizeof cg, "%s%s", mount, line + 3);
			have = true;
		}
	fclose(f);
	/* The deepest attached cgroup decides, as in the kernel. */
	while (have) {
		char *slash;

		if (stat(cg, &st) == 0) {
			snprintf(pins, sizeof pins, KA_PINS "/%llu", (unsigned long long)st.st_ino);
			snprintf(path, sizeof path, "%s/sock_ops", pins);
			if (access(path, F_OK) == 0 || unit_attached(cg, pins, sizeof pins)) {
				snprintf(buf, len, "%s%s", attachment_exempt(pins) ? "exempt by " : "", cg);
				return true;
			}
		}
		if (strlen(cg) <= strlen(mount) || !(slash = strrchr(cg, '/')))
			break;
		*slash = '\0';
	}
	return false;
}
