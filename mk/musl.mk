# SPDX-License-Identifier: MIT
# musl.mk - `make MUSL=1`: the shim, its config reader and the tools built
# with musl-gcc (Debian's musl-tools) into build-musl/, for musl systems
# (Alpine) and musl containers; and `make PORTABLE=1`: the same for glibc
# into build-portable/, for images that do not have libconfuse (a volume
# mounted into any glibc container). In both, the config reader links
# libconfuse statically, so it needs nothing but the C library:
# libconfuse is built from Debian's source package (scripts/debian-source;
# never kept in this tree) into $(B)/confuse/, and its symbols are kept
# local to the reader (--exclude-libs), so a program that has its own
# libconfuse loaded never mixes the two. Its config.h is
# fuzz/confuse-config.h: musl 1.2.3 and glibc 2.36 have every function it
# declares present.
# Without MUSL or PORTABLE, `make musl portable` runs those builds (make
# check needs them), and the test programs of tests/package/*.t are built
# for glibc here.

MUSL_PROBE_SRC := tests/package/probe.c

ifneq ($(MUSL)$(PORTABLE),)
CONFUSE_B := $(B)/confuse
CONFUSE_A := $(CONFUSE_B)/libconfuse.a
CONFUSE_CFLAGS := -I$(CONFUSE_B)/include
CONFUSE_LIBS := -Wl,--exclude-libs,ALL $(CONFUSE_A)

# make MUSL=1 asks for its whole list in .deps-build (install-deps musl).
$(B)/.deps-musl:
	$(if $(MUSL),,@scripts/install-deps $(KASHIM_DEPS_MODE) source)
	@mkdir -p $(B) && touch $@

ifdef MUSL
# musl-gcc searches musl's headers only; ka-status reads BPF maps and needs
# the kernel's (linux/, asm/, asm-generic/ from linux-libc-dev), and only
# those: the rest of /usr/include is glibc's.
KERNEL_INCLUDE := $(B)/kernel-include
KASHIM_CFLAGS += -isystem $(KERNEL_INCLUDE)
$(B)/.deps-musl: | $(KERNEL_INCLUDE)
$(KERNEL_INCLUDE):
	@mkdir -p $@
	ln -sfn /usr/include/linux $@/linux
	ln -sfn /usr/include/asm-generic $@/asm-generic
	ln -sfn /usr/include/$(shell gcc -print-multiarch)/asm $@/asm
endif
$(B)/.deps-build: | $(B)/.deps-musl

# -fPIC: the archive goes into the config reader, a shared object.
# Debian's patches are applied only when its registry serves them: the fix
# for CVE-2022-40320 is applied here in any case (once: a source that
# already has it, by Debian's patches or an earlier build, is left alone).
CONFUSE_PATCHES := patches/libconfuse-CVE-2022-40320.patch
$(CONFUSE_A): fuzz/confuse-config.h $(CONFUSE_PATCHES) | $(B)/.deps-build
	scripts/debian-source libconfuse $(CONFUSE_B)/debian
	for p in $(CONFUSE_PATCHES); do \
		patch -f -s -R --dry-run -p1 -d $(CONFUSE_B)/debian/src <$$p >/dev/null 2>&1 || \
		patch -f -s -p1 -d $(CONFUSE_B)/debian/src <$$p || exit 1; done
	@mkdir -p $(CONFUSE_B)/include $(CONFUSE_B)/obj
	cp $(CONFUSE_B)/debian/src/src/confuse.h $(CONFUSE_B)/include/
	flex -Pcfg_yy -o$(CONFUSE_B)/obj/lexer.c $(CONFUSE_B)/debian/src/src/lexer.l
	$(CC) -O2 -g -fPIC -w -include fuzz/confuse-config.h -I$(CONFUSE_B)/debian/src/src \
		-c $(CONFUSE_B)/debian/src/src/confuse.c -o $(CONFUSE_B)/obj/confuse.o
	$(CC) -O2 -g -fPIC -w -include fuzz/confuse-config.h -I$(CONFUSE_B)/debian/src/src \
		-c $(CONFUSE_B)/obj/lexer.c -o $(CONFUSE_B)/obj/lexer.o
	ar rcs $@ $(CONFUSE_B)/obj/confuse.o $(CONFUSE_B)/obj/lexer.o

$(B)/obj/config/conffile.o: | $(CONFUSE_A)
$(PLUGIN) $(B)/kashim/kashim-check: $(CONFUSE_A)

# The test program, built with this build's C library.
all: $(B)/tests/probe
else
.PHONY: musl portable
musl: | $(B)/.deps-test
	$(MAKE) MUSL=1 all
portable: | $(B)/.deps-test
	$(MAKE) PORTABLE=1 KASHIM_BPF_SAID=1 all
CHECK_DEPS += musl portable $(B)/tests/probe
endif

$(B)/tests/probe: $(MUSL_PROBE_SRC)
	@mkdir -p $(dir $@)
	$(CC) $(KASHIM_WARN) -O2 -g $(CFLAGS) -o $@ $<

ifndef MUSL
.PHONY: clean-musl
clean: clean-musl
clean-musl:
	rm -rf build-musl build-portable
endif
