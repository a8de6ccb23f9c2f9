#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ka-run's command line: every bad input is refused with exit 2, one line on
# stderr naming the option (and the allowed range), and nothing run; valid
# input runs COMMAND; 126/127 as env(1); COMMAND's exit status passes through.
. "$(dirname "$0")/../lib/common.sh"

t_tmpdir tmp
marker=$tmp/ran

# refused NAME EXPECTED-TEXT... -- KA-RUN-ARGS...: exit 2, one stderr line
# containing every EXPECTED-TEXT, and the marker-making COMMAND never ran.
# The COMMAND is appended unless the arguments say "--nocmd".
refused() {
	local name=$1 want=() args=() rc err
	shift
	while [ "$1" != -- ]; do want+=("$1"); shift; done
	shift
	args=("$@")
	rm -f "$marker"
	if [ "${args[-1]:-}" = --nocmd ]; then
		unset 'args[-1]'
		"$KA_RUN" "${args[@]}" >/dev/null 2>"$tmp/err"
	else
		"$KA_RUN" "${args[@]}" sh -c ': > "$1"' sh "$marker" >/dev/null 2>"$tmp/err"
	fi
	rc=$? err=$(cat "$tmp/err")
	if [ "$rc" != 2 ]; then fail "$name" "exit $rc, want 2 (stderr: $err)"; return; fi
	if [ -e "$marker" ]; then fail "$name" "COMMAND ran"; return; fi
	if [ "$(wc -l <"$tmp/err")" != 1 ]; then fail "$name" "want one stderr line, got: $err"; return; fi
	for w in "${want[@]}"; do
		if [[ $err != *"$w"* ]]; then fail "$name" "message lacks '$w': $err"; return; fi
	done
	pass "$name"
}

# ran NAME KA-RUN-ARGS...: the control side: the same COMMAND does run.
ran() {
	local name=$1 rc
	shift
	rm -f "$marker"
	"$KA_RUN" "$@" sh -c ': > "$1"' sh "$marker" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = 0 ] && [ -e "$marker" ] && [ ! -s "$tmp/err" ]; then pass "$name"
	else fail "$name" "exit $rc, ran=$([ -e "$marker" ] && echo yes || echo no), stderr: $(cat "$tmp/err")"; fi
}

ran "control: valid options run COMMAND" -i 30 -n 5 -k 3 -u auto
ran "control: boundaries accepted" -i 1 --interval 32767 -k 127 -u 0
ran "control: upper boundaries accepted" --idle=32767 --interval=1 --count=1 --user-timeout=2147483647
ran "control: attached short values" -i30 -n5 -k3 -u1000 --off --override -- 

refused "idle not a number" "--idle" "1 to 32767" -- -i abc
refused "idle zero" "--idle" "1 to 32767" -- -i 0
refused "idle above max" "--idle" "1 to 32767" -- --idle 32768
refused "idle negative" "--idle" "1 to 32767" -- --idle=-1
refused "idle fraction" "--idle" "1 to 32767" -- -i 1.5
refused "idle empty" "--idle" "1 to 32767" -- --idle=
refused "idle huge (no overflow)" "--idle" "1 to 32767" -- -i 99999999999999999999999
refused "idle with space" "--idle" -- -i " 30"
refused "interval zero" "--interval" "1 to 32767" -- -n 0
refused "interval above max" "--interval" "1 to 32767" -- --interval=32768
refused "count zero" "--count" "1 to 127" -- -k 0
refused "count above max" "--count" "1 to 127" -- --count 128
refused "count hex" "--count" "1 to 127" -- -k 0x10
refused "user timeout negative" "--user-timeout" "0 to 2147483647" -- -u -1
refused "user timeout above int" "--user-timeout" "0 to 2147483647" -- -u 2147483648
refused "user timeout word" "--user-timeout" "auto" -- --user-timeout=never
refused "user timeout exponent" "--user-timeout" -- -u 1e3
refused "missing config file" "--config" "$tmp/nonexistent.conf" -- -c "$tmp/nonexistent.conf"
refused "config is a directory" "--config" "not a regular file" -- --config "$tmp"
refused "missing value at end (short)" "-i" "needs a value" -- -i --nocmd
refused "missing value at end (long)" "--config" "needs a value" -- --config --nocmd
refused "unknown long option" "--bogus" "unknown option" -- --bogus
refused "unknown short option" "-x" "unknown option" -- -x
refused "flag given a value" "--off" "takes no value" -- --off=yes
refused "log not absolute" "--log" "absolute" -- --log relative/file
refused "no COMMAND" "no COMMAND" -- -i 30 --nocmd
refused "check with dropin" "--check" "--systemd-dropin" -- --check --systemd-dropin foo --nocmd

# A valid value given after a bad one still refuses: the first error wins.
refused "bad then good" "--count" -- -k 500 -i 30

# Leading zeros are decimal (the shell would read 030 as octal 24).
v=$("$KA_RUN" -i 030 sh -c 'echo "$KASHIM_IDLE"')
expect_eq "leading zeros are decimal" 30 "$v"
v=$("$KA_RUN" -u AUTO sh -c 'echo "$KASHIM_USER_TIMEOUT"')
expect_eq "auto in any case" auto "$v"
# Options end at COMMAND: its own -i is its own.
v=$("$KA_RUN" -i 5 sh -c 'echo "$0 $KASHIM_IDLE"' -i)
expect_eq "options end at COMMAND" "-i 5" "$v"

# 127 and 126, against env(1) as the control. A PATH of readable
# directories: execvp reports a directory it may not search as EACCES (126).
PATH=/usr/local/bin:/usr/bin:/bin
printf 'echo hi\n' >"$tmp/noexec"
for c in "no-such-command-$$" "$tmp/no/such/file" "$tmp/noexec" "$tmp"; do
	rm -f "$marker"
	env "$c" >/dev/null 2>&1
	expected=$?
	"$KA_RUN" "$c" >/dev/null 2>"$tmp/err"
	got=$?
	if [ "$got" = "$expected" ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -qF "$c" "$tmp/err"; then
		pass "exit $expected like env(1) for ${c##*/}"
	else
		fail "exit $expected like env(1) for ${c##*/}" "got $got, stderr: $(cat "$tmp/err")"
	fi
done
expect_eq "env(1) itself: not found is 127" 127 "$(env "no-such-command-$$" 2>/dev/null; echo $?)"
expect_eq "env(1) itself: not executable is 126" 126 "$(env "$tmp/noexec" 2>/dev/null; echo $?)"

# Exit status passthrough, including death by a signal.
for code in 0 1 3 42 255; do
	"$KA_RUN" sh -c "exit $code"
	expect_eq "exit status $code passes through" "$code" "$?"
done
rc=$( ("$KA_RUN" sh -c 'kill -TERM $$'; echo $?) 2>/dev/null)
expect_eq "death by SIGTERM passes through" 143 "$rc"

# Arguments reach COMMAND unchanged (blanks, globs, empty ones, dashes).
got=$("$KA_RUN" -- printf '[%s]' 'a b' '*' '' '--idle' '-x')
expect_eq "arguments unchanged" '[a b][*][][--idle][-x]' "$got"

# --help, --version.
"$KA_RUN" --help >"$tmp/help"
check "--help exits 0 and documents every option" \
	grep -q -- '--user-timeout' "$tmp/help"
missing=
for o in --config --idle --interval --count --user-timeout --off --override --log --debug --check --systemd-dropin --help --version; do
	grep -q -- "$o" "$tmp/help" || missing="$missing $o"
done
expect_eq "--help lists every long option" "" "$missing"
makefile_version=$(sed -n 's/^VERSION *:= *//p' "$KASHIM_ROOT/Makefile")
expect_eq "--version matches the Makefile" "ka-run (kashim) $makefile_version" "$("$KA_RUN" -V)"

# Long options are never abbreviated, and flags never take a value.
refused "abbreviated long option" "--id" "unknown option" -- --id 5
refused "check given a value" "--check" "takes no value" -- --check=yes --nocmd
v=$("$KA_RUN" -i 017 -- sh -c 'echo "$KASHIM_IDLE"')
expect_eq "-- ends the options, leading zero decimal" 17 "$v"

finish
