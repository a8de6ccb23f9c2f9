/* SPDX-License-Identifier: MIT */
/*
 * kashim-inspect.h - what an executable file tells about whether LD_PRELOAD
 * can reach the process it starts. Used by ka-run (its warnings and the
 * --check report).
 */
#ifndef KASHIM_INSPECT_H
#define KASHIM_INSPECT_H

#include <limits.h>
#include <stdbool.h>

struct kashim_exe_info {
	bool is_elf;        /* an ELF file for this machine's byte order */
	bool is_static;     /* ELF without PT_INTERP: no dynamic loader, no preload */
	bool is_go;         /* Go toolchain sections: makes its own system calls */
	bool is_script;     /* starts with "#!" */
	/* Set-user-ID, set-group-ID, file capabilities: each puts the loader in
	 * secure-execution mode for the caller, where LD_PRELOAD paths with
	 * slashes are ignored. */
	bool setuid, setgid, file_caps;
	char interp[PATH_MAX];          /* for a script: the interpreter's path */
	char interp_arg[256];           /* and its optional argument */
};

/*
 * Inspect @path (a path to an existing file). Never fails: what cannot be
 * read is reported with every field false. Reads only the
 * ELF header, the program headers and the section names, so it is cheap
 * enough for ka-run to call before every exec.
 */
void kashim_inspect_exe(const char *path, struct kashim_exe_info *info);

/* The C library an ELF file is built for: a libkashim.so preloaded into a
 * program of the other one is a fatal loader error. */
enum kashim_libc {
	KASHIM_LIBC_UNKNOWN, /* unreadable, not ELF, or a loader we do not know */
	KASHIM_LIBC_NONE,    /* ELF with no loader and no libc: static */
	KASHIM_LIBC_GLIBC,   /* PT_INTERP ld-linux*, or DT_NEEDED libc.so.6 */
	KASHIM_LIBC_MUSL,    /* PT_INTERP ld-musl-*, or DT_NEEDED libc.so */
};

/*
 * The C library of @path: an executable's from its PT_INTERP, a shared
 * library's from its DT_NEEDED entries; a "#!" script's is its
 * interpreter's (one level). Never fails (UNKNOWN).
 */
enum kashim_libc kashim_inspect_libc(const char *path);

/* "glibc", "musl", "static" or "unknown". */
const char *kashim_libc_name(enum kashim_libc libc);

#endif
