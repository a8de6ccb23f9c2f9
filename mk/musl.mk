# SPDX-License-Identifier: MIT
# musl.mk - `make MUSL=1`: the shim, its config reader and the tools built
# with musl-gcc (Debian's musl-tools) into build-musl/, for musl systems
# (Alpine) and musl containers. The config reader links libconfuse
# statically, so it needs nothing but musl's libc.so: libconfuse is built
# from Debian's source package (scripts/debian-source; never kept in this
# tree) into build-musl/confuse/. Its config.h is fuzz/confuse-config.h:
# musl 1.2.3 has every function it declares present.
# Without MUSL, `make musl` runs that build (make check needs it), and the
# test programs of tests/package/musl.t are built for glibc here.

MUSL_PROBE_SRC := tests/package/probe.c

ifdef MUSL
CONFUSE_B := $(B)/confuse
CONFUSE_A := $(CONFUSE_B)/libconfuse.a
CONFUSE_CFLAGS := -I$(CONFUSE_B)/include
CONFUSE_LIBS := $(CONFUSE_A)

$(B)/.deps-musl:
	@scripts/install-deps $(KASHIM_DEPS_MODE) musl
	@mkdir -p $(B) && touch $@
$(B)/.deps-build: | $(B)/.deps-musl

# -fPIC: the archive goes into the config reader, a shared object.
$(CONFUSE_A): fuzz/confuse-config.h | $(B)/.deps-build
	scripts/debian-source libconfuse $(CONFUSE_B)/debian
	@mkdir -p $(CONFUSE_B)/include $(CONFUSE_B)/obj
	cp $(CONFUSE_B)/debian/src/src/confuse.h $(CONFUSE_B)/include/
	flex -Pcfg_yy -o$(CONFUSE_B)/obj/lexer.c $(CONFUSE_B)/debian/src/src/lexer.l
	$(CC) -O2 -g -fPIC -w -include fuzz/confuse-config.h -I$(CONFUSE_B)/debian/src/src \
		-c $(CONFUSE_B)/debian/src/src/confuse.c -o $(CONFUSE_B)/obj/confuse.o
	$(CC) -O2 -g -fPIC -w -include fuzz/confuse-config.h -I$(CONFUSE_B)/debian/src/src \
		-c $(CONFUSE_B)/obj/lexer.c -o $(CONFUSE_B)/obj/lexer.o
	ar rcs $@ $(CONFUSE_B)/obj/confuse.o $(CONFUSE_B)/obj/lexer.o

$(B)/obj/config/conffile.o: | $(CONFUSE_A)

# The test programs, built for musl.
all: $(B)/tests/probe
else
.PHONY: musl
musl: | $(B)/.deps-test
	$(MAKE) MUSL=1 all
CHECK_DEPS += musl $(B)/tests/probe
endif

$(B)/tests/probe: $(MUSL_PROBE_SRC)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -Wall -Wextra -Werror -O2 -g $(CFLAGS) -o $@ $<

ifndef MUSL
.PHONY: clean-musl
clean: clean-musl
clean-musl:
	rm -rf build-musl
endif
