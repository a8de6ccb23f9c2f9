# SPDX-License-Identifier: MIT
# nonblock.t - connect() corner cases with rules: a non-blocking connect
# (EINPROGRESS) is configured and returns the same errno as without the
# shim; a refused connect keeps ECONNREFUSED and the socket keeps the
# program's settings it got at socket() (no rule applied); the
# same socket connecting again is matched again; the program's own
# keepalive calls stand unless the rule says override. Control: no shim.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"
r_setup || finish

cat >"$R_CONF" <<CONF
idle = 100
destination "127.0.0.1:$((BASE + 30))-$((BASE + 31))" { idle = 31 interval = 3 }
destination "127.0.0.1:$((BASE + 32))" { idle = 32 interval = 3 }
destination "127.0.0.1:$((BASE + 33))" { idle = 33 interval = 3 override = true }
CONF

r_shim "$R_TMP/shim" -- nonblock
r_shim "$R_TMP/debug" KASHIM_DEBUG=1 -- nonblock
r_plain "$R_TMP/plain" nonblock
if cmp -s "$R_TMP/shim" "$R_TMP/debug"; then pass debug-run-agrees; else fail debug-run-agrees "$(diff "$R_TMP/shim" "$R_TMP/debug")"; fi
r_expect nonblocking-connect-errno "$R_TMP/shim" nb-errno 115
r_expect control-nonblocking-connect-errno "$R_TMP/plain" nb-errno 115
r_expect nonblocking-connect-configured "$R_TMP/shim" nb 1/31/3/5/0
r_expect control-nonblocking "$R_TMP/plain" nb "$R_UNTOUCHED"
r_expect refused-connect-errno "$R_TMP/shim" refused-errno 111
r_expect control-refused-connect-errno "$R_TMP/plain" refused-errno 111
r_expect refused-connect-keeps-program-settings "$R_TMP/shim" refused 1/100/10/5/0
r_expect control-refused "$R_TMP/plain" refused "$R_UNTOUCHED"
r_expect reconnect-succeeds "$R_TMP/shim" again-errno 0
r_expect control-reconnect-succeeds "$R_TMP/plain" again-errno 0
r_expect reconnect-matched-again "$R_TMP/shim" again 1/31/3/5/0
r_expect control-reconnect "$R_TMP/plain" again "$R_UNTOUCHED"

# The program's own keepalive calls: with override off (the default) its
# TCP_KEEPIDLE made before connect() and its TCP_KEEPCNT made after both
# stand, the rule gives the rest; a rule with override = true keeps its own
# values against both (the call after connect() still returns success).
r_shim "$R_TMP/own" -- own
r_plain "$R_TMP/own-plain" own
r_expect own-options-kept-without-override "$R_TMP/own" own-kept 1/444/3/44/0
r_expect rule-override-keeps-rule-values "$R_TMP/own" own-overridden 1/33/3/5/0
r_expect control-own "$R_TMP/own-plain" own-kept "0/444/$(cut -d/ -f3 <<<"$R_UNTOUCHED")/44/0"
finish
