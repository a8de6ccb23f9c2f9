#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fuzz regressions: every input in fuzz/regressions (what
# the fuzzer once found) and the seed corpus fuzz/corpus goes through the
# fuzz target's checks again, without libFuzzer: each in its own process,
# which must exit 0 and print nothing (fuzz/replay.c).
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../lib/fuzz.sh"

t_require fuzz-replay "$HX/fuzz-replay is not built (make check builds it)" "$HX/fuzz-replay"
fuzz_replay fuzz-replay "" "$HX/fuzz-replay" ""
finish
