/* SPDX-License-Identifier: MIT */
/*
 * fields.h - the one table of kashim's settings. Everything that names a
 * setting is generated from it: struct kashim_settings' enum, the
 * environment reader and the keepalive.conf keys (config/), libconfuse's
 * options (config/conffile.c), ka-run's options, usage and --check lines
 * (tools/), ka-status's columns (status/) and kashim-bpf's profile and
 * application bits (bpf/). Adding a setting is a row here plus the code
 * that truly differs (how the shim and the BPF program apply it).
 *
 * Macros only, no #include: the BPF program includes it too. The socket
 * level and option are spelled symbolically and expand where used.
 *
 * KASHIM_FIELDS(X) calls, per setting, in this order (its enum order):
 *
 *   X(ID, NAME, KIND, MIN, MAX, DEFAULT, LEVEL, OPTION, BPF_BIT,
 *     ENV, LIBKEEPALIVE, SHORT, LONG, ARG, UNIT, COLUMN, HELP)
 *
 *   ID            KASHIM_F_<ID>, KARUN_<ID>, KASHIM_BPF_APP_<ID>
 *   NAME          the keepalive.conf key, struct kashim_settings' member,
 *                 ka-status's JSON key
 *   KIND          BOOL (on/off), INT (a whole number in MIN..MAX) or MS
 *                 (milliseconds in MIN..MAX, or "auto")
 *   MIN, MAX      the inclusive range (the kernel's: MAX_TCP_KEEP*)
 *   DEFAULT       kashim's value when nothing sets it
 *   LEVEL, OPTION the setsockopt() that carries it; -1, -1 for none
 *   BPF_BIT       kashim-bpf's record that the application set it; 0 none
 *   ENV           kashim's variable
 *   LIBKEEPALIVE  libkeepalive's variable (its users switch by changing
 *                 LD_PRELOAD only), NULL where it has none
 *   SHORT, LONG   ka-run's and kashim-bpf's option: 0 when it has no
 *                 short one; a BOOL's option takes no value and sets the
 *                 opposite of DEFAULT
 *   ARG           the option's value in usage lines, NULL for a BOOL
 *   UNIT          the unit in messages ("seconds"), "" for a BOOL
 *   COLUMN        ka-status's table header, NULL when it shows none
 *   HELP          the option's usage line, without range or variable
 */
#ifndef KASHIM_FIELDS_H
#define KASHIM_FIELDS_H

/* The kernel's ranges (MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL, MAX_TCP_KEEPCNT;
 * TCP_USER_TIMEOUT takes an int). */
#define KASHIM_IDLE_MAX 32767
#define KASHIM_INTERVAL_MAX 32767
#define KASHIM_COUNT_MAX 127
#define KASHIM_USER_TIMEOUT_MAX 2147483647L

#define KASHIM_FIELDS(X)                                                                          \
	X(KEEPALIVE, keepalive, BOOL, 0, 1, 1, SOL_SOCKET, SO_KEEPALIVE, 0x01,                    \
	  "KASHIM_KEEPALIVE", "KEEPALIVE", 0, "off", NULL, "", "KEEPALIVE",                       \
	  "leave keepalive off")                                                                  \
	X(IDLE, idle, INT, 1, KASHIM_IDLE_MAX, 60, IPPROTO_TCP, TCP_KEEPIDLE, 0x02,               \
	  "KASHIM_IDLE", "KEEPIDLE", 'i', "idle", "SECONDS", "seconds", "IDLE(s)",                \
	  "idle time before the first probe")                                                     \
	X(INTERVAL, interval, INT, 1, KASHIM_INTERVAL_MAX, 10, IPPROTO_TCP, TCP_KEEPINTVL, 0x04,  \
	  "KASHIM_INTERVAL", "KEEPINTVL", 'n', "interval", "SECONDS", "seconds", "INTVL(s)",      \
	  "time between unanswered probes")                                                       \
	X(COUNT, count, INT, 1, KASHIM_COUNT_MAX, 5, IPPROTO_TCP, TCP_KEEPCNT, 0x08,              \
	  "KASHIM_COUNT", "KEEPCNT", 'k', "count", "COUNT", "probes", "CNT",                      \
	  "unanswered probes before the connection is dropped")                                   \
	X(USER_TIMEOUT, user_timeout, MS, 0, KASHIM_USER_TIMEOUT_MAX, 0, IPPROTO_TCP,             \
	  TCP_USER_TIMEOUT, 0x10, "KASHIM_USER_TIMEOUT", NULL, 'u', "user-timeout", "MS|auto",    \
	  "milliseconds", "USER_TIMEOUT(ms)",                                                     \
	  "TCP_USER_TIMEOUT in milliseconds, 0 for the kernel's, or auto for "                    \
	  "(idle + interval * count) * 1000 up to the largest")                                   \
	X(OVERRIDE, override, BOOL, 0, 1, 0, -1, -1, 0, "KASHIM_OVERRIDE", NULL, 0, "override",   \
	  NULL, "", NULL, "ignore the program's own keepalive setsockopt() calls")

/* How many rows the table has (KASHIM_NFIELDS, as a constant expression). */
#define KASHIM_FIELD_COUNT_ONE(ID, ...) +1
#define KASHIM_FIELDS_N (0 KASHIM_FIELDS(KASHIM_FIELD_COUNT_ONE))

#endif
