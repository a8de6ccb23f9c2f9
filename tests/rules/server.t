# SPDX-License-Identifier: MIT
# server.t - listen rules: a server with several listeners gets per-port
# values on the connections it accepts (decided once per listener at
# listen(); accepted sockets inherit), an IPv6 wildcard listener is matched
# by its port, and a listener inherited from an unshimmed parent is matched
# by its local address when the shim adopts it. Control: no shim.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"
r_ready || finish
BASE=$(r_base)
[ -n "$BASE" ] || { fail rules-ports "no 40 free ports"; finish; }

cat >"$R_CONF" <<CONF
idle = 100
interval = 9
listen "*:$((BASE + 10))" { idle = 70 }
listen "0.0.0.0/0:$((BASE + 11))" {
	idle = 71
	count = 3
}
listen "[::/0]:$((BASE + 13))" { idle = 73 }
listen "127.0.0.1:$((BASE + 20))" { idle = 80 user_timeout = 5000 }
# Destination rules never apply to listeners, nor listen rules to clients.
destination "*:$((BASE + 12))" { idle = 1 }
CONF

r_shim "$R_TMP/shim" -- server
r_shim "$R_TMP/debug" KASHIM_DEBUG=1 -- server
r_plain "$R_TMP/plain" server
if cmp -s "$R_TMP/shim" "$R_TMP/debug"; then pass debug-run-agrees; else fail debug-run-agrees "$(diff "$R_TMP/shim" "$R_TMP/debug")"; fi
r_expect listen-rule-first-port "$R_TMP/shim" accepted-10 1/70/9/5/0
r_expect listen-rule-second-port "$R_TMP/shim" accepted-11 1/71/9/3/0
r_expect listener-without-rule-gets-program-settings "$R_TMP/shim" accepted-12 1/100/9/5/0
r_expect ipv6-wildcard-listener "$R_TMP/shim" accepted-13 1/73/9/5/0
for k in accepted-10 accepted-11 accepted-12 accepted-13; do
	r_expect control-$k "$R_TMP/plain" $k "$R_UNTOUCHED"
done

# The parent runs without the shim; only the child that accepts has it.
env -i PATH=/usr/bin:/bin PROBE_CHILD_PRELOAD="$KASHIM_LIB" KASHIM_CONFIG="$R_CONF" KASHIM_LOG="$R_LOG" \
	"$PYTHON" "$PROBE" inherit "$BASE" >"$R_TMP/inherit" 2>"$R_TMP/inherit.err"
r_plain "$R_TMP/inherit-plain" inherit
r_expect inherited-listener-matched-when-adopted "$R_TMP/inherit" inherited 1/80/9/5/5000
r_expect control-inherited "$R_TMP/inherit-plain" inherited "$R_UNTOUCHED"
finish
