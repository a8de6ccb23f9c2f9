/* SPDX-License-Identifier: MIT */
/*
 * ka_status.h - what ka-status's files share: the record of one TCP socket
 * as read from a live process, the record of one process, and the functions
 * that read (sockets.c, audit.c) and print them (output.c).
 *
 * ka-status looks: it duplicates a process's descriptors with
 * pidfd_getfd(), reads them with getsockopt()/getsockname()/getpeername()
 * and closes its copies. Only --apply --yes (apply.c) sets options, on the
 * borrowed copy, which is the same socket as the target's.
 */
#ifndef KA_STATUS_H
#define KA_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../config/fields.h"

/* "[ffff:ffff:...:ffff]:65535" plus NUL, with room to spare. */
#define KA_ADDR_LEN 64
#define KA_COMM_LEN 32
#define KA_ERR_LEN 160

/* The settings a socket carries: one per row of config/fields.h, in its
 * order (KA_F_IDLE...); a row without a socket option has no column and is
 * skipped everywhere. */
enum ka_field {
#define KA_ENUM_FIELD(ID, ...) KA_F_##ID,
	KASHIM_FIELDS(KA_ENUM_FIELD)
#undef KA_ENUM_FIELD
	KA_NFIELDS
};

enum ka_kind { KA_KIND_BOOL, KA_KIND_INT, KA_KIND_MS };

struct ka_option {
	const char *name;           /* the JSON key (keepalive.conf's) */
	const char *column;         /* the table header, "IDLE(s)"; NULL: no socket option */
	enum ka_kind kind;          /* on/off, a number, milliseconds (0 = the kernel's) */
	int level, option;          /* what getsockopt() reads */
};

/* sockets.c: the rows, indexed by enum ka_field. */
extern const struct ka_option ka_options[KA_NFIELDS];

/* One TCP socket of a process, read from the socket itself. */
struct ka_socket {
	int fd;                     /* the descriptor number in the target process */
	int family;                 /* AF_INET or AF_INET6 */
	int protocol;               /* IPPROTO_TCP or IPPROTO_MPTCP (TCP to its program) */
	char local[KA_ADDR_LEN];    /* "127.0.0.1:80", "[::1]:80" */
	char remote[KA_ADDR_LEN];   /* "-" when not connected */
	int state;                  /* TCP_ESTABLISHED... from TCP_INFO, -1 unknown */
	/* By enum ka_field: 0/1 for on/off; the kernel's default where the
	 * program never set one (its sysctl for TCP_KEEPIDLE...), -1 (0 for
	 * milliseconds) where getsockopt() fails. */
	long value[KA_NFIELDS];
};

/* One process: its TCP sockets, or why it could not be read. */
struct ka_process {
	pid_t pid;
	char comm[KA_COMM_LEN];     /* /proc/PID/comm, "?" when unreadable */
	struct ka_socket *sockets;  /* malloc()ed, nsockets entries */
	size_t nsockets;
	int error;                  /* 0, or the errno that stopped the read */
	char error_text[KA_ERR_LEN];/* operator-facing reason when error != 0 */
};

/* ---- array.c ------------------------------------------------------------ */

/* Append a copy of @item (@size bytes) to the array *@arrayp (a pointer to
 * the array's pointer) of *@n items with room for *@cap, growing it.
 * Returns 0, or -1 when out of memory (the array is then unchanged). */
int ka_array_push(void *arrayp, size_t *n, size_t *cap, const void *item, size_t size);

/* ---- sockets.c ---------------------------------------------------------- */

/* Read every TCP socket of process @pid into @proc (zeroed first). Returns 0
 * on success (possibly with no sockets) or -1 with proc->error and
 * proc->error_text set: no such process, permission denied, kernel without
 * pidfd_getfd. Descriptors that close while being read are skipped. Every
 * descriptor duplicated from the target is closed before returning. */
int ka_read_process(pid_t pid, struct ka_process *proc);

/* Called by ka_visit_process() for each TCP socket @s of the process while
 * it is borrowed as descriptor @sock of ka-status (closed afterwards). */
typedef void (*ka_visit_fn)(void *ctx, int sock, struct ka_socket *s);

/* ka_read_process() that also shows each TCP socket to @visit (may be
 * NULL), in /proc/PID/fd order, before adding it to proc->sockets. */
int ka_visit_process(pid_t pid, struct ka_process *proc, ka_visit_fn visit, void *ctx);

/* Read @s again from the borrowed socket @sock (after setting options). */
void ka_socket_reread(int sock, struct ka_socket *s);

/* Free what ka_read_process() allocated in @proc; @proc may be reused. */
void ka_process_free(struct ka_process *proc);

/* Name of TCP state @state ("ESTABLISHED", "LISTEN"...), "UNKNOWN" if none. */
const char *ka_state_name(int state);

/* ---- table.c ------------------------------------------------------------ */

#define KA_TABLE_MAX_COLS 16

/* A text table: cells are added left to right, row after row, then printed
 * with every column as wide as its widest cell. */
struct ka_table {
	size_t ncols;
	const char *headers[KA_TABLE_MAX_COLS];
	bool right[KA_TABLE_MAX_COLS];  /* right-align (numbers) */
	char **cells;                   /* malloc()ed strings, row-major */
	size_t ncells, cap;
};

/* Start a table with the columns named in @headers (NULL-terminated, at
 * most KA_TABLE_MAX_COLS). @align has one letter per column: 'l' or 'r'. */
void ka_table_init(struct ka_table *t, const char *const *headers, const char *align);

/* Append one cell, printf-formatted. Out of memory ends the program: a
 * half-printed audit would mislead more than an error. */
void ka_table_cell(struct ka_table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print the header and all rows on stdout, then free the cells. */
void ka_table_print(struct ka_table *t);

/* ---- output.c ----------------------------------------------------------- */

/* Print the sockets of @n processes as an aligned table with a header on
 * stdout; processes with no TCP socket get a note after the table.
 * Processes that failed (error != 0) are left out: main reports them. */
void ka_print_table(const struct ka_process *procs, size_t n);

/* Print @n processes as one JSON document on stdout: {"processes": [...],
 * "errors": [...]}; failed processes go to "errors" with their reason. */
void ka_print_json(const struct ka_process *procs, size_t n);

/* Write @s to stdout as a JSON string literal, quotes and escapes included. */
void ka_json_string(const char *s);

/* Write the end of a JSON document on stdout: "errors": [...]} with one
 * {"pid": N, "error": "why"} for each of the @n processes that failed
 * (error != 0), then a newline. */
void ka_json_errors(const struct ka_process *procs, size_t n);

/* ---- audit.c ------------------------------------------------------------ */

/* ka-status --all: read every process in /proc, keep those with at least
 * one ESTABLISHED TCP socket and print, per process, how many of those have
 * keepalive off and the settings of the others (table or JSON), then a
 * summary. Returns the exit status: 0, or 1 when some processes could not
 * be read (reported on stderr). Processes that exit meanwhile are ignored. */
int ka_audit_all(bool json);

/* ---- kernel.c ------------------------------------------------------------ */

/* ka-status --all: when process @pid's cgroup, or the nearest ancestor that
 * has one, has a kashim-bpf attachment, put that cgroup's path in @buf
 * (prefixed "exempt by " for an attachment with keepalive = false) and
 * return true. */
bool ka_kernel_backend(pid_t pid, char *buf, size_t len);

/* ---- procs.c ------------------------------------------------------------ */

/* Call @fn for every process in /proc (numeric entries), in /proc's order,
 * until it returns non-zero. Returns that value, 0 when all were visited,
 * or -1 (said on stderr) when /proc cannot be listed. */
int ka_each_pid(int (*fn)(void *ctx, pid_t pid), void *ctx);

/* ---- apply.c ------------------------------------------------------------ */

/* Exit statuses of ka-status --apply beyond 0, 1 (a socket could not be
 * set) and 2 (bad arguments or configuration): why a process was refused. */
enum {
	KA_EXIT_PERMISSION = 3,     /* no ptrace rights over it (EPERM, EACCES) */
	KA_EXIT_NO_PIDFD_GETFD = 4, /* kernel without pidfd_open/pidfd_getfd */
	KA_EXIT_GONE = 5,           /* no such process (ESRCH) */
};

/* ka-status --apply: configure the established and listening TCP sockets of
 * the @n processes in @pids (or of every readable process when @all) as the
 * shim would, from keepalive.conf @config (NULL: the system file); only
 * print what would change unless @yes; a table, or JSON when @json.
 * Returns the exit status (see ka-status(1)). */
int ka_apply(char *const *pids, size_t n, bool all, const char *config, bool yes, bool json);

/* ---- prometheus.c ------------------------------------------------------- */

/* Program names --prometheus keeps by default before "(other)". */
#define KA_PROM_MAX_PROGRAMS 500

/* ka-status --all --prometheus: established TCP connections of every
 * process per program name (at most @max_programs of them, the rest as
 * "(other)"), keepalive on or off and who configured it, in the Prometheus
 * text format, on stdout or (written atomically) in @output. Returns the
 * exit status: 0, or 1 when the output could not be written. */
int ka_prometheus(const char *output, size_t max_programs);

#endif
