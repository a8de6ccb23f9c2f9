# SPDX-License-Identifier: MIT
# lib.sh - shared by the stock-program tests (tests/programs/*.t), sourced
# after tests/lib/common.sh. They run stock Debian programs with and
# without the shim and read their live sockets with build/ka-status.
#
# Every program is started with h_start, which remembers its pid; at exit
# they are all stopped and the temporary directory removed. Waiting is
# always a bounded poll (h_wait), never a fixed sleep.

H_DIR=$KASHIM_ROOT/tests/programs
t_tmpdir H_TMP programs
H_PIDS=()

# The values the shim is given: none is a kernel default (7200/75/9), nor
# what curl (60/60) or redis (300/100/3) set themselves, so a match proves
# the shim set them.
H_IDLE=17 H_INTVL=7 H_CNT=4
H_ON="on $H_IDLE $H_INTVL $H_CNT 0"

# Nothing from the caller's environment may reach a control run.
t_clean_env
: >"$H_TMP/empty.conf"
# The shimmed command prefix: an empty config file so that a real
# /etc/keepalive.conf cannot change the outcome, logs kept in H_TMP.
# SHIM_BARE: the preload alone, every setting left to a config file.
SHIM_BARE=(env LD_PRELOAD="$KASHIM_LIB" KASHIM_LOG="$H_TMP/kashim.log")
SHIM=("${SHIM_BARE[@]}" KASHIM_CONFIG="$H_TMP/empty.conf"
	KASHIM_IDLE=$H_IDLE KASHIM_INTERVAL=$H_INTVL KASHIM_COUNT=$H_CNT)

# h_cleanup: stop every program h_start started (TERM, then KILL after a
# bounded wait). Runs at exit, before H_TMP is removed.
h_cleanup() {
	local pid i
	for pid in "${H_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for i in $(seq 50); do
		local alive=0
		for pid in "${H_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	for pid in "${H_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
	wait 2>/dev/null
}
t_on_exit h_cleanup

# h_need NAME PROGRAM...: true when every PROGRAM is installed; otherwise
# prints "SKIP NAME: ..." and returns 1.
h_need() {
	local name=$1 p
	shift
	for p in "$@"; do
		if ! command -v "$p" >/dev/null; then
			skip "$name" "$p is not installed (scripts/install-deps test installs it)"
			return 1
		fi
	done
}

# h_ready: true when build/ka-status and the shim are built; otherwise a
# FAIL (make check builds both, so their absence is a real failure).
h_ready() {
	if [ ! -x "$KA_STATUS" ] || [ ! -f "$KASHIM_LIB" ]; then
		fail "programs-prerequisites" "build/ka-status or build/libkashim.so missing: run make"
		return 1
	fi
}

# h_start VAR COMMAND...: start COMMAND in the background (stdin /dev/null,
# output in H_TMP/VAR.out), store its pid in VAR. COMMAND is exec()ed by
# the background child, so the pid is the program's own (env and ka-run
# exec too).
h_start() {
	local var=$1
	shift
	"$@" </dev/null >"$H_TMP/$var.out" 2>&1 &
	printf -v "$var" %s "$!"
	H_PIDS+=("$!")
}

# h_query PID FILTER...: one reading of PID's sockets through ka-status;
# prints the settings of the first socket matching FILTER (t_socket).
h_query() { T_KA_STATUS_ERR=$H_TMP/ka-status.err t_socket "$@"; }

# h_wait PID FILTER...: poll h_query for up to 10 s until a socket matches;
# prints its settings. Returns 1 on timeout or when PID has exited.
h_wait() { T_KA_STATUS_ERR=$H_TMP/ka-status.err t_wait_socket 10 "$@"; }

# h_diag VAR: a short description of the program started as VAR, for FAIL
# lines: whether it still runs and the end of its output.
h_diag() {
	local pid=${!1}
	local state=exited
	kill -0 "$pid" 2>/dev/null && state="running as $(cat /proc/"$pid"/comm 2>/dev/null)"
	echo "pid $pid $state; output: $(tail -c 300 "$H_TMP/$1.out" 2>/dev/null | tr '\n' ' ')"
}

# h_expect NAME VAR EXPECTED FILTER...: checks the socket of the program
# started as VAR that matches FILTER. EXPECTED is "off" (only keepalive is
# compared: the other values are then the kernel's unused defaults) or the
# full "on IDLE INTERVAL COUNT USER_TIMEOUT".
# A program may set its own options just after connect() (redis-cli,
# curl do): the socket can be seen ESTABLISHED a moment before that, so the
# reading is repeated for up to 5 s until it matches; the last one is judged.
h_expect() {
	local name=$1 var=$2 expected=$3 got i
	shift 3
	if ! got=$(h_wait "${!var}" "$@"); then
		fail "$name" "no socket matching '$*' ($(h_diag "$var"))"
		return
	fi
	for i in $(seq 50); do
		[ "$expected" = off ] && got=${got%% *}
		[ "$got" = "$expected" ] && break
		sleep 0.1
		got=$(h_query "${!var}" "$@") || break
	done
	expect_eq "$name" "$expected" "$got"
}

# h_listen_peer VAR: start an unshimmed peer (peer.py listen) that accepts
# and holds connections without answering; store its port in VAR.
h_listen_peer() {
	local var=$1 file="$H_TMP/$1.port"
	h_start "${var}_pid" "$PYTHON" "$H_DIR/peer.py" listen "$file"
	t_wait_file "$file" 5
	printf -v "$var" %s "$(cat "$file" 2>/dev/null)"
	[ -n "${!var}" ]
}

# h_connect_peer VAR PORT: start an unshimmed peer (peer.py connect) that
# connects to 127.0.0.1:PORT and holds the connection; its pid in VAR.
h_connect_peer() {
	h_start "$1" "$PYTHON" "$H_DIR/peer.py" connect "$2"
}

# h_wait_listen NAME VAR PORT: wait until the server started as VAR listens
# on PORT. On timeout prints FAIL NAME and returns 1.
h_wait_listen() {
	if ! h_wait "${!2}" state=LISTEN local="$3" >/dev/null; then
		fail "$1" "server never listened on port $3 ($(h_diag "$2"))"
		return 1
	fi
}

# h_wait_file FILE: wait up to 10 s for FILE to exist and be non-empty.
h_wait_file() { t_wait_file "$1" 10; }

# ---- a stock program as shimmed and control client and server (nc.t, socat.t) ----
# h_clients TEST CMD...: CMD connects to a peer that accepts and holds the
# connection; checks TEST-client-shimmed (the shim's values) and
# TEST-client-control (keepalive off) on its ESTABLISHED socket. TEST-peer
# fails, and the file ends, when the peer does not start.
h_clients() {
	local test=$1 PEER
	shift
	h_listen_peer PEER || { fail "$test-peer" "peer did not start"; finish; }
	h_start shimmed "${SHIM[@]}" "${@//@PORT@/$PEER}"
	h_start control "${@//@PORT@/$PEER}"
	h_expect "$test-client-shimmed" shimmed "$H_ON" state=ESTABLISHED remote="$PEER"
	h_expect "$test-client-control" control off state=ESTABLISHED remote="$PEER"
}

# h_servers TEST CMD...: CMD listens on a free port of 127.0.0.1 and a peer
# connects and holds the connection; checks TEST-server-shimmed and
# TEST-server-control on the accepted socket (or fails that check when the
# server never listens).
h_servers() {
	local test=$1 side port pre expected
	shift
	for side in shimmed control; do
		port=$(t_free_port)
		if [ $side = shimmed ]; then pre=("${SHIM[@]}") expected=$H_ON; else pre=() expected=off; fi
		h_start "server_$side" "${pre[@]}" "${@//@PORT@/$port}"
		h_wait_listen "$test-server-$side" "server_$side" "$port" || continue
		h_connect_peer "peer_$side" "$port"
		h_expect "$test-server-$side" "server_$side" "$expected" state=ESTABLISHED local="$port"
	done
}
