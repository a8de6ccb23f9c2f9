/* SPDX-License-Identifier: MIT */
/*
 * sockets.c - read the TCP sockets of a live process from outside.
 *
 * The kernel exposes keepalive settings only through getsockopt() on the
 * socket itself (/proc/net/tcp and sock_diag do not carry TCP_KEEPIDLE and
 * friends), so ka-status borrows each socket: pidfd_open() pins the process,
 * pidfd_getfd() duplicates one descriptor into ka-status, getsockopt() reads
 * it, close() drops the copy. The target's descriptor table and socket
 * options are left as they were. One caveat outside keepalive: where the
 * cgroup-v1 net_cls/net_prio controllers are in use, receiving a socket
 * (__receive_sock) may retag it with ka-status's classid / priority index;
 * with cgroup v2 alone those tags are unused.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ka_status.h"

/* Contract: see ka_status.h. */
const struct ka_option ka_options[KA_NFIELDS] = {
#define KA_OPTION(ID, NAME, KIND, MIN, MAX, DFLT, LEVEL, OPTION, BIT, ENV, LIBKA, SHORT, LONG, ARG, \
		  UNIT, COLUMN, ...)                                                                \
	[KA_F_##ID] = {#NAME, COLUMN, KA_KIND_##KIND, LEVEL, OPTION},
	KASHIM_FIELDS(KA_OPTION)
#undef KA_OPTION
};

/* Names indexed by the kernel's TCP state numbers (include/net/tcp_states.h). */
static const char *const state_names[] = {
	[TCP_ESTABLISHED] = "ESTABLISHED", [TCP_SYN_SENT] = "SYN_SENT",
	[TCP_SYN_RECV] = "SYN_RECV",       [TCP_FIN_WAIT1] = "FIN_WAIT1",
	[TCP_FIN_WAIT2] = "FIN_WAIT2",     [TCP_TIME_WAIT] = "TIME_WAIT",
	[TCP_CLOSE] = "CLOSE",             [TCP_CLOSE_WAIT] = "CLOSE_WAIT",
	[TCP_LAST_ACK] = "LAST_ACK",       [TCP_LISTEN] = "LISTEN",
	[TCP_CLOSING] = "CLOSING",
};

/* Contract: a static name for @state, "UNKNOWN" outside the table. */
const char *ka_state_name(int state)
{
	if (state > 0 && (size_t)state < sizeof state_names / sizeof state_names[0] &&
	    state_names[state])
		return state_names[state];
	return "UNKNOWN";
}

/* Contract: a pidfd for @pid, or -1 with errno (ENOSYS on kernels before
 * 5.3; EINVAL for a thread that is not a thread-group leader). Through
 * syscall(): glibc 2.36 has no wrapper. */
static int pidfd_open_pid(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Contract: a new descriptor in this process for descriptor @fd of the
 * process behind @pidfd, or -1 with errno (EPERM without ptrace rights,
 * EBADF when @fd was closed meanwhile, ESRCH when the process is gone). */
static int pidfd_dup(int pidfd, int fd)
{
	return (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
}

/* Contract: integer socket option @level/@name of @sock, or @fallback when
 * the kernel refuses it (so one unreadable option does not hide the rest). */
static int sockopt_int(int sock, int level, int name, int fallback)
{
	int value = 0;
	socklen_t len = sizeof value;

	if (getsockopt(sock, level, name, &value, &len) < 0)
		return fallback;
	return value;
}

/* Contract: true when @sock is an IPv4 or IPv6 TCP or MPTCP socket (MPTCP
 * is TCP to the program, and carries the same keepalive options). Asked of
 * the socket itself: the /proc link only says "socket:[inode]". SO_TYPE
 * holds the bare type (no SOCK_NONBLOCK/SOCK_CLOEXEC bits). */
static bool is_tcp_socket(int sock, int *family, int *protocol)
{
	int domain = sockopt_int(sock, SOL_SOCKET, SO_DOMAIN, -1);
	int type = sockopt_int(sock, SOL_SOCKET, SO_TYPE, -1);

	*protocol = sockopt_int(sock, SOL_SOCKET, SO_PROTOCOL, -1);
	*family = domain;
	return (domain == AF_INET || domain == AF_INET6) && type == SOCK_STREAM &&
	       (*protocol == IPPROTO_TCP || *protocol == IPPROTO_MPTCP);
}

/* Contract: writes "ADDR:PORT" (IPv6 as "[ADDR]:PORT") of @sa into @out
 * (KA_ADDR_LEN bytes); "-" for anything else. */
static void format_address(const struct sockaddr_storage *sa, char *out)
{
	char host[INET6_ADDRSTRLEN];

	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		snprintf(out, KA_ADDR_LEN, "%s:%u", host, ntohs(in->sin_port));
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
		snprintf(out, KA_ADDR_LEN, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else {
		snprintf(out, KA_ADDR_LEN, "-");
	}
}

/* Contract: @sock's own address (@get = getsockname) or its peer's
 * (getpeername) into @out, "-" when it has none. */
static void read_address(int sock, int (*get)(int, struct sockaddr *, socklen_t *),
			 char out[KA_ADDR_LEN])
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;

	memset(&sa, 0, sizeof sa);
	if (get(sock, (struct sockaddr *)&sa, &len) == 0)
		format_address(&sa, out);
	else
		snprintf(out, KA_ADDR_LEN, "-");
}

/* Contract: fills @out from the borrowed TCP socket @sock (descriptor @fd in
 * the target). Only get* calls: nothing about the socket changes. A peer
 * that is not connected (listener, closed) reads as "-". */
static void read_socket(int sock, int fd, int family, int protocol, struct ka_socket *out)
{
	struct tcp_info info;
	socklen_t info_len = sizeof info;

	memset(out, 0, sizeof *out);
	out->fd = fd;
	out->family = family;
	out->protocol = protocol;

	read_address(sock, getsockname, out->local);
	read_address(sock, getpeername, out->remote);

	memset(&info, 0, sizeof info);
	out->state = getsockopt(sock, IPPROTO_TCP, TCP_INFO, &info, &info_len) == 0
			     ? info.tcpi_state
			     : -1;
	/* When never set, the kernel reports its sysctl defaults here: the
	 * values it would use if keepalive were turned on. */
	for (int f = 0; f < KA_NFIELDS; f++) {
		const struct ka_option *o = &ka_options[f];
		int v;

		if (!o->column)
			continue;
		v = sockopt_int(sock, o->level, o->option, o->kind == KA_KIND_INT ? -1 : 0);
		out->value[f] = o->kind == KA_KIND_BOOL ? v != 0 : v;
	}
}

/* Contract: sets proc->error to @err and a reason an operator can act on. */
static void set_error(struct ka_process *proc, int err)
{
	const char *why;

	proc->error = err;
	switch (err) {
	case ESRCH:
	case ENOENT:
		why = "no such process";
		break;
	case EPERM:
	case EACCES:
		why = "permission denied (reading another user's sockets needs root)";
		break;
	case ENOSYS:
		why = "this kernel lacks pidfd_open/pidfd_getfd (Linux 5.6 or later is needed)";
		break;
	default:
		why = strerror(err);
		break;
	}
	snprintf(proc->error_text, sizeof proc->error_text, "%s", why);
}

/* Contract: proc->comm from /proc/PID/comm without the newline the kernel
 * adds, "?" when it cannot be read. A name may itself hold a newline
 * (prctl PR_SET_NAME takes any bytes): only the last one is dropped. */
static void read_comm(pid_t pid, struct ka_process *proc)
{
	char path[64];
	size_t n;
	FILE *f;

	snprintf(proc->comm, sizeof proc->comm, "?");
	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	n = fread(proc->comm, 1, sizeof proc->comm - 1, f);
	if (n > 0 && proc->comm[n - 1] == '\n')
		n--;
	if (n > 0 || feof(f))
		proc->comm[n] = '\0';
	fclose(f);
}

/* Contract: the thread-group (process) id of task @pid from
 * /proc/PID/status, or -1. pidfd_open() refuses a thread that is not the
 * leader (EINVAL, ENOENT on recent kernels); this tells the operator which
 * pid to ask for instead. */
static pid_t thread_group_of(pid_t pid)
{
	char path[64], line[128];
	pid_t tgid = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	fclose(f);
	return tgid;
}

/* Contract: true when /proc/PID/fd entry @name of directory @dirfd links to
 * a socket; saves a pidfd_getfd() for every regular file and pipe. */
static bool entry_is_socket(int dirfd, const char *name)
{
	char target[64];
	ssize_t n = readlinkat(dirfd, name, target, sizeof target - 1);

	if (n <= 0)
		return false;
	target[n] = '\0';
	return strncmp(target, "socket:", 7) == 0;
}

/* Order sockets by descriptor number for a stable, readable listing. */
static int by_fd(const void *a, const void *b)
{
	const struct ka_socket *x = a, *y = b;
	return (x->fd > y->fd) - (x->fd < y->fd);
}

/* Contract: a pidfd for process @pid, or -1 with proc->error set; a thread
 * id gets the process id to ask for instead. */
static int open_process(pid_t pid, struct ka_process *proc)
{
	int pidfd = pidfd_open_pid(pid);
	int err_open = errno;
	pid_t tgid;

	if (pidfd >= 0)
		return pidfd;
	tgid = thread_group_of(pid);
	if (tgid > 0 && tgid != pid) {
		proc->error = EINVAL;
		snprintf(proc->error_text, sizeof proc->error_text,
			 "a thread of process %d, not a process: ask for %d", (int)tgid, (int)tgid);
	} else {
		set_error(proc, err_open);
	}
	return -1;
}

/* Contract: see ka_status.h. */
void ka_socket_reread(int sock, struct ka_socket *s)
{
	read_socket(sock, s->fd, s->family, s->protocol, s);
}

/* Contract: appends the TCP sockets among the descriptors listed in @dir
 * (/proc/PID/fd) to proc->sockets, each borrowed through @pidfd, shown to
 * @visit (when not NULL) while borrowed, and closed again. Returns 0, or
 * the errno that stopped the reading. */
static int read_sockets(DIR *dir, int pidfd, struct ka_process *proc, ka_visit_fn visit, void *ctx)
{
	struct dirent *entry;
	size_t cap = 0;
	int fd_dir = dirfd(dir), err = 0;

	while (!err && (entry = readdir(dir)) != NULL) {
		char *end;
		long fd = strtol(entry->d_name, &end, 10);
		struct ka_socket s;
		int sock, family, protocol;

		if (*end != '\0' || end == entry->d_name || !entry_is_socket(fd_dir, entry->d_name))
			continue;
		sock = pidfd_dup(pidfd, (int)fd);
		if (sock < 0) {
			/* EBADF: closed since the listing, not an error. */
			if (errno != EBADF)
				err = errno;
			continue;
		}
		if (is_tcp_socket(sock, &family, &protocol)) {
			read_socket(sock, (int)fd, family, protocol, &s);
			if (visit)
				visit(ctx, sock, &s);
			if (ka_array_push(&proc->sockets, &proc->nsockets, &cap, &s, sizeof s) < 0)
				err = ENOMEM;
		}
		close(sock);
	}
	return err;
}

/* Contract: see ka_status.h. */
int ka_read_process(pid_t pid, struct ka_process *proc)
{
	return ka_visit_process(pid, proc, NULL, NULL);
}

/* Contract: see ka_status.h. The pidfd is taken before /proc/PID/fd is
 * listed, so a pid reused by a new process after the listing cannot lend us
 * its descriptors: pidfd_getfd() then fails with ESRCH. */
int ka_visit_process(pid_t pid, struct ka_process *proc, ka_visit_fn visit, void *ctx)
{
	char path[64];
	int pidfd, err;
	DIR *dir;

	memset(proc, 0, sizeof *proc);
	proc->pid = pid;
	read_comm(pid, proc);
	pidfd = open_process(pid, proc);
	if (pidfd < 0)
		return -1;
	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	if (!dir) {
		set_error(proc, errno);
		close(pidfd);
		return -1;
	}
	err = read_sockets(dir, pidfd, proc, visit, ctx);
	closedir(dir);
	close(pidfd);
	if (err) {
		set_error(proc, err);
		return -1;
	}
	qsort(proc->sockets, proc->nsockets, sizeof *proc->sockets, by_fd);
	return 0;
}

/* Contract: see ka_status.h. */
void ka_process_free(struct ka_process *proc)
{
	free(proc->sockets);
	proc->sockets = NULL;
	proc->nsockets = 0;
}
