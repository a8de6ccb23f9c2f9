# SPDX-License-Identifier: MIT
# Check unit tests: the config code alone, and the shim on real sockets.
UNIT_CFLAGS := $(KASHIM_WARN) -g
# Check is asked for by the unit tests only: `make` builds without it.
$(B)/.deps-unit: | $(B)/.deps-build
	@scripts/install-deps $(KASHIM_DEPS_MODE) unit
	@mkdir -p $(B) && touch $@

$(B)/tests/test_config: tests/unit/main.c tests/unit/test_settings.c tests/unit/test_conffile.c tests/unit/test_rules.c \
                        tests/unit/test_compiled.c config/compiled.c config/compiled_write.c config/glob.c \
                        config/settings.c config/conffile.c config/rules.c $(wildcard tests/unit/*.h config/*.h) \
                        $(B)/.flags | $(B)/.deps-unit
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) $(CFLAGS) $(CONFUSE_CFLAGS) $(CHECK_CFLAGS) -o $@ \
		$(filter %.c,$^) $(CONFUSE_LIBS) $(CHECK_LIBS)

# Linked against the shim, which then interposes this binary's socket calls.
$(B)/tests/test_shim: tests/unit/main.c tests/unit/test_shim.c tests/unit/helpers.h $(LIB) $(PLUGIN) $(B)/.flags \
                      | $(B)/.deps-unit
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) $(CFLAGS) $(CHECK_CFLAGS) -DKASHIM_TEST_SHIM -o $@ \
		tests/unit/main.c tests/unit/test_shim.c -L$(B) -lkashim -Wl,-rpath,'$$ORIGIN/..' $(CHECK_LIBS)

UNIT_TESTS := $(B)/tests/test_config $(B)/tests/test_shim

# The shim without its inline assembly (-DKASHIM_NO_ASM: the portable branch
# of each #if on __x86_64__), with test_shim linked against it: make check
# builds and runs both branches.
NOASM_LIB := $(B)/noasm/libkashim.so
$(NOASM_LIB): $(SHIM_SRC) $(wildcard shim/*.h config/*.h) $(PLUGIN) $(B)/.flags | $(B)/.deps-build
	@mkdir -p $(dir $@)
	ln -sfn ../kashim $(dir $@)kashim
	$(CC) $(CPPFLAGS) $(KASHIM_CFLAGS) $(CFLAGS) -DKASHIM_NO_ASM -shared -nostartfiles -Wl,-z,defs \
		-Wl,-z,nodelete -Wl,-soname,libkashim.so $(LDFLAGS) -o $@ $(SHIM_SRC)
$(B)/tests/test_shim-noasm: tests/unit/main.c tests/unit/test_shim.c tests/unit/helpers.h $(NOASM_LIB) | $(B)/.deps-unit
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) $(CFLAGS) $(CHECK_CFLAGS) -DKASHIM_TEST_SHIM -o $@ \
		tests/unit/main.c tests/unit/test_shim.c -L$(B)/noasm -lkashim -Wl,-rpath,'$$ORIGIN/../noasm' $(CHECK_LIBS)
UNIT_TESTS += $(B)/tests/test_shim-noasm

# After every UNIT_TESTS += above: a rule's prerequisites are expanded where
# it stands, its recipe only when it runs.
.PHONY: check-unit
check-unit: $(UNIT_TESTS)
	@for t in $(UNIT_TESTS); do echo "== $$t"; $$t || exit 1; done
