// SPDX-License-Identifier: MIT
/*
 * cgroups.c - find the cgroup v2 hierarchy and resolve what the user names
 * (a directory, a path below the mount, a systemd unit) to one cgroup.
 * The mount point is read from /proc/mounts, never assumed: hybrid systems
 * mount cgroup2 at /sys/fs/cgroup/unified.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "loader.h"

#define CGROUP2_MAGIC 0x63677270

/* Undo /proc/mounts' octal escapes (\040 for a blank) in place. */
static void unescape_mount(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/* Contract: see loader.h. */
bool kb_cgroup2_mount(char *buf, size_t len, bool quiet)
{
	FILE *f = fopen("/proc/mounts", "re");
	char line[4096];
	bool found = false;

	if (!f) {
		if (!quiet)
			kb_err("cannot read /proc/mounts: %s", strerror(errno));
		return false;
	}
	while (!found && fgets(line, sizeof line, f)) {
		char *save, *dev = strtok_r(line, " ", &save);
		char *dir = dev ? strtok_r(NULL, " ", &save) : NULL;
		char *type = dir ? strtok_r(NULL, " ", &save) : NULL;

		if (type && !strcmp(type, "cgroup2")) {
			unescape_mount(dir);
			snprintf(buf, len, "%s", dir);
			found = true;
		}
	}
	fclose(f);
	if (!found && !quiet)
		kb_err("no cgroup v2 hierarchy is mounted (none in /proc/mounts); kashim-bpf needs cgroup2");
	return found;
}

/* Contract: see loader.h. */
bool kb_is_unit_name(const char *name)
{
	static const char *const suffixes[] = {".service", ".slice", ".scope", ".socket"};
	size_t n = strlen(name);

	if (strchr(name, '/'))
		return false;
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		size_t k = strlen(suffixes[i]);

		if (n > k && !strcmp(name + n - k, suffixes[i]))
			return true;
	}
	return false;
}

struct search {
	const char *name;
	int found;
	char first[4096], second[4096];
};

/* Depth-first search below @dir for directories called s->name. Cgroup
 * trees are shallow; the depth limit only guards against surprises. */
static void search_dir(const char *dir, struct search *s, int depth)
{
	DIR *d;
	struct dirent *e;

	if (depth > 16 || s->found > 1 || !(d = opendir(dir)))
		return;
	while ((e = readdir(d)) && s->found < 2) {
		char path[4096];

		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path)
			continue;
		if (!strcmp(e->d_name, s->name)) {
			snprintf(s->found ? s->second : s->first, sizeof s->first, "%s", path);
			s->found++;
			continue;
		}
		search_dir(path, s, depth + 1);
	}
	closedir(d);
}

/* Contract: see loader.h. */
int kb_cgroup_resolve(const char *name, struct kb_cgroup *cg, char *why, size_t len)
{
	char mount[4096], path[4096], real[PATH_MAX];
	struct statfs sfs;
	struct stat st;

	memset(cg, 0, sizeof *cg);
	if (!kb_cgroup2_mount(mount, sizeof mount, false))
		return KB_EXIT_REFUSED;
	if (!*name) {
		snprintf(why, len, "an empty cgroup name");
		return KB_EXIT_USAGE;
	}
	if (name[0] == '/') {
		snprintf(path, sizeof path, "%s", name);
	} else if (kb_is_unit_name(name)) {
		struct search s = {.name = name};

		search_dir(mount, &s, 0);
		if (s.found == 0) {
			cg->unit_not_found = true;
			snprintf(why, len, "no cgroup for unit %s under %s (is it running?)", name, mount);
			return KB_EXIT_USAGE;
		}
		if (s.found > 1) {
			snprintf(why, len, "unit %s is ambiguous: %.1000s and %.1000s; give the path", name,
				 s.first, s.second);
			return KB_EXIT_USAGE;
		}
		snprintf(path, sizeof path, "%s", s.first);
	} else {
		if ((size_t)snprintf(path, sizeof path, "%s/%s", mount, name) >= sizeof path) {
			snprintf(why, len, "cgroup name too long");
			return KB_EXIT_USAGE;
		}
	}
	if (!realpath(path, real) || stat(real, &st) < 0) {
		snprintf(why, len, "%.1000s: %s", path, strerror(errno));
		return KB_EXIT_USAGE;
	}
	if (!S_ISDIR(st.st_mode) || statfs(real, &sfs) < 0 || sfs.f_type != CGROUP2_MAGIC) {
		snprintf(why, len, "%.1000s is not a cgroup v2 directory (cgroup2 is mounted at %.1000s)", real,
			 mount);
		return KB_EXIT_USAGE;
	}
	snprintf(cg->path, sizeof cg->path, "%s", real);
	cg->id = st.st_ino;
	return KB_EXIT_OK;
}

/* Contract: see loader.h. */
bool kb_cgroup_by_id(uint64_t id, char *buf, size_t len)
{
	struct {
		struct file_handle fh;
		unsigned char id[sizeof(uint64_t)];
	} h;
	char mount[4096], link[64];
	int mfd, fd, mnt_id;
	ssize_t n;

	if (!kb_cgroup2_mount(mount, sizeof mount, true))
		return false;
	mfd = open(mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return false;
	/* cgroup2's file handles are the cgroup id (kernfs): the handle type
	 * is read from the mount's own. */
	h.fh.handle_bytes = sizeof h.id;
	if (name_to_handle_at(mfd, "", &h.fh, &mnt_id, AT_EMPTY_PATH) < 0) {
		close(mfd);
		return false;
	}
	memcpy(h.fh.f_handle, &id, sizeof id);
	fd = open_by_handle_at(mfd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(mfd);
	if (fd < 0)
		return false;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	n = readlink(link, buf, len - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return true;
}
