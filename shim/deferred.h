/* SPDX-License-Identifier: MIT */
/*
 * deferred.h - messages made at load, when the shim must not write yet,
 * logged at the first reading of the settings (deferred.c). Both load-time
 * constructors keep theirs here: load.c's (priority 101: the symbol walk,
 * the environment) and init.c's (102: KASHIM_CONFIG parsed at load).
 */
#ifndef KASHIM_SHIM_DEFERRED_H
#define KASHIM_SHIM_DEFERRED_H

#include "../config/kashim_settings.h"

#pragma GCC visibility push(hidden)

/* Keeps each message, in the order made, in a fixed static buffer; one
 * that does not fit is counted instead. Never allocates and never writes.
 * For load only (the constructors, ld.so's lock held): no lock of its own. */
extern const struct kashim_logger kashim_deferred_logger;

/* Log every message kept, in order, as a warning, then one line saying
 * how many did not fit (none when all did). Called once, by the first
 * reading of the settings (init.c). */
void kashim_deferred_report(void);

#pragma GCC visibility pop

#endif
