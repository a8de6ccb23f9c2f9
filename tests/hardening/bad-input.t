#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Bad input, end to end: broken config files and broken
# environment variables, each given to a real program (python3 making a TCP
# connection on loopback, hx_echo.py) under the shim. For every case:
#  - stdout and exit status equal those of a control run without the shim
#    (and the control run itself works: "echo hello", status 3); a hang is
#    cut short after 20 s and fails;
#  - stderr is empty;
#  - exactly one message lands in KASHIM_LOG, naming the problem (file:line
#    or the variable);
#  - the documented fallback applies: a broken file is ignored whole, a
#    broken variable alone is ignored, and the socket still gets every other
#    source's values (read back with getsockopt inside the program), while
#    the control's socket has none of them.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

ECHO=$HX_SRC/hx_echo.py
GOOD=$HX_TMP/good.conf
printf 'idle = 33\ninterval = 4\ncount = 3\n' >"$GOOD"

# case NAME NEEDLE WANT [VAR=VALUE...]: NEEDLE is an extended regexp the one
# log line must match ("-": no message at all); WANT is what getsockopt
# reads on the program's socket: "KEEPALIVE IDLE INTERVAL COUNT USER_TIMEOUT".
case_() {
	local name=$1 needle=$2 want=$3 d=$HX_TMP/case-$1 why=() crc src lines
	shift 3
	mkdir -p "$d"
	env -u LD_PRELOAD "$@" HX_OUT="$d/control.vals" "$PYTHON" "$ECHO" >"$d/control.out" 2>"$d/control.err"
	crc=$?
	env "$@" HX_OUT="$d/shim.vals" KASHIM_LOG="$d/log" LD_PRELOAD="$HX_PRELOAD" \
		timeout 20 "$PYTHON" "$ECHO" >"$d/shim.out" 2>"$d/shim.err"
	src=$?
	[ "$crc" = 3 ] && [ "$(cat "$d/control.out")" = "echo hello" ] ||
		why+=("control run broken (status $crc: $(head -c 200 "$d/control.out" "$d/control.err"))")
	[ "$(cut -d' ' -f1 "$d/control.vals" 2>/dev/null)" = 0 ] ||
		why+=("control socket already has keepalive")
	cmp -s "$d/control.out" "$d/shim.out" || why+=("stdout differs: '$(head -c 200 "$d/shim.out")'")
	[ "$src" = "$crc" ] || why+=("exit status $src, control $crc")
	[ -s "$d/shim.err" ] && why+=("stderr: '$(head -c 200 "$d/shim.err")'")
	lines=$(cat "$d/log" 2>/dev/null | wc -l)
	if [ "$needle" = - ]; then
		[ "$lines" = 0 ] || why+=("expected no message, got: $(head -c 300 "$d/log")")
	elif [ "$lines" != 1 ]; then
		why+=("expected 1 message, got $lines: $(head -c 300 "$d/log" 2>/dev/null)")
	elif ! grep -Eq -- "$needle" "$d/log"; then
		why+=("message does not match /$needle/: $(cat "$d/log")")
	fi
	[ "$(cat "$d/shim.vals" 2>/dev/null)" = "$want" ] ||
		why+=("socket has '$(cat "$d/shim.vals" 2>/dev/null)', expected '$want'")
	if [ ${#why[@]} = 0 ]; then pass "bad-input $name"; else fail "bad-input $name" "${why[*]}"; fi
}

# conf NAME CONTENT: a config file with exactly CONTENT (printf format).
conf() { printf "$2" >"$HX_TMP/$1.conf"; echo "$HX_TMP/$1.conf"; }

# ---- config files: ignored whole, one message with file:line; defaults
# ---- plus the environment (KASHIM_INTERVAL=7) still apply.
ENV_OK=KASHIM_INTERVAL=7
FALLBACK="1 60 7 5 0"
c=$(conf empty '')
case_ config-empty - "$FALLBACK" KASHIM_CONFIG="$c" $ENV_OK
c=$(conf comments-only '# nothing but comments\n// and more\n')
case_ config-comments-only - "$FALLBACK" KASHIM_CONFIG="$c" $ENV_OK
c=$(conf binary-nul 'idle = 5\n\177ELF\002\001\001\000\000\000')
case_ config-binary-with-nul "$c: contains a NUL byte" "$FALLBACK" KASHIM_CONFIG="$c" $ENV_OK
c=$(conf binary-high '\377\376\375\200\201idle = 5\n')
case_ config-binary-no-nul "$c:1: " "$FALLBACK" KASHIM_CONFIG="$c" $ENV_OK
c=$HX_TMP/huge.conf
{ echo 'idle = 20'; head -c 2000000 /dev/zero | tr '\0' '#'; echo; } >"$c"
case_ config-huge "$c: larger than [0-9]+ bytes" "$FALLBACK" KASHIM_CONFIG="$c" $ENV_OK
c=$(conf truncated 'idle = 20\nprogram "python3*" {\n\tidle = 5\n')
case_ config-truncated-mid-section "$c:2: .*not closed" "$FALLBACK" KASHIM_CONFIG="$c" $ENV_OK
c=$(conf unknown-key 'idle = 20\nidel = 5\n')
case_ config-unknown-key "$c:2: .*idel" "$FALLBACK" KASHIM_CONFIG="$c" $ENV_OK
c=$(conf unknown-key-in-section 'program "python3*" {\n  idle = 20\n  bogus = 1\n}\n')
case_ config-unknown-key-in-section "$c:3: .*bogus" "$FALLBACK" KASHIM_CONFIG="$c" $ENV_OK
c=$(conf wrong-type-string 'interval = 4\nidle = "thirty"\n')
case_ config-wrong-type-string "$c:2: .*idle" "$FALLBACK" KASHIM_CONFIG="$c" $ENV_OK
c=$(conf wrong-type-bool 'keepalive = 7\n')
case_ config-wrong-type-bool "$c:1: .*keepalive" "$FALLBACK" KASHIM_CONFIG="$c" $ENV_OK
c=$(conf wrong-type-list 'idle = {1, 2}\n')
case_ config-wrong-type-list "$c:1: " "$FALLBACK" KASHIM_CONFIG="$c" $ENV_OK
c=$(conf out-of-range 'idle = 20\ncount = 128\n')
case_ config-out-of-range "$c:2: count = 128 is out of range 1..127" "$FALLBACK" KASHIM_CONFIG="$c" $ENV_OK
c=$(conf zero 'idle = 0\n')
case_ config-zero "$c:1: idle = 0 is out of range" "$FALLBACK" KASHIM_CONFIG="$c" $ENV_OK
c=$(conf negative 'interval = 3\n\nidle = -5\n')
case_ config-negative "$c:3: idle = -5 is out of range" "$FALLBACK" KASHIM_CONFIG="$c" $ENV_OK
c=$(conf overflow 'idle = 99999999999999999999999\n')
case_ config-overflowing-number "$c:1: .*idle" "$FALLBACK" KASHIM_CONFIG="$c" $ENV_OK
c=$(conf user-timeout-negative 'user_timeout = -1\n')
case_ config-user-timeout-negative "$c:1: .*user_timeout" "$FALLBACK" KASHIM_CONFIG="$c" $ENV_OK
c=$(conf out-of-range-in-section 'idle = 20\nprogram "python3*" {\n  idle = 40000\n}\n')
case_ config-out-of-range-in-section "$c:3: idle = 40000 is out of range" "$FALLBACK" KASHIM_CONFIG="$c" $ENV_OK
c=$(conf duplicate-section 'program "python3*" { idle = 5 }\nprogram "python3*" { idle = 6 }\n')
case_ config-duplicate-program-section "$c:2: " "$FALLBACK" KASHIM_CONFIG="$c" $ENV_OK
c=$(conf unterminated-string 'idle = 20\nprogram "python3* { idle = 5 }\n')
case_ config-unterminated-string "$c:2: " "$FALLBACK" KASHIM_CONFIG="$c" $ENV_OK
# Found by the fuzzer: libconfuse accepted this file and echoed the
# backslash to the program's stdout.
c=$(conf unterminated-backslash 'idle = 20 "\\')
case_ config-unterminated-string-backslash-at-eof "$c:1: string opened here is not closed" "$FALLBACK" \
	KASHIM_CONFIG="$c" $ENV_OK
c=$(conf unterminated-single 'idle = 20\n\nprogram '"'"'py\\')
case_ config-unterminated-single-quote "$c:3: string opened here is not closed" "$FALLBACK" \
	KASHIM_CONFIG="$c" $ENV_OK
c=$(conf env-reference 'idle = ${KASHIM_HX_IDLE}\n')
case_ config-env-reference "$c:1: \\$\\{...\\} environment references are not supported" "$FALLBACK" \
	KASHIM_CONFIG="$c" $ENV_OK KASHIM_HX_IDLE=9
c=$(conf env-reference-quoted 'idle = 20\nprogram "${KASHIM_HX_NAME}" { idle = 9 }\n')
case_ config-env-reference-in-title "$c:2: \\$\\{...\\}" "$FALLBACK" \
	KASHIM_CONFIG="$c" $ENV_OK KASHIM_HX_NAME='python3*'
c=$(conf include "idle = 20\ninclude(\"$GOOD\")\n")
case_ config-include-directive "$c:2: .*include" "$FALLBACK" KASHIM_CONFIG="$c" $ENV_OK
case_ config-missing-file "$HX_TMP/no-such.conf does not exist" "$FALLBACK" \
	KASHIM_CONFIG="$HX_TMP/no-such.conf" $ENV_OK
case_ config-is-a-directory "$HX_TMP: not a regular file" "$FALLBACK" KASHIM_CONFIG="$HX_TMP" $ENV_OK
# A FIFO nobody writes to: opening it must not block the program forever.
mkfifo "$HX_TMP/fifo.conf"
case_ config-fifo-without-writer "$HX_TMP/fifo.conf: not a regular file" "$FALLBACK" \
	KASHIM_CONFIG="$HX_TMP/fifo.conf" $ENV_OK
if [ -e /etc/keepalive.conf ]; then
	skip "bad-input env-KASHIM_CONFIG-empty" "/etc/keepalive.conf exists here; its values are unknown"
else
	case_ env-KASHIM_CONFIG-empty "KASHIM_CONFIG is empty" "$FALLBACK" KASHIM_CONFIG= $ENV_OK
fi
# A good file still applies its values (the control for the cases above).
case_ config-good - "1 33 4 3 0" KASHIM_CONFIG="$GOOD"

# ---- environment variables: that variable alone is ignored, one message
# ---- naming it; the file (idle 33, interval 4, count 3) still applies.
FILE_VALUES="1 33 4 3 0"
bad_env() { case_ "env-$1" "environment ${2%%=*}=" "$FILE_VALUES" KASHIM_CONFIG="$GOOD" "$2"; }
bad_env KASHIM_IDLE-empty KASHIM_IDLE=
bad_env KASHIM_IDLE-words KASHIM_IDLE=abc
bad_env KASHIM_IDLE-plus KASHIM_IDLE=+5
bad_env KASHIM_IDLE-minus KASHIM_IDLE=-5
bad_env KASHIM_IDLE-zero KASHIM_IDLE=0
bad_env KASHIM_IDLE-above-range KASHIM_IDLE=32768
bad_env KASHIM_IDLE-overflow KASHIM_IDLE=99999999999999999999999999
bad_env KASHIM_IDLE-leading-space "KASHIM_IDLE= 5"
bad_env KASHIM_IDLE-trailing-space "KASHIM_IDLE=5 "
bad_env KASHIM_IDLE-inner-space "KASHIM_IDLE=1 0"
bad_env KASHIM_IDLE-hex KASHIM_IDLE=0x10
bad_env KASHIM_INTERVAL-float KASHIM_INTERVAL=1.5
bad_env KASHIM_INTERVAL-exponent KASHIM_INTERVAL=1e3
bad_env KASHIM_COUNT-above-range KASHIM_COUNT=128
bad_env KASHIM_COUNT-minus KASHIM_COUNT=-1
bad_env KASHIM_USER_TIMEOUT-minus KASHIM_USER_TIMEOUT=-1
bad_env KASHIM_USER_TIMEOUT-overflow KASHIM_USER_TIMEOUT=2147483648
bad_env KASHIM_USER_TIMEOUT-auto-space "KASHIM_USER_TIMEOUT=auto "
bad_env KASHIM_KEEPALIVE-maybe KASHIM_KEEPALIVE=maybe
bad_env KASHIM_KEEPALIVE-empty KASHIM_KEEPALIVE=
bad_env KASHIM_OVERRIDE-number KASHIM_OVERRIDE=2
bad_env KASHIM_DEBUG-words KASHIM_DEBUG=verbose
bad_env KEEPIDLE-words KEEPIDLE=abc
bad_env KEEPINTVL-minus KEEPINTVL=-3
bad_env KEEPCNT-overflow KEEPCNT=4294967297
# KASHIM_LOG naming a FIFO that nobody reads: the first message must not
# block the program (open() used to wait for a reader forever).
mkfifo "$HX_TMP/log-fifo"
env -u LD_PRELOAD HX_OUT="$HX_TMP/fifo-control.vals" "$PYTHON" "$ECHO" >"$HX_TMP/fifo-control.out" 2>&1
crc=$?
env KASHIM_LOG="$HX_TMP/log-fifo" KASHIM_IDLE=abc HX_OUT="$HX_TMP/fifo.vals" LD_PRELOAD="$HX_PRELOAD" \
	timeout 20 "$PYTHON" "$ECHO" >"$HX_TMP/fifo.out" 2>"$HX_TMP/fifo.err"
src=$?
expect_eq "bad-input env-KASHIM_LOG-fifo-without-reader: the program does not hang, output unchanged" \
	"$crc $(cat "$HX_TMP/fifo-control.out") '' 1 60 10 5 0" \
	"$src $(cat "$HX_TMP/fifo.out") '$(cat "$HX_TMP/fifo.err")' $(cat "$HX_TMP/fifo.vals" 2>/dev/null)"

# One bad variable does not take the good ones down with it.
case_ env-one-bad-one-good "environment KASHIM_COUNT=" "1 21 4 3 0" \
	KASHIM_CONFIG="$GOOD" KASHIM_IDLE=21 KASHIM_COUNT=x
finish
