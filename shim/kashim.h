/* SPDX-License-Identifier: MIT */
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

/* Everything declared below lives in libkashim.so itself: telling the
 * compiler so (-fvisibility=hidden covers definitions, not declarations)
 * lets it load kashim_rt, real_socket... directly instead of through the
 * GOT, one instruction less per access on the hot paths. */
#pragma GCC visibility push(hidden)

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
extern int (*real_close)(int);
extern int (*real_dup)(int);
extern int (*real_dup2)(int, int);
extern int (*real_dup3)(int, int, int);
extern int (*real_fcntl)(int, int, ...);
extern int (*real_fcntl64)(int, int, ...);
extern int (*real_close_range)(unsigned, unsigned, int);
extern void (*real_closefrom)(int);
extern int (*real_chroot)(const char *);
extern int (*real_listen)(int, int);
extern int (*real_getsockname)(int, struct sockaddr *, socklen_t *);

/* Out of line, for KASHIM_REAL: look @symbol up, store it in *@slot and
 * return it (NULL if absent). */
void *kashim_lookup_real(void **slot, const char *symbol);

/* Evaluates to libc's function for @ptr (e.g. real_socket), resolving it on
 * first use. Races are benign: every thread stores the same address. On the
 * hot path one load and one test: the look-up is a call away, so the hooks
 * keep no register for it (a statement expression, GCC and Clang). */
#define KASHIM_REAL(ptr, symbol)                                                       \
	__extension__({                                                                \
		__typeof__(ptr) kashim_fn_ = __atomic_load_n(&(ptr), __ATOMIC_RELAXED); \
		if (KASHIM_UNLIKELY(kashim_fn_ == NULL))                               \
			kashim_fn_ = (__typeof__(ptr))kashim_lookup_real((void **)&(ptr), symbol); \
		kashim_fn_;                                                            \
	})

/* ---- the resolved settings (init.c) ------------------------------------ */

/* One setsockopt() call, precomputed once so the hooks only loop. */
struct kashim_sockopt {
	int level;
	int name;
	int value;
};

struct kashim_rt_rules; /* rules.h */

struct kashim_runtime {
	bool enabled;               /* keepalive on for this program */
	bool override;              /* keep our values against the program's setsockopt */
	bool debug;                 /* KASHIM_DEBUG: log every decision */
	enum kashim_log_to log_dest;  /* KASHIM_LOG, parsed by config/settings.c */
	unsigned nopts;
	struct kashim_sockopt opts[5];
	struct kashim_settings settings;
	const struct kashim_rt_rules *rules; /* destination/listen rules, or NULL */
	char program[64];           /* for log lines */
	char log_path[256];
};

/* kashim_state: UNINIT, BUSY (one thread is reading the settings) or
 * READY (kashim_rt is final). */
enum { KASHIM_UNINIT, KASHIM_BUSY, KASHIM_READY };
extern _Atomic int kashim_state;
extern struct kashim_runtime kashim_rt;

/* Slow path of kashim_runtime(): the first caller reads the settings; a
 * caller that finds another thread doing it (or its own thread, from a
 * signal handler or a library loaded meanwhile) gets NULL at once and never
 * waits: it passes the call through and leaves the socket to the pending
 * list (pending.c), or to connect()/accept(). */
const struct kashim_runtime *kashim_runtime_init(void);

/* The settings for this process, immutable once returned, or NULL while
 * another thread is reading them. The first call reads the environment
 * captured at load and the config file; later calls cost one load. */
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

/* Bitmap of fds kashim has already decided about ("decided"): created
 * through socket(), adopted once, or chosen for by the program. It follows
 * the fd table: close(), close_range() and closefrom() clear bits, dup(),
 * dup2(), dup3() and fcntl(F_DUPFD*) copy them. connect()/accept() on a
 * decided fd cost no system call. fds at or beyond the map (1 << 20, the
 * default fs.nr_open) are treated as decided: socket() still configures
 * them, but an inherited socket there is never adopted. */
#define KASHIM_FDMAP_FDS (1 << 20)
#define KASHIM_FDMAP_WORD_BITS (8 * sizeof(unsigned long))
extern _Atomic unsigned long kashim_fdmap[KASHIM_FDMAP_FDS / KASHIM_FDMAP_WORD_BITS];

/* These two run on every socket(), connect() and accept(). (unsigned)fd:
 * negative fds fall beyond the map. On x86-64 the map is addressed as the
 * bit string it is: one bt / lock bts instead of five instructions of
 * shifts and masks (make bench counts instructions). */
#if defined(__x86_64__)
#define KASHIM_FDMAP_BITS (*(unsigned long(*)[KASHIM_FDMAP_FDS / KASHIM_FDMAP_WORD_BITS])kashim_fdmap)

/* 32-bit bit offsets (btl): the fd's own register, no zero-extension, once
 * it is known to be below the map's size. */
static inline bool kashim_fd_decided(int fd)
{
	unsigned u = (unsigned)fd;
	bool decided;

	if (u >= KASHIM_FDMAP_FDS)
		return true;
	__asm__("btl %2, %1" : "=@ccc"(decided) : "m"(KASHIM_FDMAP_BITS), "r"(u));
	return decided;
}

static inline void kashim_fd_decide(int fd)
{
	unsigned u = (unsigned)fd;

	if (u < KASHIM_FDMAP_FDS)
		__asm__ volatile("lock btsl %1, %0" : "+m"(KASHIM_FDMAP_BITS) : "r"(u) : "cc");
}

/* Clear @fd's bit; @fd is known to be below KASHIM_FDMAP_FDS. */
static inline void kashim_fd_clear(int fd)
{
	__asm__ volatile("lock btrl %1, %0" : "+m"(KASHIM_FDMAP_BITS) : "r"((unsigned)fd) : "cc");
}

/* The fd number is closed (or about to be reused): forget what kashim
 * decided about it. A plain bit test first: most fds closed are files. */
static inline void kashim_fd_forget(int fd)
{
	if (kashim_fd_decided(fd) && (unsigned)fd < KASHIM_FDMAP_FDS)
		kashim_fd_clear(fd);
}
#else
static inline bool kashim_fd_decided(int fd)
{
	unsigned u = (unsigned)fd;

	if (u >= KASHIM_FDMAP_FDS)
		return true;
	return atomic_load_explicit(&kashim_fdmap[u / KASHIM_FDMAP_WORD_BITS], memory_order_relaxed) &
	       (1UL << (u % KASHIM_FDMAP_WORD_BITS));
}

static inline void kashim_fd_decide(int fd)
{
	unsigned u = (unsigned)fd;

	if (u < KASHIM_FDMAP_FDS)
		atomic_fetch_or_explicit(&kashim_fdmap[u / KASHIM_FDMAP_WORD_BITS],
					 1UL << (u % KASHIM_FDMAP_WORD_BITS), memory_order_relaxed);
}

static inline void kashim_fd_clear(int fd)
{
	unsigned u = (unsigned)fd;

	atomic_fetch_and_explicit(&kashim_fdmap[u / KASHIM_FDMAP_WORD_BITS], ~(1UL << (u % KASHIM_FDMAP_WORD_BITS)),
				  memory_order_relaxed);
}

static inline void kashim_fd_forget(int fd)
{
	if ((unsigned)fd < KASHIM_FDMAP_FDS && kashim_fd_decided(fd))
		kashim_fd_clear(fd);
}
#endif

/* @to now refers to what @from refers to (dup, dup2, fcntl F_DUPFD): it
 * gets @from's mark. */
static inline void kashim_fd_copy(int from, int to)
{
	if (kashim_fd_decided(from))
		kashim_fd_decide(to);
	else
		kashim_fd_forget(to);
}

/* Forget every fd in [@first, @last] (close_range, closefrom). */
void kashim_fd_forget_range(unsigned first, unsigned last);

/* close(): libc's close, or, until it is known, a stand-in that looks it
 * up; never NULL, so close() needs no test. */
int kashim_close_first(int fd);

/* What the hooks do, decided once the settings are known, so that the hot
 * paths test one byte: CONFIGURE (keepalive on, no debug log, the 4 usual
 * options first, setsockopt resolved) or LEAVE (keepalive off for this
 * program, no debug log: every hook passes straight through, and no fd is
 * decided or adopted). RULES: the configuration has destination or listen
 * rules: connect() and listen() decide (rules.h). UNKNOWN: take the slow
 * paths. Stored with release by
 * kashim_mode_decide() after the settings are READY, loaded with acquire. */
enum { KASHIM_MODE_UNKNOWN, KASHIM_MODE_CONFIGURE, KASHIM_MODE_LEAVE, KASHIM_MODE_RULES };
extern _Atomic unsigned char kashim_mode;

static inline unsigned kashim_mode_now(void)
{
	return atomic_load_explicit(&kashim_mode, memory_order_acquire);
}

/* Set kashim_mode from @rt (READY). */
void kashim_mode_decide(const struct kashim_runtime *rt);

/* Make the precomputed setsockopt() calls on @fd. errno is preserved; a
 * failure is logged once per process and never reported to the program. */
void kashim_apply(int fd, const struct kashim_runtime *rt, const char *why);

/* Out of line, for socket()'s inlined calls: option @o failed on @fd with
 * the errno libc set. Logs it (once per process, or always under
 * KASHIM_DEBUG); the caller restores errno. */
void kashim_apply_failed(int fd, const struct kashim_runtime *rt, const struct kashim_sockopt *o);

/* For a socket kashim did not create (inherited, socket-activated, made with
 * syscall()): mark @fd decided and, if it is TCP, configure it. With override off,
 * a socket that already has SO_KEEPALIVE on is left as its owner set it.
 * While the settings are being read by another thread it does nothing and
 * returns false (@fd stays undecided). Returns true when kashim configured
 * it. errno is preserved. */
bool kashim_adopt(int fd, const char *why);

/* True for a TCP or MPTCP socket (SO_PROTOCOL), without touching errno. */
bool kashim_fd_is_tcp(int fd);

/* The setsockopt() calls settings @s ask for, into @opts: SO_KEEPALIVE and
 * the 3 TCP_KEEP* first, TCP_USER_TIMEOUT when above 0. Returns how many
 * (0 when keepalive is off). */
unsigned kashim_sockopts_from(const struct kashim_settings *s, struct kashim_sockopt opts[5]);

/* True for a listening socket (SO_ACCEPTCONN), without touching errno. */
bool kashim_is_listening(int fd);

/* True when @fd already has SO_KEEPALIVE on (its owner chose keepalive, or
 * it was copied from a listener that has it), without touching errno. */
bool kashim_has_keepalive(int fd);

/* True when @fd, which has SO_KEEPALIVE on, has the values of @opts[1..@n)
 * (the options after SO_KEEPALIVE): set by kashim a moment ago, or chosen
 * identical. errno preserved. */
bool kashim_has_values(int fd, const struct kashim_sockopt *opts, unsigned n);

/* ---- sockets that appeared while the settings were being read (pending.c) */

/* Why a socket is pending: made by socket(), returned by accept() on a
 * listener kashim had not configured, and whether the program has since set
 * a keepalive option on it itself. */
enum {
	KASHIM_PENDING_SOCKET = 1u << 24,
	KASHIM_PENDING_ACCEPTED = 1u << 25,
	KASHIM_PENDING_CHOSEN = 1u << 26,
};

/* Number of pending entries: the list is looked at only when it is not 0. */
extern _Atomic unsigned kashim_pending_count;

/* Remember @fd, a TCP socket that appeared while the settings were not
 * known, for the thread reading them to configure when it is done (or for
 * the caller, if that thread finished meanwhile). False when the list is
 * full: the fd is left for connect()/accept() to adopt. */
bool kashim_pending_add(int fd, unsigned why);

/* Take @fd's socket out of the list; true (and *why) when it was there. */
bool kashim_pending_take(int fd, unsigned *why);

/* The program set a keepalive option on @fd while the settings were not
 * known: note it (adding @fd if needed), so the choice stands. */
void kashim_pending_chosen(int fd);

/* Configure (or leave, per the settings and @why) one pending socket. */
void kashim_pending_decide(int fd, unsigned why, const struct kashim_runtime *rt);

/* Called once by the thread that made kashim_rt READY: decide every entry. */
void kashim_pending_drain(const struct kashim_runtime *rt);

#pragma GCC visibility pop

#endif
