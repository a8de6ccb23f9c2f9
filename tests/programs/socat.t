# SPDX-License-Identifier: MIT
# socat.t - socat (Debian's binary) as a client and as a server (it accepts
# with accept()), under the shim and without it. The other end is always an
# unshimmed peer, so each reading is the program's own socket.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"
h_ready || finish
h_need socat socat || finish

# Client: both connect to one peer that accepts and holds connections.
h_listen_peer PEER || { fail socat-peer "peer did not start"; finish; }
h_start shimmed "${SHIM[@]}" socat TCP:127.0.0.1:"$PEER" EXEC:cat
h_start control socat TCP:127.0.0.1:"$PEER" EXEC:cat
h_expect socat-client-shimmed shimmed "$H_ON" state=ESTABLISHED remote="$PEER"
h_expect socat-client-control control off state=ESTABLISHED remote="$PEER"

# Server: one connection each, from an unshimmed peer.
for side in shimmed control; do
	port=$(h_free_port)
	if [ $side = shimmed ]; then
		h_start server_$side "${SHIM[@]}" socat TCP-LISTEN:"$port",bind=127.0.0.1,reuseaddr EXEC:cat
		expected=$H_ON
	else
		h_start server_$side socat TCP-LISTEN:"$port",bind=127.0.0.1,reuseaddr EXEC:cat
		expected=off
	fi
	h_wait_listen socat-server-$side server_$side "$port" || continue
	h_connect_peer peer_$side "$port"
	h_expect socat-server-$side server_$side "$expected" state=ESTABLISHED local="$port"
done
finish
