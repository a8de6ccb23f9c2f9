# SPDX-License-Identifier: MIT
# nonblock.t - connect() corner cases with rules: a non-blocking connect
# (EINPROGRESS) is configured and returns the same errno as without the
# shim; a refused connect keeps ECONNREFUSED and configures nothing; the
# same socket connecting again is matched again. Control: no shim.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"
r_ready || finish
BASE=$(r_base)
[ -n "$BASE" ] || { fail rules-ports "no 40 free ports"; finish; }

cat >"$R_CONF" <<CONF
idle = 100
destination "127.0.0.1:$((BASE + 30))-$((BASE + 31))" { idle = 31 interval = 3 }
CONF

r_shim "$R_TMP/shim" -- nonblock
r_plain "$R_TMP/plain" nonblock
r_expect nonblocking-connect-errno "$R_TMP/shim" nb-errno 115
r_expect control-nonblocking-connect-errno "$R_TMP/plain" nb-errno 115
r_expect nonblocking-connect-configured "$R_TMP/shim" nb 1/31/3/5/0
r_expect control-nonblocking "$R_TMP/plain" nb "$R_UNTOUCHED"
r_expect refused-connect-errno "$R_TMP/shim" refused-errno 111
r_expect control-refused-connect-errno "$R_TMP/plain" refused-errno 111
r_expect refused-connect-configures-nothing "$R_TMP/shim" refused "$R_UNTOUCHED"
r_expect reconnect-succeeds "$R_TMP/shim" again-errno 0
r_expect control-reconnect-succeeds "$R_TMP/plain" again-errno 0
r_expect reconnect-matched-again "$R_TMP/shim" again 1/31/3/5/0
r_expect control-reconnect "$R_TMP/plain" again "$R_UNTOUCHED"
finish
