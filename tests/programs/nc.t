# SPDX-License-Identifier: MIT
# nc.t - OpenBSD netcat (Debian's netcat-openbsd) as a client and as a
# server (it accepts with accept4(..., SOCK_NONBLOCK)), under the shim and
# without it, each against an unshimmed peer. -d: never read stdin, so the
# connection stays open and idle.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"
h_ready || finish
h_need nc nc || finish
# Debian's "nc" may be the traditional netcat, whose options differ.
if ! nc -h 2>&1 | grep -qi openbsd; then
	skip nc "nc is not netcat-openbsd (scripts/install-deps test installs it)"
	finish
fi

h_listen_peer PEER || { fail nc-peer "peer did not start"; finish; }
h_start shimmed "${SHIM[@]}" nc -d 127.0.0.1 "$PEER"
h_start control nc -d 127.0.0.1 "$PEER"
h_expect nc-client-shimmed shimmed "$H_ON" state=ESTABLISHED remote="$PEER"
h_expect nc-client-control control off state=ESTABLISHED remote="$PEER"

for side in shimmed control; do
	port=$(h_free_port)
	if [ $side = shimmed ]; then
		h_start server_$side "${SHIM[@]}" nc -d -l 127.0.0.1 "$port"
		expected=$H_ON
	else
		h_start server_$side nc -d -l 127.0.0.1 "$port"
		expected=off
	fi
	h_wait_listen nc-server-$side server_$side "$port" || continue
	h_connect_peer peer_$side "$port"
	h_expect nc-server-$side server_$side "$expected" state=ESTABLISHED local="$port"
done
finish
