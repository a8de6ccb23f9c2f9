# SPDX-License-Identifier: MIT
# programs.sh - a stock program as a client and as a server, each under the
# shim and, as the control, without it, against an unshimmed peer (the
# peer's socket is never the one read). Sourced after tests/programs/lib.sh,
# whose h_start, h_expect and peers these use. In CMD, @PORT@ stands for
# the port the program connects to or listens on.

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
		port=$(h_free_port)
		if [ $side = shimmed ]; then pre=("${SHIM[@]}") expected=$H_ON; else pre=() expected=off; fi
		h_start "server_$side" "${pre[@]}" "${@//@PORT@/$port}"
		h_wait_listen "$test-server-$side" "server_$side" "$port" || continue
		h_connect_peer "peer_$side" "$port"
		h_expect "$test-server-$side" "server_$side" "$expected" state=ESTABLISHED local="$port"
	done
}
