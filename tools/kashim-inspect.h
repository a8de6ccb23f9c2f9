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

#endif
