#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The compiled form's fuzz target (fuzz/fuzz_compiled.c) without libFuzzer:
# every input in fuzz/regressions-compiled (what the fuzzer once found) and
# the seed corpus fuzz/corpus-compiled goes through its checks again, each
# in its own process, which must exit 0 and print nothing. Control: a form
# kashim-compile writes now is accepted by the reader (the seeds are forms
# of some build; the target must see valid ones too).
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../lib/fuzz.sh"

REPLAY=$HX/fuzz-replay-compiled
t_require fuzz-compiled-replay "$REPLAY or kashim-compile is not built (make check builds them)" \
	"$REPLAY" "$KASHIM_ROOT/build/kashim-compile"
fuzz_replay fuzz-compiled-replay "compiled " "$REPLAY" -compiled

# The control: a fresh form of the example file passes the same checks,
# and is accepted (kashim-compile --check reads it back as up to date).
cp "$KASHIM_ROOT/keepalive.conf.example" "$HX_TMP/example.conf"
"$KASHIM_ROOT/build/kashim-compile" "$HX_TMP/example.conf" >/dev/null
check "control: a form written now passes the target's checks" \
	grep -q "^PASS" <<<"$("$REPLAY" "$HX_TMP/example.conf.cache" 2>&1)"
check "control: and the reader accepts it" \
	grep -q "example.conf.cache: up to date" <<<"$("$KASHIM_ROOT/build/kashim-compile" --check "$HX_TMP/example.conf")"
finish
