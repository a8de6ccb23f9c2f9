#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One table of values, fed to ka-run's options and to the shim's KASHIM_*
# variables: both refuse exactly the same ones (ka-run with exit 2, the shim
# by ignoring the variable with one message), and both accept the rest. Both
# use config/'s parsers; this proves no second copy of a rule crept back.
. "$(dirname "$0")/../lib/common.sh"

t_tmpdir tmp
t_clean_env
: >"$tmp/empty.conf"

# OPTION VARIABLE: the bad values, then "::", then good ones ('' is empty).
table=(
	"--idle KASHIM_IDLE" "'' 0 32768 -1 +5 1.5 abc ' 30' '30 ' 0x10 1e3 99999999999999999999 :: 1 030 32767"
	"--interval KASHIM_INTERVAL" "'' 0 32768 -3 ten :: 1 32767"
	"--count KASHIM_COUNT" "'' 0 128 -1 0x7 :: 1 007 127"
	"--user-timeout KASHIM_USER_TIMEOUT" "'' -1 2147483648 never 1e3 1.0 autox :: 0 2147483647 auto AUTO"
	"--log KASHIM_LOG" "'' relative/file Syslog STDERR file :: stderr $tmp/shim.log"
)

# karun_accepts OPTION VALUE: ka-run runs `true` with it.
karun_accepts() { (cd "$tmp" && "$KA_RUN" -c "$tmp/empty.conf" "$1=$2" true 2>/dev/null); }

# shim_accepts VARIABLE VALUE: the shim takes the variable. For the number
# variables: no message naming it in its log. For KASHIM_LOG: its debug
# messages go where the value says (stderr, or the file).
shim_accepts() {
	local var=$1 value=$2 out
	rm -f "$tmp/shim.log" "$tmp/relative/file" "$tmp/file"
	mkdir -p "$tmp/relative"
	if [ "$var" = KASHIM_LOG ]; then
		out=$(cd "$tmp" && env LD_PRELOAD="$KASHIM_LIB" KASHIM_CONFIG="$tmp/empty.conf" KASHIM_DEBUG=1 \
			"$var=$value" "$PYTHON" -c 'import socket; socket.socket()' 2>&1)
		[ -e "$tmp/relative/file" ] || [ -e "$tmp/file" ] && return 2
		grep -q 'kashim\[' <<<"$out" || grep -qs 'kashim\[' "$tmp/shim.log"
		return
	fi
	env LD_PRELOAD="$KASHIM_LIB" KASHIM_CONFIG="$tmp/empty.conf" KASHIM_LOG="$tmp/shim.log" \
		"$var=$value" "$PYTHON" -c 'import socket; socket.socket()' 2>/dev/null
	! grep -qs "$var=" "$tmp/shim.log"
}

for ((i = 0; i < ${#table[@]}; i += 2)); do
	read -r option var <<<"${table[i]}"
	eval "values=(${table[i + 1]})"
	want=refused
	for v in "${values[@]}"; do
		if [ "$v" = "::" ]; then want=accepted; continue; fi
		karun_accepts "$option" "$v" && k=accepted || k=refused
		shim_accepts "$var" "$v" && s=accepted || s=refused
		name="$option / $var '$v'"
		if [ "$k" = "$want" ] && [ "$s" = "$want" ]; then pass "$name: both $want"
		else fail "$name" "want $want; ka-run $k, shim $s"; fi
	done
done

# The control: the shim does read the variables (a good value reaches the socket).
got=$(env LD_PRELOAD="$KASHIM_LIB" KASHIM_CONFIG="$tmp/empty.conf" KASHIM_IDLE=030 "$PYTHON" -c '
import socket; s = socket.socket(); print(s.getsockopt(6, socket.TCP_KEEPIDLE))')
expect_eq "control: the shim applies KASHIM_IDLE=030 as 30" 30 "$got"

finish
