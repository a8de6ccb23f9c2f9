#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ka-run --check: validates the config file and the environment (every
# problem with file and line, exit 1) and prints the settings a COMMAND
# would get with their sources; what it predicts is checked against the
# live socket of the same program run under ka-run.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/karun.sh"

t_tmpdir tmp
unset LD_PRELOAD KASHIM_IDLE KASHIM_INTERVAL KASHIM_COUNT KASHIM_USER_TIMEOUT KASHIM_KEEPALIVE KASHIM_OVERRIDE \
	KEEPIDLE KEEPINTVL KEEPCNT KEEPALIVE KASHIM_LOG KASHIM_DEBUG KASHIM_CONFIG
export -n KASHIM_LIB

# has_line NAME REGEX FILE: a line of FILE matches the extended REGEX.
has_line() {
	if grep -Eq -- "$2" "$3"; then pass "$1"; else fail "$1" "no line /$2/ in: $(cat "$3")"; fi
}
# The predicted settings as "True idle interval count user_timeout".
predicted() {
	awk '$1 == "keepalive" {k = ($2 == "on") ? "True" : "False"}
	     $1 == "idle" {i = $2} $1 == "interval" {n = $2} $1 == "count" {c = $2}
	     $1 == "user_timeout" {u = $2}
	     END {print k, i, n, c, u}' "$1"
}

conf=$tmp/keepalive.conf
sections_conf "$conf" auto

# ---- a valid file, every kind of source ---------------------------------
KEEPINTVL=8 "$KA_RUN" -c "$conf" --check "$PYTHON" >"$tmp/out" 2>"$tmp/err"
rc=$?
expect_eq "valid file: exit 0" 0 "$rc"
check "valid file: nothing on stderr" [ ! -s "$tmp/err" ]
has_line "names the file as valid" "^config: +$conf: valid$" "$tmp/out"
has_line "names the program's two names" '^program: .*executable "python3[.0-9]*", argv\[0\] "python3"' "$tmp/out"
has_line "names the matching section" '^section: program "python3\*"$' "$tmp/out"
has_line "source: program section" "^idle +41 +program section \"python3\\*\" in $conf\$" "$tmp/out"
has_line "source: file top level" "^count +6 +file $conf\$" "$tmp/out"
has_line "source: libkeepalive variable" '^interval +8 +environment KEEPINTVL$' "$tmp/out"
has_line "source: default" '^keepalive +on +default$' "$tmp/out"
# auto = (idle 41 + interval 8 * count 6) * 1000
has_line "user_timeout auto is derived" '^user_timeout +89000 \(auto\) +program section' "$tmp/out"
has_line "ends with valid" '^result: +valid$' "$tmp/out"
live=$(KEEPINTVL=8 "$KA_RUN" -c "$conf" "$PYTHON" -c "$SOCKOPTS")
expect_eq "prediction matches the live socket" "$(predicted "$tmp/out")" "$live"

KASHIM_COUNT=3 "$KA_RUN" -c "$conf" -i 44 --check "$PYTHON" >"$tmp/out" 2>"$tmp/err"
has_line "source: ka-run option" '^idle +44 +ka-run option --idle \(KASHIM_IDLE\)$' "$tmp/out"
has_line "source: KASHIM_ variable" '^count +3 +environment KASHIM_COUNT$' "$tmp/out"
live=$(KASHIM_COUNT=3 "$KA_RUN" -c "$conf" -i 44 "$PYTHON" -c "$SOCKOPTS")
expect_eq "prediction with options matches the live socket" "$(predicted "$tmp/out")" "$live"

# Without COMMAND, only the top level applies.
"$KA_RUN" -c "$conf" --check >"$tmp/out" 2>&1
has_line "no COMMAND: top level only" "^idle +40 +file $conf\$" "$tmp/out"

# A script runs its interpreter: the kernel makes the "#!" path argv[0], so
# a section named after the script does not match, one after python3 does.
printf '#!%s\n%s\n' "$PYTHON" "$SOCKOPTS" >"$tmp/myscript.py"
chmod +x "$tmp/myscript.py"
sed 's/python3\*/myscript*/' "$conf" >"$tmp/script.conf"
"$KA_RUN" -c "$tmp/script.conf" --check "$tmp/myscript.py" >"$tmp/out" 2>&1
has_line "script: resolved to its interpreter" "argv\\[0\\] \"python3\" \\(a script run by $PYTHON\\)" "$tmp/out"
has_line "script: its own name's section does not match" '^section: none matches$' "$tmp/out"
expect_eq "script: prediction matches the live socket" "$(predicted "$tmp/out")" \
	"$("$KA_RUN" -c "$tmp/script.conf" "$tmp/myscript.py")"
"$KA_RUN" -c "$conf" --check "$tmp/myscript.py" >"$tmp/out" 2>&1
has_line "script: the interpreter's section matches" '^section: program "python3\*"$' "$tmp/out"
expect_eq "script: that prediction matches the live socket too" "$(predicted "$tmp/out")" \
	"$("$KA_RUN" -c "$conf" "$tmp/myscript.py")"

# ---- an invalid file: every problem, with file and line ------------------
bad=$tmp/bad.conf
cat >"$bad" <<'CONF'
idle = 40
count = 0
program "python3*" {
	interval = 40000
}
CONF
"$KA_RUN" -c "$bad" --check "$PYTHON" >"$tmp/out" 2>"$tmp/err"
rc=$?
expect_eq "invalid file: exit 1" 1 "$rc"
has_line "first problem with file and line" "^$bad:2: count = 0 is out of range 1\\.\\.127" "$tmp/err"
has_line "second problem with file and line" "^$bad:4: interval = 40000 is out of range 1\\.\\.32767" "$tmp/err"
has_line "says the shim ignores the file" "^config: +$bad: INVALID" "$tmp/out"
has_line "shows what the program gets instead" '^idle +60 +default$' "$tmp/out"
has_line "counts the problems" '^result: +2 problems' "$tmp/out"
expect_eq "prediction for an ignored file matches the live socket" "$(predicted "$tmp/out")" \
	"$(LD_PRELOAD=$KASHIM_LIB KASHIM_CONFIG=$bad "$PYTHON" -c "$SOCKOPTS")"
printf 'idle = 40\nprogram "x" {\n\tidle = \n' >"$tmp/syntax.conf"
"$KA_RUN" -c "$tmp/syntax.conf" --check >"$tmp/out" 2>"$tmp/err"
rc=$?
check "syntax error: exit 1 with file and line" eval '[ "$rc" = 1 ] && grep -q "^$tmp/syntax.conf:[0-9]" "$tmp/err"'

# Running with an invalid -c file is refused, and nothing runs.
rm -f "$tmp/ran"
"$KA_RUN" -c "$bad" sh -c ': > "$1"' sh "$tmp/ran" 2>"$tmp/err"
rc=$?
check "run with invalid -c: exit 2, names --config, runs nothing" \
	eval '[ "$rc" = 2 ] && [ ! -e "$tmp/ran" ] && grep -q -- "--config" "$tmp/err" && grep -q "$bad:2:" "$tmp/err"'
"$KA_RUN" -c "$conf" sh -c ': > "$1"' sh "$tmp/ran" 2>"$tmp/err"
check "control: run with the valid -c file runs" [ -e "$tmp/ran" ]

# ---- the environment ---------------------------------------------------
for bad_env in KASHIM_IDLE=abc KASHIM_COUNT=0 KEEPCNT=999 KASHIM_USER_TIMEOUT=-1 KASHIM_OVERRIDE=maybe \
	KASHIM_LOG=relative KASHIM_DEBUG=loud; do
	env "$bad_env" "$KA_RUN" -c "$conf" --check >"$tmp/out" 2>"$tmp/err"
	rc=$?
	check "bad environment $bad_env: exit 1, named" eval '[ "$rc" = 1 ] && grep -q "${bad_env%%=*}" "$tmp/err"'
done
KASHIM_IDLE=30 KASHIM_LOG=stderr KASHIM_DEBUG=1 "$KA_RUN" -c "$conf" --check >"$tmp/out" 2>"$tmp/err"
expect_eq "control: good environment: exit 0" 0 "$?"
KASHIM_CONFIG=$tmp/missing.conf "$KA_RUN" --check >"$tmp/out" 2>"$tmp/err"
rc=$?
check "KASHIM_CONFIG naming a missing file: exit 1" eval '[ "$rc" = 1 ] && grep -q "missing.conf does not exist" "$tmp/err"'
KASHIM_CONFIG='' "$KA_RUN" --check >"$tmp/out" 2>"$tmp/err"
rc=$?
check "empty KASHIM_CONFIG: exit 1" eval '[ "$rc" = 1 ] && grep -q "KASHIM_CONFIG is empty" "$tmp/err"'

# --check refuses what run refuses, and reports a missing COMMAND as run does.
"$KA_RUN" -i 0 --check >/dev/null 2>&1
expect_eq "--check with a bad option: exit 2" 2 "$?"
"$KA_RUN" --check "no-such-command-$$" >/dev/null 2>&1
expect_eq "--check with a missing COMMAND: exit 127" 127 "$?"

finish
