#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# accept.t - the accepted side costs nothing: a server under the
# shim that accepts K connections makes no setsockopt(), getsockopt() or
# fcntl() per connection. Linux copies a listener's keepalive options to
# every socket it accepts, so configuring the listener once is enough.
#
# Counted with strace -f -e trace=setsockopt,getsockopt,fcntl on
# build/tests/perf/accept-server, whose own calls are exactly 2 getsockopt()
# per connection (it reads SO_KEEPALIVE and TCP_KEEPIDLE back to report
# them). Four runs, exact counts:
#   listener made by the server, no shim (control)  set 0       get 2K    fcntl 0
#   listener made by the server, shim               set 4       get 2K    fcntl 0
#     (socket() configured it; every connection inherits)
#   listener inherited as fd 3, no shim (control)   set 0       get 2K    fcntl 0
#   listener inherited as fd 3, shim                set 4+4*Q   get 2K+3+6(Q-1)  fcntl 0
#     (the Q connections queued before the server started were cloned
#      before the listener had the options: each is configured as it is
#      accepted, and the listener once, on the first; the first accept reads
#      SO_PROTOCOL, SO_KEEPALIVE and TCP_INFO, each later one while the
#      listener is undecided also the listener's 3 values (another thread
#      may have configured it: no lock, no per-listener record); once TCP_INFO
#      shows the queue empty the listener is decided, and the K-Q made after
#      the Q-th accept inherit at no cost)
# and every shim run's connections carry keepalive with the configured idle.
source "$(dirname "$0")/../lib/common.sh"
# The caller's settings must not reach the server (common.sh's KASHIM_ROOT
# and KASHIM_LIB are not exported, so they stay).
for v in $(compgen -e | grep -E '^(KASHIM_|KEEP)'); do unset "$v"; done
unset LD_PRELOAD

SERVER=$KASHIM_ROOT/build/tests/perf/accept-server
K=20
Q=8 # connections queued before the server's first accept (inherited listener)
IDLE=45

if ! command -v strace >/dev/null; then
	skip "accept-zero-calls" "strace is not installed (scripts/install-deps test)"
	finish
fi
for f in "$SERVER" "$KASHIM_LIB"; do
	[ -e "$f" ] || { fail "accept-zero-calls" "$f missing: run make check"; finish; }
done

t_tmpdir tmp perf
server_pid=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	rm -rf "$tmp"
}
t_on_exit cleanup

# A config of our own, so that /etc/keepalive.conf cannot change the counts.
printf 'keepalive = true\nidle = %d\ninterval = 7\ncount = 3\nuser_timeout = 0\noverride = false\n' \
	"$IDLE" >"$tmp/keepalive.conf"
export KASHIM_CONFIG=$tmp/keepalive.conf KASHIM_LOG=$tmp/kashim.log

# wait_for TEST FILE: until [ TEST FILE ] holds (10 s at most). The files
# waited for are written with one write() each.
wait_for() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$1" "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# run_case NAME MODE PRELOAD: MODE "listen" (the server makes its listener;
# K connections once it listens) or "inherit" (an unpreloaded python3 makes
# it, queues Q connections on it, and passes it as fd 3; K-Q more after the
# server's Q-th accept). PRELOAD is the shim or "" (control). Sets SET GET
# FCNTL OUT for NAME.
run_case() {
	local name=$1 mode=$2 preload=$3 trace=$tmp/$1.trace port=""
	local strace_cmd=(strace -f -qq -e trace=setsockopt,getsockopt,fcntl -o "$trace")
	[ -n "$preload" ] && strace_cmd+=(-E "LD_PRELOAD=$preload")
	rm -f "$tmp/ready" "$tmp/port.tmp"
	if [ "$mode" = listen ]; then
		"${strace_cmd[@]}" "$SERVER" listen "$K" "$tmp/port.tmp" >"$tmp/$name.out" 2>"$tmp/$name.err" &
		server_pid=$!
		wait_for -s "$tmp/port.tmp" && port=$(cat "$tmp/port.tmp")
		[ -n "$port" ] && "$SERVER" connect "$port" "$K" 2>>"$tmp/$name.err"
	else
		"$PYTHON" -c '
import os, socket, subprocess, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(128)
subprocess.run([sys.argv[1], "connect", str(s.getsockname()[1]), sys.argv[2]], check=True)
with open(sys.argv[3], "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)  # dup2(3, 3) keeps close-on-exec
os.execvp(sys.argv[4], sys.argv[4:])
' "$SERVER" "$Q" "$tmp/port.tmp" "${strace_cmd[@]}" "$SERVER" fd 3 "$K" "$tmp/ready" "$Q" \
			>"$tmp/$name.out" 2>"$tmp/$name.err" &
		server_pid=$!
		wait_for -e "$tmp/ready" && port=$(cat "$tmp/port.tmp")
		[ -n "$port" ] && "$SERVER" connect "$port" $((K - Q)) 2>>"$tmp/$name.err"
	fi
	wait "$server_pid"
	server_pid=
	OUT=$(cat "$tmp/$name.out")
	SET=$(grep -c 'setsockopt(' "$trace" 2>/dev/null)
	GET=$(grep -c 'getsockopt(' "$trace" 2>/dev/null)
	FCNTL=$(grep -c 'fcntl(' "$trace" 2>/dev/null)
	[ -s "$tmp/$name.err" ] && echo "# $name stderr: $(head -c 300 "$tmp/$name.err")"
}

# expect_case NAME WANT_SET WANT_GET WANT_KEEPALIVE WANT_IDLE ("-": any)
expect_case() {
	local name=$1 why=()
	[ "$SET" = "$2" ] || why+=("setsockopt $SET, expected $2")
	[ "$GET" = "$3" ] || why+=("getsockopt $GET, expected $3")
	[ "$FCNTL" = 0 ] || why+=("fcntl $FCNTL, expected 0")
	[[ $OUT == "accepted $K keepalive $4 idle "* ]] || why+=("server said '$OUT', expected $K accepted, $4 with keepalive")
	[ "$5" = - ] || [[ $OUT == *" idle $5" ]] || why+=("server said '$OUT', expected idle $5")
	if [ ${#why[@]} = 0 ]; then
		pass "$name (setsockopt $SET, getsockopt $GET, fcntl $FCNTL for $K connections)"
	else
		fail "$name" "${why[*]}"
	fi
}

run_case listen-control listen ""
expect_case "accept-listener-made-here-control" 0 $((2 * K)) 0 -
run_case listen-shim listen "$KASHIM_LIB"
expect_case "accept-listener-configured-by-socket-zero-calls-per-connection" 4 $((2 * K)) "$K" "$IDLE"
# All 4 on the listener (fd 3 here), none on an accepted socket.
fds=$(sed -n 's/.*setsockopt(\([0-9]*\),.*/\1/p' "$tmp/listen-shim.trace" | sort -u | tr '\n' ' ')
expect_eq "accept-shim-calls-only-on-the-listener" "3 " "$fds"

run_case inherit-control inherit ""
expect_case "accept-inherited-listener-control" 0 $((2 * K)) 0 -
run_case inherit-shim inherit "$KASHIM_LIB"
expect_case "accept-inherited-listener-adopted-once" $((4 + 4 * Q)) $((2 * K + 3 + 6 * (Q - 1))) "$K" "$IDLE"

if [ -s "$tmp/kashim.log" ]; then
	fail "accept-no-warnings" "$(head -c 300 "$tmp/kashim.log")"
else
	pass "accept-no-warnings"
fi
finish
