/* SPDX-License-Identifier: MIT */
/*
 * kashim-inspect.h - what an executable file tells about whether LD_PRELOAD
 * can reach the process it starts. Used by kashim-check (--inspect, and the
 * --check report) so that ka-run, a shell script, need not parse ELF.
 */
#ifndef KASHIM_INSPECT_H
#define KASHIM_INSPECT_H

#include <limits.h>
#include <stdbool.h>

struct kashim_exe_info {
	bool readable;      /* the file could be opened and read */
	bool is_elf;        /* an ELF file for this machine's byte order */
	bool is_static;     /* ELF without PT_INTERP: no dynamic loader, no preload */
	bool is_go;         /* Go toolchain sections: makes its own system calls */
	bool is_script;     /* starts with "#!" */
	bool secure_exec;   /* set-user-ID/set-group-ID/file capabilities that
	                       put the loader in secure-execution mode for the
	                       caller: LD_PRELOAD paths with slashes are ignored */
	bool setuid, setgid, file_caps; /* which of them */
	char interp[PATH_MAX];          /* for a script: the interpreter's path */
	char interp_arg[256];           /* and its optional argument */
};

/*
 * Inspect @path (a path to an existing file). Never fails: what cannot be
 * read is reported as readable = false with the rest false. Reads only the
 * ELF header, the program headers and the section names, so it is cheap
 * enough for ka-run to call before every exec.
 */
void kashim_inspect_exe(const char *path, struct kashim_exe_info *info);

#endif
