#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fuzz regressions: every input in fuzz/regressions (what
# the fuzzer once found) and the seed corpus fuzz/corpus goes through the
# fuzz target's checks again, without libFuzzer: each in its own process,
# which must exit 0 and print nothing (fuzz/replay.c).
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

t_require fuzz-replay "$HX/fuzz-replay is not built (make check builds it)" "$HX/fuzz-replay"
shopt -s nullglob
inputs=("$KASHIM_ROOT"/fuzz/regressions/* "$KASHIM_ROOT"/fuzz/corpus/*)
expect_eq "fuzz-replay has regression inputs" yes "$([ -n "$(ls "$KASHIM_ROOT/fuzz/regressions")" ] && echo yes)"
# fuzz-replay prints "PASS fuzz-replay NAME" or "FAIL fuzz-replay NAME: why"
# per input: each becomes a check (read in this shell, so it counts).
while IFS= read -r line; do
	case $line in
	"PASS "*) pass "${line#PASS }" ;;
	"FAIL "*) line=${line#FAIL }; fail "${line%%: *}" "${line#*: }" ;;
	*) echo "# $line" ;;
	esac
done < <("$HX/fuzz-replay" "${inputs[@]}" 2>&1)
finish
