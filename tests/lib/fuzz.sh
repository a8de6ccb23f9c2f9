# SPDX-License-Identifier: MIT
# fuzz.sh - a fuzz target's inputs replayed without libFuzzer, by a program
# built from fuzz/replay.c: each input in its own process, which must exit
# 0 and print nothing; it prints "PASS NAME" or "FAIL NAME: why" per input.
# Sourced after common.sh (tests/hardening/fuzz-replay.t,
# fuzz-compiled-replay.t).

# fuzz_replay TEST PREFIX PROGRAM KIND: PROGRAM over every input in
# fuzz/regressionsKIND (what the fuzzer once found; check "TEST has
# regression inputs") and fuzz/corpusKIND (the seeds). Each input is a
# check, named PREFIX NAME (read in this shell, so it counts); any other
# line PROGRAM prints becomes a TAP comment.
fuzz_replay() {
	local test=$1 prefix=$2 program=$3 kind=$4 glob line inputs
	glob=$(shopt -p nullglob)
	shopt -s nullglob
	inputs=("$KASHIM_ROOT"/fuzz/regressions"$kind"/* "$KASHIM_ROOT"/fuzz/corpus"$kind"/*)
	eval "$glob"
	expect_eq "$test has regression inputs" yes \
		"$([ -n "$(ls "$KASHIM_ROOT/fuzz/regressions$kind")" ] && echo yes)"
	while IFS= read -r line; do
		case $line in
		"PASS "*) pass "$prefix${line#PASS }" ;;
		"FAIL "*) line=${line#FAIL }; fail "$prefix${line%%: *}" "${line#*: }" ;;
		*) echo "# $line" ;;
		esac
	done < <("$program" "${inputs[@]}" 2>&1)
}
