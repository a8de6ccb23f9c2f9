# SPDX-License-Identifier: MIT
# kashim-compile (tools/kashim-compile.c): keepalive.conf -> keepalive.conf.cache,
# the checked binary form the shim reads (config/compiled.h). Installed in
# BINDIR (users compile their own KASHIM_CONFIG files too); make install
# compiles the installed system file when there is one.
COMPILE_OBJ := $(B)/obj/tools/kashim-compile.o $(B)/obj/config/compiled.o $(B)/obj/config/compiled_write.o \
               $(B)/obj/config/conffile.o $(B)/obj/config/glob.o $(B)/obj/config/rules.o \
               $(B)/obj/config/settings.o
KASHIM_COMPILE := $(B)/kashim-compile

$(KASHIM_COMPILE): $(COMPILE_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(CONFUSE_LIBS)

all: $(KASHIM_COMPILE)
CHECK_DEPS += $(KASHIM_COMPILE)

# Runs before install's own recipe: whatever that recipe refuses (paths, a
# library built for another SYSCONFDIR) must leave nothing behind, so the
# same cases write nothing here. The system file is compiled only for a
# real install (no DESTDIR): the form records the file's inode.
.PHONY: install-compile uninstall-compile
install: install-compile
uninstall: uninstall-compile
install-compile: all
	@set -e; \
	case "$(MANDIR)$(DOCDIR)$(LIBDIR)$(BINDIR)$(SYSCONFDIR)" in *\ *) exit 0;; esac; \
	for d in "$(MANDIR)" "$(DOCDIR)" "$(LIBDIR)" "$(BINDIR)" "$(SYSCONFDIR)"; do \
		case "$$d" in /*) ;; *) exit 0;; esac; done; \
	tr '\0' '\n' <$(LIB) | grep -qxF '$(SYSCONFDIR)/keepalive.conf' || exit 0; \
	$(kashim_install_shell_functions); \
	for d in $(BINDIR) $(MANDIR)/man8 $(DOCDIR); do kashim_mkdir "$$d"; done; \
	install -m 755 $(KASHIM_COMPILE) "$(DESTDIR)$(BINDIR)/kashim-compile"; \
	install -m 644 man/kashim-compile.8 "$(DESTDIR)$(MANDIR)/man8/"; \
	if [ -n "$(KASHIM_DIRS_RECORD)" ]; then printf '%s' "$$created" >>"$(DESTDIR)$(KASHIM_DIRS_RECORD)"; fi; \
	if [ -z "$(DESTDIR)" ] && [ -f "$(SYSCONFDIR)/keepalive.conf" ]; then \
		$(KASHIM_COMPILE) "$(SYSCONFDIR)/keepalive.conf" || \
		echo "install: $(SYSCONFDIR)/keepalive.conf was not compiled (above); fix it and run kashim-compile" >&2; fi
uninstall-compile:
	rm -f "$(DESTDIR)$(BINDIR)/kashim-compile" "$(DESTDIR)$(MANDIR)/man8/kashim-compile.8"
CHECK_DEPS += $(B)/tests/hardening/hx-chroot

# ---- the compiled form in the fuzz target -----------------------------------
# make fuzz also runs fuzz/fuzz_compiled.c (the reader of FILE.cache) for
# FUZZ_SECONDS; make check replays its corpus and regressions without
# libFuzzer (tests/hardening/fuzz-compiled-replay.t).
FUZZ_COMPILED_SRC := fuzz/fuzz_compiled.c config/compiled.c config/glob.c config/rules.c config/settings.c
$(B)/fuzz/fuzz_compiled: $(FUZZ_COMPILED_SRC) $(wildcard config/*.h) | $(B)/.deps-build
	@command -v $(FUZZ_CC) >/dev/null || { echo "make fuzz needs clang: apt-get install clang libclang-rt-14-dev" >&2; exit 1; }
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $(filter %.c,$^)
.PHONY: fuzz-compiled
fuzz: fuzz-compiled
fuzz-compiled: $(B)/fuzz/fuzz_compiled
	@mkdir -p $(B)/fuzz/corpus-compiled $(B)/fuzz/artifacts
	$< -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 -print_final_stats=1 \
		-artifact_prefix=$(B)/fuzz/artifacts/compiled- $(B)/fuzz/corpus-compiled fuzz/corpus-compiled \
		fuzz/regressions-compiled

$(B)/tests/hardening/fuzz-replay-compiled: $(FUZZ_COMPILED_SRC) fuzz/replay.c $(wildcard config/*.h) | $(B)/.deps-build
	@mkdir -p $(dir $@)
	$(CC) $(HX_CFLAGS) $(CFLAGS) -o $@ $(filter %.c,$^)
CHECK_DEPS += $(B)/tests/hardening/fuzz-replay-compiled

# The seeds are forms of this build's structs: when they change (a new
# setting), `make fuzz-seeds` writes them again from the text corpus.
.PHONY: fuzz-seeds
fuzz-seeds: $(KASHIM_COMPILE)
	@set -e; t=$$(mktemp -d); trap 'rm -rf "$$t"' EXIT; rm -f fuzz/corpus-compiled/*.cache; \
	for f in fuzz/corpus/*.conf fuzz/seeds-compiled/*.conf keepalive.conf.example; do \
		cp "$$f" "$$t/x.conf"; \
		if $(KASHIM_COMPILE) "$$t/x.conf" >/dev/null 2>&1; then \
			cp "$$t/x.conf.cache" "fuzz/corpus-compiled/$$(basename "$$f" .conf).cache"; fi; \
	done; ls fuzz/corpus-compiled
