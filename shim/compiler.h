/* SPDX-License-Identifier: MIT */
/*
 * compiler.h - branch hints shared by the shim's files.
 */
#ifndef KASHIM_SHIM_COMPILER_H
#define KASHIM_SHIM_COMPILER_H

#define KASHIM_LIKELY(x) __builtin_expect(!!(x), 1)
#define KASHIM_UNLIKELY(x) __builtin_expect(!!(x), 0)

#endif
