// SPDX-License-Identifier: MIT
/*
 * neighbours.c - other BPF programs on the cgroups kashim-bpf attaches to.
 * The kernel's rules (kernel/bpf/cgroup.c): below a program attached
 * exclusively (no flag) nothing else may attach; a program attached with
 * BPF_F_ALLOW_OVERRIDE stops running for a descendant as soon as that
 * descendant has a program of its own of the same type, silently. So before
 * attaching, kashim-bpf looks at the cgroup and each ancestor and refuses
 * to evict anyone unless asked (--evict), and names the program that makes
 * the kernel refuse.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "loader.h"

#define KB_MAX_PROGS 64

static const struct {
	enum bpf_attach_type type;
	const char *name;
} kinds[] = {{BPF_CGROUP_SOCK_OPS, "sock_ops"}, {BPF_CGROUP_SETSOCKOPT, "cgroup/setsockopt"}};

/* Contract: "'NAME' (id N)" of program @id into @buf. */
static const char *prog_label(__u32 id, char *buf, size_t len)
{
	struct bpf_prog_info info;
	__u32 ilen = sizeof info;
	int fd = bpf_prog_get_fd_by_id(id);

	memset(&info, 0, sizeof info);
	if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &ilen) == 0 && info.name[0])
		snprintf(buf, len, "'%s' (id %u)", info.name, id);
	else
		snprintf(buf, len, "id %u", id);
	if (fd >= 0)
		close(fd);
	return buf;
}

/* Contract: the programs attached to the cgroup open as @fd itself
 * (@effective false) or in force for it (true); their count, 0 on error. */
static __u32 query(int fd, enum bpf_attach_type type, bool effective, __u32 *flags, __u32 *ids)
{
	__u32 cnt = KB_MAX_PROGS;

	*flags = 0;
	if (bpf_prog_query(fd, type, effective ? BPF_F_QUERY_EFFECTIVE : 0, flags, ids, &cnt) < 0)
		return 0;
	return cnt;
}

/* Contract: true when @id is among the @n @ids. */
static bool has_id(const __u32 *ids, __u32 n, __u32 id)
{
	for (__u32 i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* One cgroup directory @dir (the target when @self), for attach type @k:
 * KB_EXIT_REFUSED after one line when a program there forbids attaching
 * or would be evicted from @effective (the target's programs in force). */
static int check_one(const char *dir, const char *target, bool self, size_t k, const __u32 *effective,
		     __u32 neff, bool evict)
{
	__u32 ids[KB_MAX_PROGS], flags, n;
	char label[64];
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return KB_EXIT_OK;
	n = query(fd, kinds[k].type, false, &flags, ids);
	close(fd);
	if (!n || (flags & BPF_F_ALLOW_MULTI))
		return KB_EXIT_OK;
	prog_label(ids[0], label, sizeof label);
	if (self || !(flags & BPF_F_ALLOW_OVERRIDE)) {
		kb_err("cannot attach to %s: the %s program %s is attached to %s %s, so the kernel lets no "
		       "other program attach %s; refused", target, kinds[k].name, label, dir,
		       flags & BPF_F_ALLOW_OVERRIDE ? "with BPF_F_ALLOW_OVERRIDE" : "exclusively",
		       self ? "beside it" : "below it");
		return KB_EXIT_REFUSED;
	}
	if (evict || !has_id(effective, neff, ids[0]))
		return KB_EXIT_OK;
	kb_err("attaching to %s would stop the %s program %s, attached to %s with BPF_F_ALLOW_OVERRIDE, "
	       "from running for it; refused (--evict to attach anyway)", target, kinds[k].name, label, dir);
	return KB_EXIT_REFUSED;
}

/* Contract: see loader.h. */
int kb_check_neighbours(const struct kb_cgroup *cg, bool evict)
{
	char mount[4096], dir[4096];
	__u32 eff[KB_MAX_PROGS], flags, neff;
	size_t mlen;
	int fd, rc;

	if (!kb_cgroup2_mount(mount, sizeof mount, true))
		return KB_EXIT_OK;
	mlen = strlen(mount);
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		fd = open(cg->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		neff = fd < 0 ? 0 : query(fd, kinds[k].type, true, &flags, eff);
		if (fd >= 0)
			close(fd);
		snprintf(dir, sizeof dir, "%s", cg->path);
		for (bool self = true;; self = false) {
			char *slash;

			if ((rc = check_one(dir, cg->path, self, k, eff, neff, evict)) != KB_EXIT_OK)
				return rc;
			if (strlen(dir) <= mlen || !(slash = strrchr(dir, '/')) || slash == dir)
				break;
			*slash = '\0';
		}
	}
	return KB_EXIT_OK;
}
