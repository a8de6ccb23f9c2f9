/* SPDX-License-Identifier: MIT */
/*
 * kashim-inspect.c - read just enough of an executable to tell whether a
 * preloaded library can reach it: PT_INTERP (no loader, no preload), Go
 * sections (its own system calls), set-ID bits and file capabilities
 * (secure-execution mode ignores LD_PRELOAD paths with slashes), "#!".
 */
#define _GNU_SOURCE
#include "kashim-inspect.h"

#include <elf.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

/* Bounds on what a sane executable has; larger values mean a damaged or
 * hostile file, and reading less is the safe answer. */
#define MAX_PHDRS 4096
#define MAX_SHDRS 65535

/* The fields kashim needs from either ELF class, widened to 64 bits. */
struct elf_view {
	bool is64;
	uint64_t phoff, shoff;
	unsigned phentsize, phnum, shentsize, shnum, shstrndx;
};

/* pread exactly @len bytes at @off. */
static bool read_at(int fd, void *buf, size_t len, uint64_t off)
{
	return off <= (uint64_t)INT64_MAX && pread(fd, buf, len, (off_t)off) == (ssize_t)len;
}

/* Fill @v from the ELF header at the start of @fd. False when the file is
 * not an ELF file of this machine's byte order (which this host cannot
 * run with its loader anyway). */
static bool read_elf_header(int fd, struct elf_view *v)
{
	union {
		unsigned char ident[EI_NIDENT];
		Elf32_Ehdr e32;
		Elf64_Ehdr e64;
	} h;
	const unsigned char native = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB;

	if (!read_at(fd, &h, sizeof h.e32, 0) || memcmp(h.ident, ELFMAG, SELFMAG) != 0 ||
	    h.ident[EI_DATA] != native)
		return false;
	if (h.ident[EI_CLASS] == ELFCLASS64) {
		if (!read_at(fd, &h, sizeof h.e64, 0))
			return false;
		*v = (struct elf_view){true, h.e64.e_phoff, h.e64.e_shoff, h.e64.e_phentsize,
				       h.e64.e_phnum, h.e64.e_shentsize, h.e64.e_shnum, h.e64.e_shstrndx};
		return v->phentsize >= sizeof(Elf64_Phdr) || v->phnum == 0;
	}
	if (h.ident[EI_CLASS] == ELFCLASS32) {
		*v = (struct elf_view){false, h.e32.e_phoff, h.e32.e_shoff, h.e32.e_phentsize,
				       h.e32.e_phnum, h.e32.e_shentsize, h.e32.e_shnum, h.e32.e_shstrndx};
		return v->phentsize >= sizeof(Elf32_Phdr) || v->phnum == 0;
	}
	return false;
}

/* True when a program header of type PT_INTERP names a dynamic loader.
 * p_type is the first 32-bit field of both classes' program headers. */
static bool has_interp(int fd, const struct elf_view *v)
{
	for (unsigned i = 0; i < v->phnum && i < MAX_PHDRS; i++) {
		uint32_t type;

		if (!read_at(fd, &type, sizeof type, v->phoff + (uint64_t)i * v->phentsize))
			return false;
		if (type == PT_INTERP)
			return true;
	}
	return false;
}

/* Offset and size of section @index, from its section header. */
static bool section_span(int fd, const struct elf_view *v, unsigned index, uint64_t *off,
			 uint64_t *size, uint32_t *name)
{
	uint64_t at = v->shoff + (uint64_t)index * v->shentsize;

	if (v->is64) {
		Elf64_Shdr sh;

		if (v->shentsize < sizeof sh || !read_at(fd, &sh, sizeof sh, at))
			return false;
		*off = sh.sh_offset, *size = sh.sh_size, *name = sh.sh_name;
	} else {
		Elf32_Shdr sh;

		if (v->shentsize < sizeof sh || !read_at(fd, &sh, sizeof sh, at))
			return false;
		*off = sh.sh_offset, *size = sh.sh_size, *name = sh.sh_name;
	}
	return true;
}

/* True when a section is named like the Go toolchain's (.go.buildinfo,
 * .note.go.buildid): such a program issues its socket system calls itself,
 * whatever its PT_INTERP says, so no preload sees them. */
static bool has_go_sections(int fd, const struct elf_view *v)
{
	uint64_t str_off, str_size, off, size;
	uint32_t name;

	/* shnum 0 with sections means extended numbering: too rare to chase. */
	if (v->shnum == 0 || v->shnum > MAX_SHDRS || v->shstrndx >= v->shnum ||
	    !section_span(fd, v, v->shstrndx, &str_off, &str_size, &name))
		return false;
	for (unsigned i = 0; i < v->shnum; i++) {
		char sname[32];

		if (!section_span(fd, v, i, &off, &size, &name) || name >= str_size)
			continue;
		memset(sname, 0, sizeof sname);
		if (pread(fd, sname, sizeof sname - 1, (off_t)(str_off + name)) <= 0)
			continue;
		if (!strcmp(sname, ".go.buildinfo") || !strcmp(sname, ".note.go.buildid"))
			return true;
	}
	return false;
}

/* "#!/path/interp [arg]": store the interpreter and its argument as the
 * kernel would split them (one optional argument, the rest of the line). */
static bool read_shebang(int fd, struct kashim_exe_info *info)
{
	char line[PATH_MAX + 256];
	ssize_t n = pread(fd, line, sizeof line - 1, 0);
	char *p, *end;

	if (n < 2 || line[0] != '#' || line[1] != '!')
		return false;
	line[n] = '\0';
	end = strchr(line, '\n');
	if (end)
		*end = '\0';
	for (p = line + 2; *p == ' ' || *p == '\t'; p++)
		;
	end = p + strcspn(p, " \t");
	snprintf(info->interp, sizeof info->interp, "%.*s", (int)(end - p), p);
	for (p = end; *p == ' ' || *p == '\t'; p++)
		;
	/* The kernel keeps the argument whole, trailing blanks stripped. */
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	snprintf(info->interp_arg, sizeof info->interp_arg, "%.*s", (int)(end - p), p);
	return true;
}

/* Would exec(@path) by this process run in secure-execution mode? The
 * set-ID bits count only when they change the id (root running a root-owned
 * set-user-ID file is not secure-execution) and the mount honours them. */
static void check_secure_exec(const char *path, const struct stat *st, struct kashim_exe_info *info)
{
	struct statvfs vfs;
	bool nosuid = statvfs(path, &vfs) == 0 && (vfs.f_flag & ST_NOSUID);

	if (nosuid)
		return;
	info->setuid = (st->st_mode & S_ISUID) && st->st_uid != getuid();
	/* Set-group-ID without group execute marks mandatory locking, not set-ID. */
	info->setgid = (st->st_mode & S_ISGID) && (st->st_mode & S_IXGRP) && st->st_gid != getgid();
	/* Root already holds every capability: file capabilities add nothing. */
	info->file_caps = getuid() != 0 && getxattr(path, "security.capability", NULL, 0) > 0;
}

void kashim_inspect_exe(const char *path, struct kashim_exe_info *info)
{
	struct elf_view v;
	struct stat st;
	int fd;

	memset(info, 0, sizeof *info);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		if (read_elf_header(fd, &v)) {
			info->is_elf = true;
			info->is_static = !has_interp(fd, &v);
			info->is_go = has_go_sections(fd, &v);
			check_secure_exec(path, &st, info);
		} else {
			/* Linux ignores set-ID bits on scripts. */
			info->is_script = read_shebang(fd, info);
		}
	}
	close(fd);
}

/* The loader named by PT_INTERP, into @buf; false when there is none. */
static bool read_interp(int fd, const struct elf_view *v, char *buf, size_t len)
{
	for (unsigned i = 0; i < v->phnum && i < MAX_PHDRS; i++) {
		uint64_t at = v->phoff + (uint64_t)i * v->phentsize, off, size;

		if (v->is64) {
			Elf64_Phdr ph;

			if (!read_at(fd, &ph, sizeof ph, at))
				return false;
			if (ph.p_type != PT_INTERP)
				continue;
			off = ph.p_offset, size = ph.p_filesz;
		} else {
			Elf32_Phdr ph;

			if (!read_at(fd, &ph, sizeof ph, at))
				return false;
			if (ph.p_type != PT_INTERP)
				continue;
			off = ph.p_offset, size = ph.p_filesz;
		}
		if (size == 0 || size >= len || !read_at(fd, buf, size, off))
			return false;
		buf[size] = '\0';
		return true;
	}
	return false;
}

/* The libc a shared object needs, from its .dynamic section's DT_NEEDED
 * names (found through the section headers, which strip keeps). */
static enum kashim_libc needed_libc(int fd, const struct elf_view *v)
{
	if (v->shnum == 0 || v->shnum > MAX_SHDRS)
		return KASHIM_LIBC_UNKNOWN;
	for (unsigned i = 0; i < v->shnum; i++) {
		uint64_t at = v->shoff + (uint64_t)i * v->shentsize, dyn_off, dyn_size, str_off, str_size;
		uint32_t type, link, name;
		size_t entsize = v->is64 ? sizeof(Elf64_Dyn) : sizeof(Elf32_Dyn);

		/* sh_type is at offset 4 in both classes' section headers;
		 * sh_link at 40 (ELF64) or 24 (ELF32). */
		if (!read_at(fd, &type, sizeof type, at + 4) || type != SHT_DYNAMIC)
			continue;
		if (!read_at(fd, &link, sizeof link, at + (v->is64 ? 40 : 24)) ||
		    !section_span(fd, v, i, &dyn_off, &dyn_size, &name) ||
		    !section_span(fd, v, link, &str_off, &str_size, &name))
			return KASHIM_LIBC_UNKNOWN;
		for (uint64_t d = 0; d + entsize <= dyn_size && d < 4096 * entsize; d += entsize) {
			int64_t tag;
			uint64_t val;
			char lib[16];

			if (v->is64) {
				Elf64_Dyn e;

				if (!read_at(fd, &e, sizeof e, dyn_off + d))
					break;
				tag = e.d_tag, val = e.d_un.d_val;
			} else {
				Elf32_Dyn e;

				if (!read_at(fd, &e, sizeof e, dyn_off + d))
					break;
				tag = e.d_tag, val = e.d_un.d_val;
			}
			if (tag == DT_NULL)
				break;
			if (tag != DT_NEEDED || val >= str_size)
				continue;
			memset(lib, 0, sizeof lib);
			if (pread(fd, lib, sizeof lib - 1, (off_t)(str_off + val)) <= 0)
				continue;
			if (!strcmp(lib, "libc.so.6"))
				return KASHIM_LIBC_GLIBC;
			if (!strcmp(lib, "libc.so"))
				return KASHIM_LIBC_MUSL;
		}
		return KASHIM_LIBC_UNKNOWN;
	}
	return KASHIM_LIBC_NONE;
}

/* kashim_inspect_libc without following "#!". */
static enum kashim_libc elf_libc(const char *path, bool *script, char *interp, size_t len)
{
	enum kashim_libc libc = KASHIM_LIBC_UNKNOWN;
	struct kashim_exe_info info;
	struct elf_view v;
	char loader[PATH_MAX];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	*script = false;
	if (fd < 0)
		return libc;
	if (read_elf_header(fd, &v)) {
		if (read_interp(fd, &v, loader, sizeof loader)) {
			const char *base = strrchr(loader, '/') ? strrchr(loader, '/') + 1 : loader;

			if (!strncmp(base, "ld-musl-", 8))
				libc = KASHIM_LIBC_MUSL;
			else if (!strncmp(base, "ld-linux", 8) || !strncmp(base, "ld.so", 5))
				libc = KASHIM_LIBC_GLIBC;
		} else {
			libc = needed_libc(fd, &v);
		}
	} else if (memset(&info, 0, sizeof info), read_shebang(fd, &info)) {
		*script = true;
		snprintf(interp, len, "%s", info.interp);
	}
	close(fd);
	return libc;
}

enum kashim_libc kashim_inspect_libc(const char *path)
{
	char interp[PATH_MAX];
	bool script;
	enum kashim_libc libc = elf_libc(path, &script, interp, sizeof interp);

	if (script)
		libc = elf_libc(interp, &script, interp, sizeof interp);
	return libc;
}

const char *kashim_libc_name(enum kashim_libc libc)
{
	switch (libc) {
	case KASHIM_LIBC_GLIBC:
		return "glibc";
	case KASHIM_LIBC_MUSL:
		return "musl";
	case KASHIM_LIBC_NONE:
		return "static";
	default:
		return "unknown";
	}
}
