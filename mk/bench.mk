# SPDX-License-Identifier: MIT
# bench.mk - `make bench`: system calls, user-space instructions
# and wall-clock time of socket/connect/close/spawn under none, manual, empty,
# kashim, kashim-disabled, kashim-rules and kernel; the table goes to build/bench.txt.
# Not part of `make check`; its pieces build with -Werror all the same, and
# the accept-path test's helper is a check dependency.

BENCH_CFLAGS := $(KASHIM_WARN) -O2 -g
BENCH_BIN    := $(B)/bench/kabench
BENCH_EMPTY  := $(B)/bench/libempty.so
PERF_SERVER  := $(B)/tests/perf/accept-server

$(BENCH_BIN): bench/kabench.c | $(B)/.deps-build
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $(CFLAGS) -o $@ $<

# Built like the shim (same flags, same link), with nothing in it.
$(BENCH_EMPTY): bench/empty.c | $(B)/.deps-build
	@mkdir -p $(dir $@)
	$(CC) $(KASHIM_CFLAGS) $(CFLAGS) -shared -Wl,-z,defs $(LDFLAGS) -o $@ $<

$(PERF_SERVER): tests/perf/accept-server.c | $(B)/.deps-build
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $(CFLAGS) -o $@ $<

CHECK_DEPS += $(PERF_SERVER) $(BENCH_BIN) $(BENCH_EMPTY)

bench: $(LIB) $(PLUGIN) $(BENCH_BIN) $(BENCH_EMPTY) | $(B)/.deps-test
	bench/run
