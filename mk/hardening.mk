# SPDX-License-Identifier: MIT
# Hardening: helper programs for tests/hardening/*.t, the config
# loader's fuzz target (`make fuzz`), and the sanitizer and valgrind runs of
# the test suite (`make check-asan`, `make check-valgrind`).

HX := $(B)/tests/hardening
HX_CFLAGS := $(KASHIM_WARN) -g -O1

# Helpers: plain programs that make sockets, linked against nothing of
# kashim's (the shim reaches them through LD_PRELOAD, as it would any program).
HX_PROGS := $(HX)/hx-threads $(HX)/hx-fork $(HX)/hx-load $(HX)/hx-probe $(HX)/hx-raw \
            $(HX)/hx-probe-static $(HX)/hx-host $(HX)/hx-race $(HX)/hx-firstsock
$(HX)/hx-%: tests/hardening/hx-%.c tests/hardening/hx.h $(B)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(HX_CFLAGS) $(CFLAGS) -pthread -o $@ $< -pthread

# The same probe linked statically: no dynamic loader, so no preload.
$(HX)/hx-probe-static: tests/hardening/hx-probe.c tests/hardening/hx.h
	@mkdir -p $(dir $@)
	$(CC) $(HX_CFLAGS) $(CFLAGS) -static -o $@ $<

# A library whose constructor makes a TCP socket, preloaded beside kashim.
$(HX)/libhx-ctor.so: tests/hardening/hx-ctor.c
	@mkdir -p $(dir $@)
	$(CC) $(HX_CFLAGS) $(CFLAGS) -fPIC -shared -o $@ $<

# A library whose constructor makes a TCP socket under ld.so's lock.
$(HX)/libhx-slowctor.so: tests/hardening/hx-slowctor.c tests/hardening/hx.h
	@mkdir -p $(dir $@)
	$(CC) $(HX_CFLAGS) $(CFLAGS) -fPIC -shared -o $@ $<

# A library whose constructor waits for the program's lock, or raises a
# signal, under ld.so's lock (hx-firstsock).
$(HX)/libhx-lockctor.so: tests/hardening/hx-lockctor.c
	@mkdir -p $(dir $@)
	$(CC) $(HX_CFLAGS) $(CFLAGS) -fPIC -shared -o $@ $< -pthread

# A library that interposes socket() after kashim and counts what it sees.
$(HX)/libhx-next.so: tests/hardening/hx-next.c
	@mkdir -p $(dir $@)
	$(CC) $(HX_CFLAGS) $(CFLAGS) -fPIC -shared -o $@ $<

# A config plugin that can be held inside kashim's initialisation (fork-exec.t).
$(HX)/slowconf/kashim/libkashim-conf.so: tests/hardening/hx-slowconf.c $(wildcard config/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(HX_CFLAGS) $(CFLAGS) -fPIC -shared -o $@ $<

# The fuzz target without libFuzzer: replays fuzz/regressions and the corpus.
$(HX)/fuzz-replay: fuzz/fuzz_conffile.c fuzz/replay.c config/conffile.c config/glob.c config/rules.c config/settings.c \
                   $(wildcard config/*.h) | $(B)/.deps-build
	@mkdir -p $(dir $@)
	$(CC) $(HX_CFLAGS) $(CFLAGS) $(CONFUSE_CFLAGS) -o $@ $(filter %.c,$^) $(CONFUSE_LIBS)

CHECK_DEPS += $(HX_PROGS) $(HX)/libhx-ctor.so $(HX)/libhx-slowctor.so $(HX)/libhx-lockctor.so $(HX)/libhx-next.so $(HX)/slowconf/kashim/libkashim-conf.so $(HX)/fuzz-replay

# ---- make fuzz [FUZZ_SECONDS=60] -----------------------------------------
# libFuzzer with ASan and UBSan over kashim_conffile_load. New findings land
# in $(B)/fuzz/artifacts; copy the ones worth keeping to fuzz/regressions/.
FUZZ_SECONDS ?= 60
# Inputs up to 64 KiB reach past flex's 16 KiB read buffer.
FUZZ_MAX_LEN ?= 8192
FUZZ_CC ?= clang
FUZZ_SAN := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_BIN := $(B)/fuzz/fuzz_conffile$(if $(FUZZ_CONFUSE_SRC),_with_confuse)
# Debian's libconfuse is not instrumented, so libFuzzer sees no coverage
# inside it. Given libconfuse's source (FUZZ_CONFUSE_SRC=.../libconfuse-3.3/src,
# from `apt-get source libconfuse`; needs flex), it is built instrumented into
# the target instead.
ifdef FUZZ_CONFUSE_SRC
FUZZ_CONFUSE := $(B)/fuzz/libconfuse-fuzz.a
FUZZ_CONFUSE_FLAGS := -I$(FUZZ_CONFUSE_SRC)
$(FUZZ_CONFUSE): fuzz/confuse-config.h
	@mkdir -p $(B)/fuzz/confuse
	flex -Pcfg_yy -o$(B)/fuzz/confuse/lexer.c $(FUZZ_CONFUSE_SRC)/lexer.l
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -include fuzz/confuse-config.h -I$(FUZZ_CONFUSE_SRC) \
		-c $(FUZZ_CONFUSE_SRC)/confuse.c -o $(B)/fuzz/confuse/confuse.o
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -include fuzz/confuse-config.h -I$(FUZZ_CONFUSE_SRC) \
		-c $(B)/fuzz/confuse/lexer.c -o $(B)/fuzz/confuse/lexer.o
	ar rcs $@ $(B)/fuzz/confuse/confuse.o $(B)/fuzz/confuse/lexer.o
else
FUZZ_CONFUSE :=
FUZZ_CONFUSE_FLAGS = $(CONFUSE_CFLAGS)
endif
$(FUZZ_BIN): fuzz/fuzz_conffile.c config/conffile.c config/glob.c config/rules.c config/settings.c $(wildcard config/*.h) \
             $(FUZZ_CONFUSE) | $(B)/.deps-build
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 $(FUZZ_SAN) -fsanitize=fuzzer $(FUZZ_CONFUSE_FLAGS) -o $@ \
		$(filter %.c,$^) $(or $(FUZZ_CONFUSE),$(CONFUSE_LIBS))

.PHONY: fuzz
fuzz: $(FUZZ_BIN)
$(FUZZ_BIN): | fuzz-tools
.PHONY: fuzz-tools
fuzz-tools:
	@command -v $(FUZZ_CC) >/dev/null || { echo "make fuzz needs clang: apt-get install clang libclang-rt-14-dev" >&2; exit 1; }
	@mkdir -p $(B)/fuzz/corpus $(B)/fuzz/artifacts
	$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=$(FUZZ_MAX_LEN) -timeout=10 -print_final_stats=1 \
		-artifact_prefix=$(B)/fuzz/artifacts/ $(B)/fuzz/corpus fuzz/corpus fuzz/regressions

# ---- make check-asan ------------------------------------------------------
# The shim, its plugin and the unit tests built with ASan+UBSan in a build
# directory of their own, then the unit tests and the shell tests that run
# real programs under the shim. An ASan shim preloaded into an uninstrumented
# program needs libasan loaded first: KASHIM_PRELOAD_FIRST tells the tests.
ASAN_B := build-asan
ASAN_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
ASAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86 \
            UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=86
.PHONY: check-asan check-valgrind
# The shell tests run the normal build's helper programs (build/tests/
# hardening) with the ASan shim preloaded: they are built first.
check-asan: all $(CHECK_DEPS) | $(B)/.deps-test
	@mkdir -p $(ASAN_B) && touch $(ASAN_B)/.deps-build $(ASAN_B)/.deps-test
	@# test_shim compiles its config files with the kashim-compile beside its
	@# build folder: the normal build's (the tool is not what is under test).
	cp -f $(KASHIM_COMPILE) $(ASAN_B)/kashim-compile
	$(MAKE) B=$(ASAN_B) CFLAGS='$(ASAN_CFLAGS)' LDFLAGS='-fsanitize=address,undefined' \
		$(ASAN_B)/libkashim.so $(ASAN_B)/kashim/libkashim-conf.so \
		$(ASAN_B)/tests/test_config $(ASAN_B)/tests/test_shim $(ASAN_B)/tests/hardening/fuzz-replay
	tests/hardening/sanitized-run asan $(ASAN_B)

# ---- make check-valgrind --------------------------------------------------
# The unit tests (in fork mode, children traced) and real programs under the
# shim with valgrind memcheck; any error fails the run.
check-valgrind: all $(CHECK_DEPS) | $(B)/.deps-test
	tests/hardening/sanitized-run valgrind $(B)
