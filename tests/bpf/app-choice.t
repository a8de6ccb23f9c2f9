#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# app-choice.t - a program's own SO_KEEPALIVE (off or on, before or after
# connect) under kashim-bpf, override off and on, side by side with the
# shim given the same settings: both must leave the same options on the
# socket (read from outside by ka-status), and the expected ones.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

kb_init bpf-app-choice
kb_mkcg CG choice || { fail bpf-app-choice-setup "cannot create a cgroup"; finish; }
: >"$KB_TMP/empty.conf"
kb_hold srv 127.0.0.1 || { fail bpf-app-choice-setup "server did not start"; finish; }
OURS="idle=17 intvl=4 cnt=3 uto=20000"
n=0

# run VAR CGROUP|- [ENV...] -- ARGS...: kb-client ARGS, its options as
# ka-status reads them.
run() {
	local var=$1 cg=$2 name=c$((n++)) pid_var
	shift 2
	kb_env_args "$@"
	kb_start "$name" "$cg" env "${KB_ENVS[@]}" "$KBT/kb-client" "${KB_ARGS[@]}" 127.0.0.1 "$PORT_srv"
	pid_var=PID_$name
	if kb_wait "$name" connected; then
		printf -v "$var" %s "$(kb_sockopts "${!pid_var}" "$PORT_srv")"
	else
		printf -v "$var" %s "no connection: $(head -c 200 "$KB_TMP/$name.err")"
	fi
}

# listener VAR CGROUP|- [ENV...]: a python3 server that turns SO_KEEPALIVE
# off on its listener; VAR gets the options of the connection it accepts.
listener() {
	local var=$1 cg=$2 name=l$((n++)) pid_var port
	shift 2
	kb_start "$name" "$cg" env "$@" "$PYTHON" -c '
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 0)
s.bind(("127.0.0.1", 0))
s.listen()
print("ready", s.getsockname()[1], flush=True)
c, _ = s.accept()
print("accepted x", flush=True)
time.sleep(60)'
	pid_var=PID_$name
	printf -v "$var" %s "no connection"
	kb_wait "$name" ready || return
	port=$(kb_field "$name" ready 2)
	kb_start "$name-client" - "$KBT/kb-client" 127.0.0.1 "$port"
	kb_wait "$name" accepted && printf -v "$var" %s "$(kb_sockopts "${!pid_var}" "$port")"
}

for override in off on; do
	if [ $override = on ]; then flag=--override; else flag=; fi
	"$KASHIM_BPF" attach -c "$KB_TMP/empty.conf" -i 17 -n 4 -k 3 -u 20000 $flag "$CG" >/dev/null ||
		fail "attach (override $override)" "exit $?"
	shim_env=(LD_PRELOAD="$KASHIM_LIB" KASHIM_CONFIG="$KB_TMP/empty.conf" KASHIM_KEEPALIVE=on KASHIM_IDLE=17
		KASHIM_INTERVAL=4 KASHIM_COUNT=3 KASHIM_USER_TIMEOUT=20000 KASHIM_OVERRIDE=$override)
	for choice in none "-b off" "-a off" "-b on" "-a on"; do
		args=()
		[ "$choice" != none ] && read -ra args <<<"$choice"
		case "$override:$choice" in
		off:-?\ off) want="ka=0 $OURS" ;; # the program's off stands, our timings idle
		*) want="ka=1 $OURS" ;;
		esac
		run bpf "$CG" -- "${args[@]}"
		run shim - "${shim_env[@]}" -- "${args[@]}"
		run ctl - -- "${args[@]}"
		expect_eq "override $override, program's choice '$choice': kashim-bpf" "$want" "$bpf"
		expect_eq "override $override, program's choice '$choice': the shim agrees" "$bpf" "$shim"
		case $choice in
		none | *off) expect_eq "control: choice '$choice' outside the cgroup, no shim: keepalive off" ka=0 "${ctl%% *}" ;;
		*) expect_eq "control: choice '$choice' outside the cgroup, no shim: the program's own on, kernel timings" \
			"ka=1 idle=7200" "$(cut -d' ' -f1-2 <<<"$ctl")" ;;
		esac
	done
	# Go's default Dialer turns keepalive on with its own 15 s after
	# connect (no shim can reach it to compare): override decides.
	if [ -x "$KBT/kb-goclient" ]; then
		name=g$((n++))
		kb_start "$name" "$CG" "$KBT/kb-goclient" -default "127.0.0.1:$PORT_srv"
		pid_var=PID_$name
		got=none
		kb_wait "$name" connected && got=$(kb_sockopts "${!pid_var}" "$PORT_srv")
		if [ $override = off ]; then want="ka=1 idle=15 intvl=15 cnt=3 uto=20000"; else want="ka=1 $OURS"; fi
		expect_eq "override $override, Go's default Dialer (its own 15 s after connect)" "$want" "$got"
	fi
	if [ $override = off ]; then want="ka=0 $OURS"; else want="ka=1 $OURS"; fi
	listener bpf "$CG"
	listener shim - "${shim_env[@]}"
	expect_eq "override $override, listener with SO_KEEPALIVE off: its accepted connection (kashim-bpf)" "$want" "$bpf"
	expect_eq "override $override, listener with SO_KEEPALIVE off: the shim agrees" "$bpf" "$shim"
done
# The counters say what happened under override on: kb-client's 4 calls,
# the listener's, and Go's 3 (SO_KEEPALIVE, TCP_KEEPINTVL, TCP_KEEPIDLE).
vetoes=5
[ -x "$KBT/kb-goclient" ] && vetoes=8
vetoed=$("$KASHIM_BPF" status --json | "$PYTHON" -c '
import json, sys
print([a["vetoed"] for a in json.load(sys.stdin)["attachments"] if a["cgroup"] == sys.argv[1]])' "$CG")
expect_eq "status counts the $vetoes vetoed calls of override on" "[$vetoes]" "$vetoed"
finish
