# SPDX-License-Identifier: MIT
# ka-run (tools/*.c): runs a command with the shim preloaded, checks its
# options with config/'s parsers, explains settings (--check) and writes
# systemd drop-ins. Built twice: build/ka-run for the source tree (finds the
# library beside itself), and build/install/ka-run for make install, with
# the installed library's path compiled in.
KARUN_SRC := tools/ka-run.c tools/command.c tools/explain.c tools/dropin.c tools/kashim-inspect.c \
             tools/compiled_status.c
KARUN_OBJ := $(KARUN_SRC:%.c=$(B)/obj/%.o) $(B)/obj/config/conffile.o $(B)/obj/config/glob.o \
             $(B)/obj/config/compiled.o $(B)/obj/config/compiled_write.o $(B)/obj/config/rules.o \
             $(B)/obj/config/settings.o
KARUN := $(B)/ka-run
KARUN_INSTALLED := $(B)/install/ka-run

$(B)/obj/tools/%.o: tools/%.c $(B)/.flags | $(B)/.deps-build
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(KASHIM_CFLAGS) $(CONFUSE_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(KARUN): $(KARUN_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(CONFUSE_LIBS)

# Rebuilt on every install: LIBDIR may differ from one call to the next.
.PHONY: $(KARUN_INSTALLED)
$(KARUN_INSTALLED): $(filter-out $(B)/obj/tools/command.o,$(KARUN_OBJ))
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(KASHIM_CFLAGS) $(CONFUSE_CFLAGS) $(CFLAGS) \
		-DKASHIM_INSTALLED_LIB='"$(LIBDIR)/libkashim.so"' -c tools/command.c -o $(B)/install/command.o
	$(CC) $(LDFLAGS) -o $@ $^ $(B)/install/command.o $(CONFUSE_LIBS)

all: $(KARUN)
CHECK_DEPS += $(KARUN)

# For tests/karun/preload.t: a ka-run built as make install builds it, with
# a compiled-in library path inside the build tree.
KARUN_TEST_INSTALLED := $(B)/tests/karun/ka-run-installed
$(KARUN_TEST_INSTALLED): $(filter-out $(B)/obj/tools/command.o,$(KARUN_OBJ)) tools/command.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(KASHIM_CFLAGS) $(CONFUSE_CFLAGS) $(CFLAGS) \
		-DKASHIM_INSTALLED_LIB='"$(abspath $(B))/tests/karun/installed/libkashim.so"' \
		-c tools/command.c -o $(B)/tests/karun/command.o
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(B)/tests/karun/command.o $(CONFUSE_LIBS)
CHECK_DEPS += $(KARUN_TEST_INSTALLED)
