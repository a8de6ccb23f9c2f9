/*
 * kashim.h - internals shared by the shim's files. Nothing here is exported:
 * the library is built with -fvisibility=hidden and only the interposed libc
 * functions carry KASHIM_EXPORT.
 */
#ifndef KASHIM_SHIM_H
#define KASHIM_SHIM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "../config/kashim_settings.h"

#define KASHIM_EXPORT __attribute__((visibility("default")))
#define KASHIM_LIKELY(x) __builtin_expect(!!(x), 1)
#define KASHIM_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ---- libc's functions (real.c) ----------------------------------------
 * Resolved with dlsym(RTLD_NEXT) on first use, never in a constructor: a
 * constructor of another preloaded library may call socket() before ours. */
extern int (*real_socket)(int, int, int);
extern int (*real_connect)(int, const struct sockaddr *, socklen_t);
extern int (*real_accept)(int, struct sockaddr *, socklen_t *);
extern int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
extern int (*real_setsockopt)(int, int, int, const void *, socklen_t);
extern int (*real_getsockopt)(int, int, int, void *, socklen_t *);

/* Look up @symbol in the libraries after this one. NULL if absent. */
void *kashim_dlnext(const char *symbol);

/* Evaluates to libc's function for @ptr (e.g. real_socket), resolving it on
 * first use. Races are benign: every thread stores the same address. */
#define KASHIM_REAL(ptr, symbol)                                                  \
	(KASHIM_LIKELY(__atomic_load_n(&(ptr), __ATOMIC_RELAXED) != NULL)         \
		 ? (ptr)                                                          \
		 : (__atomic_store_n(&(ptr), (__typeof__(ptr))kashim_dlnext(symbol), \
				     __ATOMIC_RELAXED),                           \
		    (ptr)))

/* ---- the resolved settings (init.c) ------------------------------------ */

/* One setsockopt() call, precomputed once so the hooks only loop. */
struct kashim_sockopt {
	int level;
	int name;
	int value;
};

enum kashim_log_dest { KASHIM_DEST_SYSLOG, KASHIM_DEST_STDERR, KASHIM_DEST_FILE };

struct kashim_runtime {
	bool enabled;               /* keepalive on for this program */
	bool override;              /* keep our values against the program's setsockopt */
	bool debug;                 /* KASHIM_DEBUG: log every decision */
	enum kashim_log_dest log_dest;
	unsigned nopts;
	struct kashim_sockopt opts[5];
	struct kashim_settings settings;
	char program[64];           /* for log lines */
	char log_path[256];
};

/* kashim_state: UNINIT, READY, or the pid of the process initialising. */
enum { KASHIM_UNINIT = 0, KASHIM_READY = -1 };
extern _Atomic int kashim_state;
extern struct kashim_runtime kashim_rt;

/* Slow path of kashim_runtime(): initialise once, or wait for the thread
 * that is doing it. NULL when called from inside the initialisation itself
 * (the caller then passes the call through untouched). */
const struct kashim_runtime *kashim_runtime_init(void);

/* The settings for this process, immutable once returned. The first call
 * reads the environment and the config file; later calls cost one load. */
static inline const struct kashim_runtime *kashim_runtime(void)
{
	if (KASHIM_LIKELY(atomic_load_explicit(&kashim_state, memory_order_acquire) == KASHIM_READY))
		return &kashim_rt;
	return kashim_runtime_init();
}

/* ---- logging (log.c) --------------------------------------------------- */

/* Never to the program's stdout/stderr unless KASHIM_LOG=stderr says so. */
void kashim_log(enum kashim_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
extern const struct kashim_logger kashim_logger;

/* ---- sockets (apply.c) ------------------------------------------------- */

/* Bitmap of fds whose TCP-ness kashim has already settled: created through
 * socket(), or adopted once. connect()/accept() on such an fd costs no
 * system call. fds beyond the map are treated as settled (left alone). */
#define KASHIM_FDMAP_FDS (1 << 20)
#define KASHIM_FDMAP_WORD_BITS (8 * sizeof(unsigned long))
extern _Atomic unsigned long kashim_fdmap[KASHIM_FDMAP_FDS / KASHIM_FDMAP_WORD_BITS];

static inline bool kashim_fd_settled(int fd)
{
	if ((unsigned)fd >= KASHIM_FDMAP_FDS)
		return true;
	return atomic_load_explicit(&kashim_fdmap[fd / KASHIM_FDMAP_WORD_BITS], memory_order_relaxed) &
	       (1UL << (fd % KASHIM_FDMAP_WORD_BITS));
}

static inline void kashim_fd_settle(int fd)
{
	if ((unsigned)fd < KASHIM_FDMAP_FDS)
		atomic_fetch_or_explicit(&kashim_fdmap[fd / KASHIM_FDMAP_WORD_BITS],
					 1UL << (fd % KASHIM_FDMAP_WORD_BITS), memory_order_relaxed);
}

/* Make the precomputed setsockopt() calls on @fd. errno is preserved; a
 * failure is logged once per process and never reported to the program. */
void kashim_apply(int fd, const struct kashim_runtime *rt, const char *why);

/* For a socket kashim did not create (inherited, socket-activated, made with
 * syscall()): settle @fd and, if it is TCP, configure it. With override off,
 * a socket that already has SO_KEEPALIVE on is left as its owner set it.
 * Returns true when kashim configured it. errno is preserved. */
bool kashim_adopt(int fd, const char *why);

/* True for a TCP socket (SO_PROTOCOL), without touching errno. */
bool kashim_fd_is_tcp(int fd);

#endif
