# SPDX-License-Identifier: MIT
# kashim - force TCP keepalive on programs that cannot be changed.
# Plain GNU make. Installation paths follow the usual variables; DESTDIR is
# honoured by install and uninstall.

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/kashim
SYSCONFDIR ?= /etc
VERSION    := 0.1.0

# make's built-in CC (cc) is not a choice: gcc unless CC comes from the
# command line or the environment. make MUSL=1 builds with musl-gcc into
# build-musl/ (mk/musl.mk); only CC on the command line overrides it.
# make PORTABLE=1: build-portable/, libconfuse linked into the config reader.
ifdef MUSL
ifneq ($(origin CC),command line)
CC := musl-gcc
endif
else ifeq ($(origin CC),default)
CC := gcc
endif
CFLAGS  ?= -O2 -g
# The one set of language and warning flags: every C file of the project,
# library, tools, tests and benchmarks alike, is built with it.
KASHIM_WARN := -std=c11 -Wall -Wextra -Werror -Wno-format-truncation
# Flags every object needs, whatever CFLAGS the user passes.
KASHIM_CFLAGS := $(KASHIM_WARN) -fPIC -fvisibility=hidden \
                 -DKASHIM_SYSCONF_PATH='"$(SYSCONFDIR)/keepalive.conf"' -DKASHIM_VERSION='"$(VERSION)"'
CONFUSE_CFLAGS = $(shell pkg-config --cflags libconfuse)
CONFUSE_LIBS   = $(shell pkg-config --libs libconfuse)
CHECK_CFLAGS   = $(shell pkg-config --cflags check)
CHECK_LIBS     = $(shell pkg-config --libs check)

B := $(if $(MUSL),build-musl,$(if $(PORTABLE),build-portable,build))
SHIM_SRC   := shim/load.c shim/deferred.c shim/elfsym.c shim/real.c shim/init.c shim/log.c \
              shim/apply.c shim/pending.c shim/socket.c shim/connect.c shim/accept.c \
              shim/setsockopt.c shim/close.c shim/dup.c shim/rules.c shim/fdstate.c shim/chroot.c \
              config/settings.c config/compiled.c config/glob.c
PLUGIN_SRC := config/conffile.c config/rules.c config/settings.c config/glob.c config/glibc-compat.c
SHIM_OBJ   := $(SHIM_SRC:%.c=$(B)/obj/%.o)
PLUGIN_OBJ := $(PLUGIN_SRC:%.c=$(B)/obj/%.o)

LIB    := $(B)/libkashim.so
PLUGIN := $(B)/kashim/libkashim-conf.so

.PHONY: all deps test-deps check demo bench clean install uninstall
all: $(LIB) $(PLUGIN)

# Build dependencies: `make` and `make install` only check for them (an
# unprivileged package build must not run apt-get) and name what is missing;
# the goals that run things (check, demo, bench...) install them first, so
# the README's two commands work on a fresh Debian 12.
KASHIM_INSTALL_GOALS := check demo bench check-asan check-valgrind deps test-deps
KASHIM_DEPS_MODE := $(if $(filter $(KASHIM_INSTALL_GOALS),$(MAKECMDGOALS)),,--check)
$(B)/.deps-build:
	@CC='$(CC)' scripts/install-deps $(KASHIM_DEPS_MODE) $(if $(MUSL),musl,build)
	@mkdir -p $(B) && touch $@
$(B)/.deps-test: | $(B)/.deps-build
	@scripts/install-deps $(KASHIM_DEPS_MODE) test
	@mkdir -p $(B) && touch $@
deps: $(B)/.deps-build
test-deps: $(B)/.deps-test

# Each object lists the headers it includes in a .d file beside it (-MMD),
# and depends on $(B)/.flags, which changes when the flags do (below).
$(B)/obj/%.o: %.c $(B)/.flags | $(B)/.deps-build
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(KASHIM_CFLAGS) $(CONFUSE_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

# The shim has no load-time dependency but libc: libconfuse comes in with the
# plugin, dlopen()ed on first need. -nostartfiles: without crtbeginS/crtendS
# (TM clone tables, __cxa_finalize, frame_dummy: nothing a C library with no
# atexit needs) ld.so resolves 4 fewer symbols in every process, about 2,800
# instructions (make bench, spawn). DT_INIT_ARRAY constructors still run.
# -z nodelete: the fork handler registered at the first reading of the
# settings points into this library, which must never be unloaded.
$(LIB): $(SHIM_OBJ) $(B)/.flags
	$(CC) -shared -nostartfiles -Wl,-z,defs -Wl,-z,nodelete -Wl,-soname,libkashim.so $(LDFLAGS) -o $@ \
		$(filter %.o,$^)

$(PLUGIN): $(PLUGIN_OBJ) $(B)/.flags
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-z,defs $(LDFLAGS) -o $@ $(filter %.o,$^) $(CONFUSE_LIBS)

include tests/unit/unit.mk
# Each part of the project adds its targets and what `make check` needs in a
# fragment of its own: mk/*.mk append to CHECK_DEPS, INSTALL_TARGETS...
CHECK_DEPS := $(UNIT_TESTS)
include $(sort $(wildcard mk/*.mk))

# The README's test command: unit tests, then every shell test (tests/*/*.t).
# Root-only tests (network namespaces, mounts) say SKIP, with why, otherwise.
# TESTS=PATTERN... runs only the files tests/run would select with them.
check: all $(CHECK_DEPS) | $(B)/.deps-test
	tests/run $(TESTS)

clean:
	rm -rf $(B)

# $(B)/.flags holds the compiler and flags of the last build: rewritten
# (so newer than every object) only when they change, so `make CFLAGS=-O0`
# after `make` rebuilds everything, and a plain `make` after it again.
KASHIM_FLAGS_NOW := $(strip $(CC) $(CPPFLAGS) $(KASHIM_CFLAGS) $(CONFUSE_CFLAGS) $(CFLAGS) $(LDFLAGS))
ifneq ($(KASHIM_FLAGS_NOW),$(strip $(file < $(B)/.flags)))
$(shell mkdir -p $(B))
$(file > $(B)/.flags,$(KASHIM_FLAGS_NOW))
endif
-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
