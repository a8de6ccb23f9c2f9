// SPDX-License-Identifier: MIT
/*
 * pins.c - attachments as pinned objects in bpffs, so that nothing keeps
 * running: KB_PIN_ROOT/<cgroup id>/ holds the two links (sock_ops,
 * setsockopt) and the copy's two maps (data: its settings, counts: its
 * per-CPU counters). KB_PIN_SK_STATE is the socket storage every copy shares.
 * A link pinned here stays attached until detach or reboot; when its
 * cgroup is removed it stays pinned but defunct (stale) until unpinned.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader.h"
#include "kashim.skel.h"

static char libbpf_last[512];

static bool read_map(const char *path, void *value, size_t size);
static bool read_counts(const char *path, struct kashim_bpf_counts *c);
static int detach_dir(const char *dir);

/* libbpf's messages are kept, not printed: the one that explains a refusal
 * becomes the end of kashim-bpf's one line. KASHIM_BPF_DEBUG shows all. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof msg, fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	if (getenv("KASHIM_BPF_DEBUG"))
		fprintf(stderr, "libbpf: %s\n", msg);
	if (level <= LIBBPF_WARN && n)
		snprintf(libbpf_last, sizeof libbpf_last, "%s", msg);
	return 0;
}

/* Contract: see loader.h. */
const char *kb_libbpf_reason(void)
{
	return libbpf_last[0] ? libbpf_last : "no detail from libbpf";
}

/* Contract: see loader.h. */
void kb_libbpf_init(void)
{
	libbpf_set_print(libbpf_print);
}

/* Contract: KB_PIN_ROOT/ID[/WHAT] into @buf. */
static void pin_path(char *buf, size_t len, uint64_t id, const char *what)
{
	snprintf(buf, len, "%s/%" PRIu64 "%s%s", KB_PIN_ROOT, id, what ? "/" : "", what ? what : "");
}

/* Why the kernel refused to load (@load) or attach, in words an operator
 * can act on. */
static const char *refusal(int err, bool load)
{
	if (load && err == EACCES)
		return "the verifier rejected them (KASHIM_BPF_DEBUG=1 shows its log)";
	switch (err) {
	case EPERM:
	case EACCES:
		if (geteuid() == 0 && !load)
			return "not permitted, although run as root (another program attached to this "
			       "cgroup or above allows no other: bpftool cgroup tree)";
		return "not permitted (needs root: CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN)";
	case EINVAL:
	case 524: /* ENOTSUPP, the kernel's own */
	case EOPNOTSUPP:
		return "the kernel does not support it (needs Linux 5.10 or later with CONFIG_CGROUP_BPF)";
	case ENOSYS:
		return "the kernel has no bpf() system call (CONFIG_BPF_SYSCALL)";
	default:
		return strerror(err);
	}
}

/* Contract: removes every pin kashim-bpf makes in @dir, then @dir. */
static void unpin_dir(const char *dir)
{
	/* bss: the counters of earlier builds. */
	static const char *const names[] = {"sock_ops", "setsockopt", "data", "counts", "bss"};
	char path[600];

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

/* Open and load a copy of the programs with settings @conf; NULL after a
 * message on refusal. */
static struct kashim_bpf *load_copy(const struct kashim_bpf_conf *conf)
{
	struct kashim_bpf *skel = kashim_bpf__open();
	int err;

	if (!skel) {
		kb_err("cannot open the BPF object: %s", strerror(errno));
		return NULL;
	}
	skel->data->kashim_conf = *conf;
	if (bpf_map__set_pin_path(skel->maps.kashim_sk_state, KB_PIN_SK_STATE)) {
		kb_err("cannot set the socket storage's pin path");
		kashim_bpf__destroy(skel);
		return NULL;
	}
	err = kashim_bpf__load(skel);
	if (err) {
		err = errno ? errno : -err;
		kb_err("the kernel refused to load the programs: %s (%s)", refusal(err, true), kb_libbpf_reason());
		kashim_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

/* Attach @prog to the cgroup @cgfd and pin the link at @path. */
static int attach_pin(struct bpf_program *prog, int cgfd, const char *path, const char *what)
{
	struct bpf_link *link = bpf_program__attach_cgroup(prog, cgfd);
	int err;

	if (!link) {
		err = errno;
		kb_err("the kernel refused to attach %s: %s (%s)", what, refusal(err, false), kb_libbpf_reason());
		return KB_EXIT_REFUSED;
	}
	if (bpf_link__pin(link, path)) {
		err = errno;
		kb_err("cannot pin %s: %s", path, strerror(err));
		bpf_link__destroy(link);
		return KB_EXIT_REFUSED;
	}
	bpf_link__disconnect(link);
	bpf_link__destroy(link);
	return KB_EXIT_OK;
}

/* Contract: the tag of program @fd into @tag; false when unreadable. */
static bool prog_tag(int fd, __u8 tag[BPF_TAG_SIZE])
{
	struct bpf_prog_info info;
	__u32 len = sizeof info;

	memset(&info, 0, sizeof info);
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return false;
	memcpy(tag, info.tag, BPF_TAG_SIZE);
	return true;
}

/* Why the link pinned at @path is not @prog of this build attached to
 * cgroup @id ("" when it is). */
static const char *link_mismatch(const char *path, uint64_t id, struct bpf_program *prog)
{
	struct bpf_link_info info;
	__u8 want[BPF_TAG_SIZE], have[BPF_TAG_SIZE];
	__u32 len = sizeof info;
	int fd = bpf_obj_get(path), pfd;
	bool same;

	if (fd < 0)
		return "missing";
	memset(&info, 0, sizeof info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.type != BPF_LINK_TYPE_CGROUP) {
		close(fd);
		return "not a cgroup link";
	}
	close(fd);
	if (info.cgroup.cgroup_id != id)
		return "detached";
	pfd = bpf_prog_get_fd_by_id(info.prog_id);
	same = prog_tag(pfd, have) && prog_tag(bpf_program__fd(prog), want) &&
	       !memcmp(have, want, sizeof have);
	if (pfd >= 0)
		close(pfd);
	return same ? "" : "from another build";
}

/* Pin the maps of the loaded copy @skel in @dir: data (its settings) and
 * counts (its counters). False, errno set, when one could not be pinned. */
static bool pin_maps(struct kashim_bpf *skel, const char *dir)
{
	char path[600];

	snprintf(path, sizeof path, "%s/data", dir);
	if (bpf_map__pin(skel->maps.data, path))
		return false;
	snprintf(path, sizeof path, "%s/counts", dir);
	return bpf_map__pin(skel->maps.kashim_counts, path) == 0;
}

/* Attach the loaded copy @skel to @cgfd, pinned in @dir (made here). */
static int attach_copy(struct kashim_bpf *skel, int cgfd, const char *dir)
{
	char path[600];
	int rc;

	if (mkdir(dir, 0700) < 0) {
		kb_err("cannot create %s: %s", dir, strerror(errno));
		return KB_EXIT_REFUSED;
	}
	/* Maps first: an attachment is only listed once it has links, and
	 * then always has its settings to show. */
	rc = pin_maps(skel, dir) ? KB_EXIT_OK : KB_EXIT_REFUSED;
	if (rc != KB_EXIT_OK)
		kb_err("cannot pin the maps in %s: %s", dir, strerror(errno));
	/* setsockopt first, so no connection is configured before the
	 * application's own choices can be recorded. */
	snprintf(path, sizeof path, "%s/setsockopt", dir);
	if (rc == KB_EXIT_OK)
		rc = attach_pin(skel->progs.kashim_setsockopt, cgfd, path, "the cgroup/setsockopt program");
	snprintf(path, sizeof path, "%s/sock_ops", dir);
	if (rc == KB_EXIT_OK)
		rc = attach_pin(skel->progs.kashim_sock_ops, cgfd, path, "the sock_ops program");
	return rc;
}

/* What the pinned attachment in @dir is, against the copy @skel for @id:
 * "" when both links are live, on that cgroup, of this build, with
 * settings and counters maps of this build's layout; else why not. */
static const char *pinned_mismatch(const char *dir, uint64_t id, struct kashim_bpf *skel)
{
	struct kashim_bpf_counts counts;
	struct kashim_bpf_conf conf;
	char path[600];
	const char *why;

	snprintf(path, sizeof path, "%s/sock_ops", dir);
	why = link_mismatch(path, id, skel->progs.kashim_sock_ops);
	if (!*why) {
		snprintf(path, sizeof path, "%s/setsockopt", dir);
		why = link_mismatch(path, id, skel->progs.kashim_setsockopt);
	}
	snprintf(path, sizeof path, "%s/data", dir);
	if (!*why && !read_map(path, &conf, sizeof conf))
		why = "from another build";
	snprintf(path, sizeof path, "%s/counts", dir);
	if (!*why && !read_counts(path, &counts))
		why = "from another build";
	return why;
}

/* Contract: see loader.h. */
int kb_attach(const struct kb_cgroup *cg, const struct kashim_bpf_conf *conf, bool evict,
	      enum kb_attach_result *result, const char **why)
{
	char dir[512], fresh[540];
	struct kashim_bpf *skel;
	struct stat st;
	int cgfd, rc;

	*why = "";
	*result = KB_ATTACHED;
	if ((rc = kb_check_neighbours(cg, evict)) != KB_EXIT_OK)
		return rc;
	pin_path(dir, sizeof dir, cg->id, NULL);
	cgfd = open(cg->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0) {
		kb_err("cannot open %s: %s", cg->path, strerror(errno));
		return KB_EXIT_REFUSED;
	}
	skel = load_copy(conf);
	if (!skel) {
		close(cgfd);
		return KB_EXIT_REFUSED;
	}
	if (stat(dir, &st) == 0) {
		*why = pinned_mismatch(dir, cg->id, skel);
		if (!**why) {
			*result = KB_UPDATED;
			rc = kb_write_conf(cg->id, conf);
			goto out;
		}
		*result = KB_REPLACED;
	}
	/* The new copy goes in force before the one it replaces is detached:
	 * no connection is left out in between. */
	pin_path(fresh, sizeof fresh, cg->id, NULL);
	snprintf(fresh + strlen(KB_PIN_ROOT) + 1, sizeof fresh - strlen(KB_PIN_ROOT) - 1, "new-%" PRIu64, cg->id);
	unpin_dir(fresh);
	rc = attach_copy(skel, cgfd, fresh);
	if (rc == KB_EXIT_OK && *result == KB_REPLACED)
		kb_detach_id(cg->id);
	else if (rc == KB_EXIT_OK)
		unpin_dir(dir); /* leftovers of an attach that failed half-way */
	if (rc == KB_EXIT_OK && rename(fresh, dir) < 0) {
		kb_err("cannot rename %s to %s: %s", fresh, dir, strerror(errno));
		rc = KB_EXIT_REFUSED;
	}
	if (rc != KB_EXIT_OK)
		detach_dir(fresh);
out:
	kashim_bpf__destroy(skel);
	close(cgfd);
	return rc;
}

/* Contract: see loader.h. */
const char *kb_unit_pin_dir(const char *unit, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "%s/", KB_PIN_UNITS);

	/* bpffs refuses names with a dot. */
	for (; *unit && n + 1 < len; unit++)
		buf[n++] = *unit == '.' ? '_' : *unit;
	buf[n < len ? n : len - 1] = '\0';
	return buf;
}

/* Contract: see loader.h. */
bool kb_read_conf_at(const char *dir, struct kashim_bpf_conf *conf)
{
	char path[600];

	snprintf(path, sizeof path, "%s/data", dir);
	return read_map(path, conf, sizeof *conf);
}

/* Contract: see loader.h. */
int kb_pin_programs(const char *unit, const struct kashim_bpf_conf *conf, bool *updated)
{
	char dir[512], path[600];
	struct kashim_bpf *skel;
	int rc = KB_EXIT_OK;

	*updated = false;
	if (mkdir(KB_PIN_UNITS, 0700) < 0 && errno != EEXIST) {
		kb_err("cannot create %s: %s", KB_PIN_UNITS, strerror(errno));
		return KB_EXIT_REFUSED;
	}
	kb_unit_pin_dir(unit, dir, sizeof dir);
	snprintf(path, sizeof path, "%s/data", dir);
	/* Already loaded (systemd may have attached them): new settings,
	 * into programs of this build only (systemd holds them: they cannot
	 * be replaced from here). */
	if (access(path, F_OK) == 0) {
		struct kashim_bpf_conf old;
		int fd;
		__u32 key = 0;

		if (!read_map(path, &old, sizeof old)) {
			kb_err("the programs pinned for %s in %s are from another build of kashim-bpf; refused "
			       "(kashim-bpf detach %s, attach --all, then restart the unit)", unit, dir, unit);
			return KB_EXIT_REFUSED;
		}
		fd = bpf_obj_get(path);

		if (fd < 0 || bpf_map_update_elem(fd, &key, conf, BPF_ANY)) {
			kb_err("cannot update %s: %s", path, strerror(errno));
			rc = KB_EXIT_REFUSED;
		}
		*updated = true;
		if (fd >= 0)
			close(fd);
		return rc;
	}
	unpin_dir(dir);
	skel = load_copy(conf);
	if (!skel)
		return KB_EXIT_REFUSED;
	if (mkdir(dir, 0700) < 0) {
		kb_err("cannot create %s: %s", dir, strerror(errno));
		kashim_bpf__destroy(skel);
		return KB_EXIT_REFUSED;
	}
	if (!pin_maps(skel, dir))
		rc = KB_EXIT_REFUSED;
	snprintf(path, sizeof path, "%s/setsockopt", dir);
	if (rc == KB_EXIT_OK && bpf_program__pin(skel->progs.kashim_setsockopt, path))
		rc = KB_EXIT_REFUSED;
	snprintf(path, sizeof path, "%s/sock_ops", dir);
	if (rc == KB_EXIT_OK && bpf_program__pin(skel->progs.kashim_sock_ops, path))
		rc = KB_EXIT_REFUSED;
	if (rc != KB_EXIT_OK) {
		kb_err("cannot pin in %s: %s", dir, strerror(errno));
		unpin_dir(dir);
	}
	kashim_bpf__destroy(skel);
	return rc;
}

/* Contract: see loader.h. */
int kb_unpin_unit(const char *unit)
{
	char dir[512];
	struct stat st;

	kb_unit_pin_dir(unit, dir, sizeof dir);
	if (stat(dir, &st) < 0)
		return KB_EXIT_USAGE;
	unpin_dir(dir);
	if (stat(dir, &st) == 0) {
		kb_err("cannot remove %s: %s", dir, strerror(errno));
		return KB_EXIT_REFUSED;
	}
	return KB_EXIT_OK;
}

/* Detach the link pinned at @path (if any) and unpin it. */
static void detach_link(const char *path)
{
	int fd = bpf_obj_get(path);

	if (fd >= 0) {
		bpf_link_detach(fd);
		close(fd);
	}
	unlink(path);
}

/* Detach and unpin the attachment pinned in @dir; KB_EXIT_USAGE when
 * there is none. */
static int detach_dir(const char *dir)
{
	char path[600];
	struct stat st;

	if (stat(dir, &st) < 0)
		return KB_EXIT_USAGE;
	snprintf(path, sizeof path, "%s/sock_ops", dir);
	detach_link(path);
	snprintf(path, sizeof path, "%s/setsockopt", dir);
	detach_link(path);
	unpin_dir(dir);
	if (stat(dir, &st) == 0) {
		kb_err("cannot remove %s: %s", dir, strerror(errno));
		return KB_EXIT_REFUSED;
	}
	return KB_EXIT_OK;
}

/* Contract: see loader.h. */
int kb_detach_id(uint64_t id)
{
	char dir[512];

	pin_path(dir, sizeof dir, id, NULL);
	return detach_dir(dir);
}

/* The run statistics of the program behind the link pinned at @path. */
static void read_prog_stats(const char *path, uint64_t *run_time_ns, uint64_t *run_cnt)
{
	struct bpf_link_info link;
	struct bpf_prog_info prog;
	__u32 len = sizeof link;
	int fd = bpf_obj_get(path), pfd;

	if (fd < 0)
		return;
	memset(&link, 0, sizeof link);
	if (bpf_obj_get_info_by_fd(fd, &link, &len) == 0 && (pfd = bpf_prog_get_fd_by_id(link.prog_id)) >= 0) {
		memset(&prog, 0, sizeof prog);
		len = sizeof prog;
		if (bpf_obj_get_info_by_fd(pfd, &prog, &len) == 0) {
			*run_time_ns = prog.run_time_ns;
			*run_cnt = prog.run_cnt;
		}
		close(pfd);
	}
	close(fd);
}

/* Look up key 0 of the array map pinned at @path into @value (@size bytes). */
static bool read_map(const char *path, void *value, size_t size)
{
	struct bpf_map_info info;
	__u32 len = sizeof info, key = 0;
	int fd = bpf_obj_get(path);
	bool ok;

	if (fd < 0)
		return false;
	memset(&info, 0, sizeof info);
	ok = !bpf_obj_get_info_by_fd(fd, &info, &len) && info.value_size == size &&
	     !bpf_map_lookup_elem(fd, &key, value);
	close(fd);
	return ok;
}

/* Sum the per-CPU values of the counters map pinned at @path into @c;
 * false when there is none or it has another layout (another build's: a
 * .bss array in earlier ones), with @c zeroed. */
static bool read_counts(const char *path, struct kashim_bpf_counts *c)
{
	enum { N = sizeof *c / sizeof(__u64) };
	struct bpf_map_info info;
	__u32 len = sizeof info, key = 0;
	int fd = bpf_obj_get(path), ncpu = libbpf_num_possible_cpus();
	__u64 *per = NULL, *sum = (__u64 *)c;
	bool ok;

	_Static_assert(sizeof *c % sizeof(__u64) == 0, "counters are __u64 only");
	memset(c, 0, sizeof *c);
	if (fd < 0)
		return false;
	memset(&info, 0, sizeof info);
	ok = ncpu > 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) &&
	     info.type == BPF_MAP_TYPE_PERCPU_ARRAY && info.key_size == sizeof key &&
	     info.value_size == sizeof *c && info.max_entries == 1;
	/* One value per possible CPU, each rounded up to 8 bytes (it is). */
	if (ok)
		per = calloc((size_t)ncpu, sizeof *c);
	ok = per && !bpf_map_lookup_elem(fd, &key, per);
	for (int cpu = 0; ok && cpu < ncpu; cpu++)
		for (int i = 0; i < N; i++)
			sum[i] += per[cpu * N + i];
	free(per);
	close(fd);
	return ok;
}

/* Contract: see loader.h. */
bool kb_read(uint64_t id, struct kb_attachment *a)
{
	char path[600];
	struct bpf_link_info info;
	__u32 len = sizeof info;
	int fd;

	memset(a, 0, sizeof *a);
	pin_path(a->dir, sizeof a->dir, id, NULL);
	a->cgroup_id = id;
	snprintf(path, sizeof path, "%s/sock_ops", a->dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return false;
	memset(&info, 0, sizeof info);
	/* A link whose cgroup was removed, or that was detached, reports
	 * cgroup id 0; whether the cgroup lives is asked by its id, never
	 * by its path (which may be longer than the settings keep). */
	a->detached = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && info.cgroup.cgroup_id != id;
	close(fd);
	a->stale = !kb_cgroup_by_id(id, a->path, sizeof a->path);
	if (a->stale) {
		a->path[0] = '\0';
		a->detached = false;
	}
	read_prog_stats(path, &a->run_time_ns[0], &a->run_cnt[0]);
	snprintf(path, sizeof path, "%s/setsockopt", a->dir);
	read_prog_stats(path, &a->run_time_ns[1], &a->run_cnt[1]);
	snprintf(path, sizeof path, "%s/data", a->dir);
	a->have_conf = read_map(path, &a->conf, sizeof a->conf);
	snprintf(path, sizeof path, "%s/counts", a->dir);
	a->have_counts = read_counts(path, &a->counts);
	return true;
}

/* Contract: see loader.h. */
struct kb_attachment *kb_list(size_t *n)
{
	struct kb_attachment *list = NULL;
	DIR *d = opendir(KB_PIN_ROOT);
	struct dirent *e;

	*n = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		char *end;
		uint64_t id;
		struct kb_attachment *grown;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		id = strtoull(e->d_name, &end, 10);
		if (*end)
			continue;
		grown = realloc(list, (*n + 1) * sizeof *list);
		if (!grown)
			break;
		list = grown;
		if (kb_read(id, &list[*n]))
			(*n)++;
	}
	closedir(d);
	return list;
}

/* Contract: see loader.h. */
int kb_write_conf(uint64_t id, const struct kashim_bpf_conf *conf)
{
	char path[600];
	__u32 key = 0;
	int fd;

	pin_path(path, sizeof path, id, "data");
	fd = bpf_obj_get(path);
	if (fd < 0) {
		kb_err("cannot open %s: %s", path, strerror(errno));
		return KB_EXIT_REFUSED;
	}
	if (bpf_map_update_elem(fd, &key, conf, BPF_ANY)) {
		kb_err("cannot write the settings to %s: %s", path, strerror(errno));
		close(fd);
		return KB_EXIT_REFUSED;
	}
	close(fd);
	return KB_EXIT_OK;
}
