# SPDX-License-Identifier: MIT
# karun.t - the user's way in: stock programs started through ka-run
# get the options given on its command line; the same programs started
# without it get nothing. (ka-run's own option handling is tested in
# tests/karun; this checks the result on live sockets of real programs.)
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"
h_ready || finish
if [ ! -x "$KA_RUN" ]; then
	skip karun-harness "build/ka-run is not built (run make)"
	finish
fi
h_need karun-socat socat || finish

h_listen_peer PEER || { fail karun-peer "peer did not start"; finish; }
KR=("$KA_RUN" -c "$H_TMP/empty.conf" --log "$H_TMP/kashim.log")
h_start client "${KR[@]}" -i 19 -n 6 -k 5 -u 12000 -- socat TCP:127.0.0.1:"$PEER" EXEC:cat
h_start client_auto "${KR[@]}" -i 19 -n 6 -k 5 -u auto -- socat TCP:127.0.0.1:"$PEER" EXEC:cat
h_start client_control socat TCP:127.0.0.1:"$PEER" EXEC:cat
h_expect karun-socat-client client "on 19 6 5 12000" state=ESTABLISHED remote="$PEER"
# auto: (idle + interval * count) * 1000 = (19 + 6 * 5) * 1000
h_expect karun-socat-client-auto client_auto "on 19 6 5 49000" state=ESTABLISHED remote="$PEER"
h_expect karun-socat-client-control client_control off state=ESTABLISHED remote="$PEER"

port=$(t_free_port)
h_start server "${KR[@]}" -i 21 -n 3 -k 2 -- socat TCP-LISTEN:"$port",bind=127.0.0.1,reuseaddr EXEC:cat
if h_wait_listen karun-socat-server server "$port"; then
	h_connect_peer server_peer "$port"
	h_expect karun-socat-server server "on 21 3 2 0" state=ESTABLISHED local="$port"
fi

# --override against a program with its own keepalive (curl: 60/60).
if command -v curl >/dev/null; then
	h_start curl_override "${KR[@]}" -i 19 -n 6 -k 5 --override -- \
		curl -s -o /dev/null --max-time 30 http://127.0.0.1:"$PEER"/
	h_start curl_own "${KR[@]}" -i 19 -n 6 -k 5 -- \
		curl -s -o /dev/null --max-time 30 http://127.0.0.1:"$PEER"/
	h_expect karun-curl-override curl_override "on 19 6 5 0" state=ESTABLISHED remote="$PEER"
	h_expect karun-curl-own curl_own "on 60 60 5 0" state=ESTABLISHED remote="$PEER"
else
	skip karun-curl-override "curl is not installed"
fi
finish
