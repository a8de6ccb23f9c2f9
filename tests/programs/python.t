# SPDX-License-Identifier: MIT
# python.t - Debian's python3 as a client (socket.create_connection) and as
# a server (python3 -m http.server; socket.accept() is accept4() with
# SOCK_CLOEXEC), under the shim and without it, each against an unshimmed
# peer. Then a listener the shim never saw being made: inherited from
# systemd-socket-activate, so the shim must adopt it on the first accept4().
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"
h_ready || finish
h_need python3 "$PYTHON" || finish

CLIENT='import socket, sys, time
conn = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
time.sleep(60)'

h_listen_peer PEER || { fail python-peer "peer did not start"; finish; }
h_start shimmed "${SHIM[@]}" "$PYTHON" -c "$CLIENT" "$PEER"
h_start control "$PYTHON" -c "$CLIENT" "$PEER"
h_expect python-client-shimmed shimmed "$H_ON" state=ESTABLISHED remote="$PEER"
h_expect python-client-control control off state=ESTABLISHED remote="$PEER"

# http.server: the peer connects and never sends a request, so the handler
# thread holds the accepted socket open.
for side in shimmed control; do
	port=$(t_free_port)
	if [ $side = shimmed ]; then
		h_start server_$side "${SHIM[@]}" "$PYTHON" -m http.server --bind 127.0.0.1 "$port"
		expected=$H_ON
	else
		h_start server_$side "$PYTHON" -m http.server --bind 127.0.0.1 "$port"
		expected=off
	fi
	h_wait_listen python-server-$side server_$side "$port" || continue
	h_connect_peer peer_$side "$port"
	h_expect python-server-$side server_$side "$expected" state=ESTABLISHED local="$port"
done

# The premise of calling this the accept4() server: strace shows it.
if command -v strace >/dev/null; then
	port=$(t_free_port)
	h_start traced strace -f -qq -e trace=accept,accept4 -o "$H_TMP/accept.strace" \
		"$PYTHON" -m http.server --bind 127.0.0.1 "$port"
	# The traced server is strace's child, not ours: remember it so the
	# cleanup kills it too (strace only detaches when it is killed).
	server=""
	for i in $(seq 100); do
		[ -z "$server" ] && server=$(pgrep -P "$traced" | head -1) && [ -n "$server" ] && H_PIDS+=("$server")
		[ -n "$server" ] && h_query "$server" state=LISTEN local="$port" >/dev/null && break
		sleep 0.1
	done
	h_connect_peer peer_traced "$port"
	accepted='^[0-9]+ +accept4\(.*= [0-9]+$'
	for i in $(seq 100); do grep -Eq "$accepted" "$H_TMP/accept.strace" && break; sleep 0.1; done
	check python-server-uses-accept4 grep -Eq "$accepted" "$H_TMP/accept.strace"
	expect_eq python-server-no-plain-accept 0 "$(grep -Ec '^[0-9]+ +accept\(' "$H_TMP/accept.strace")"
else
	skip python-server-uses-accept4 "strace is not installed"
fi

# Inherited listener (LISTEN_FDS): made by systemd-socket-activate before
# python starts, so it is only adopted at accept4(); the connection and the
# listener itself then carry our settings.
if command -v systemd-socket-activate >/dev/null; then
	SERVER='import socket, time
listener = socket.socket(fileno=3)
conn, _ = listener.accept()
time.sleep(60)'
	for side in shimmed control; do
		port=$(t_free_port)
		if [ $side = shimmed ]; then
			h_start activated_$side systemd-socket-activate -l 127.0.0.1:"$port" \
				"${SHIM[@]}" "$PYTHON" -c "$SERVER"
			expected=$H_ON
		else
			h_start activated_$side systemd-socket-activate -l 127.0.0.1:"$port" \
				"$PYTHON" -c "$SERVER"
			expected=off
		fi
		h_wait_listen python-inherited-$side activated_$side "$port" || continue
		h_connect_peer peer_activated_$side "$port"
		h_expect python-inherited-$side activated_$side "$expected" state=ESTABLISHED local="$port"
		h_expect python-inherited-listener-$side activated_$side "$expected" state=LISTEN local="$port"
	done
else
	skip python-inherited "systemd-socket-activate is not installed (package systemd)"
fi
finish
