/* SPDX-License-Identifier: MIT */
/*
 * log.h - kashim's diagnostics (log.c): never to the program's stdout or
 * stderr unless KASHIM_LOG=stderr says so.
 */
#ifndef KASHIM_SHIM_LOG_H
#define KASHIM_SHIM_LOG_H

#include "../config/kashim_settings.h"

#pragma GCC visibility push(hidden)

void kashim_log(enum kashim_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
extern const struct kashim_logger kashim_logger;

#pragma GCC visibility pop

#endif
