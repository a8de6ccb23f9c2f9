# SPDX-License-Identifier: MIT
# config.t - settings from a keepalive.conf program section reach a stock
# program: socat gets its section's values, python3 (no section) the file's
# top level, socat without the shim nothing. No KASHIM_IDLE & co. here:
# every value comes from the file.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"
h_ready || finish
h_need config-socat socat || finish

conf=$H_TMP/keepalive.conf
cat >"$conf" <<'EOF2'
# top level: for every program without a section of its own
idle = 31
program "socat" {
	idle = 23
	interval = 8
	count = 2
	user_timeout = 4000
}
program "curl" {
	keepalive = false
}
EOF2

CLIENT='import socket, sys, time
conn = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
time.sleep(60)'
h_listen_peer PEER || { fail config-peer "peer did not start"; finish; }
h_start socat_section "${SHIM_BARE[@]}" KASHIM_CONFIG="$conf" socat TCP:127.0.0.1:"$PEER" EXEC:cat
h_start python_top "${SHIM_BARE[@]}" KASHIM_CONFIG="$conf" "$PYTHON" -c "$CLIENT" "$PEER"
h_start socat_control socat TCP:127.0.0.1:"$PEER" EXEC:cat
# Section values; top level idle with the built-in interval 10 and count 5.
h_expect config-program-section socat_section "on 23 8 2 4000" state=ESTABLISHED remote="$PEER"
h_expect config-top-level python_top "on 31 10 5 0" state=ESTABLISHED remote="$PEER"
h_expect config-control socat_control off state=ESTABLISHED remote="$PEER"
# A section can also exclude a program: curl's section turns keepalive off.
if command -v curl >/dev/null; then
	h_start curl_excluded "${SHIM_BARE[@]}" KASHIM_CONFIG="$conf" \
		curl -s -o /dev/null --max-time 30 --no-keepalive http://127.0.0.1:"$PEER"/
	h_start curl_included "${SHIM_BARE[@]}" KASHIM_CONFIG="$H_TMP/empty.conf" \
		curl -s -o /dev/null --max-time 30 --no-keepalive http://127.0.0.1:"$PEER"/
	h_expect config-section-excludes curl_excluded off state=ESTABLISHED remote="$PEER"
	h_expect config-section-excludes-control curl_included "on 60 10 5 0" state=ESTABLISHED remote="$PEER"
else
	skip config-section-excludes "curl is not installed"
fi
finish
