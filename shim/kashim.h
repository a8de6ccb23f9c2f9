/* SPDX-License-Identifier: MIT */
/*
 * kashim.h - the shim's modules, for the files that use several. Nothing
 * here is exported: the library is built with -fvisibility=hidden, each
 * header declares its names hidden (so the hooks load kashim_rt, real_socket
 * ... directly instead of through the GOT), and only the interposed libc
 * functions carry KASHIM_EXPORT.
 */
#ifndef KASHIM_SHIM_H
#define KASHIM_SHIM_H

#include "apply.h"
#include "compiler.h"
#include "fdstate.h"
#include "log.h"
#include "pending.h"
#include "real.h"
#include "runtime.h"

#endif
