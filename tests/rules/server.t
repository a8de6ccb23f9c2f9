# SPDX-License-Identifier: MIT
# server.t - listen rules: a server with several listeners gets per-port
# values on the connections it accepts (decided once per listener at
# listen(); accepted sockets inherit), an IPv6 wildcard listener is matched
# by its port, and a listener inherited from an unshimmed parent is matched
# by its local address when the shim adopts it. Control: no shim.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"
r_setup || finish

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
listen "127.0.0.1:$((BASE + 21))" { idle = 81 }
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

# Socket activation: systemd-socket-activate makes the listener and execs
# the shimmed program on the first connection, with the listener as fd 3.
# activated SIDE PRELOAD: run it, connect, leave its output in $R_TMP/SIDE.
activated() {
	local port=$((BASE + 21)) pid
	env -i PATH=/usr/bin:/bin timeout 30 systemd-socket-activate -l 127.0.0.1:$port \
		env ${2:+LD_PRELOAD="$2"} KASHIM_CONFIG="$R_CONF" KASHIM_LOG="$R_LOG" \
		"$PYTHON" "$PROBE" accept-fd 3 >"$R_TMP/$1" 2>"$R_TMP/$1.err" &
	pid=$!
	"$PYTHON" - "$port" <<'PY'
import socket, sys, time
for _ in range(100):
    try:
        c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
        break
    except OSError:
        time.sleep(0.1)
PY
	wait "$pid"
}
if command -v systemd-socket-activate >/dev/null; then
	activated activated "$KASHIM_LIB"
	activated activated-plain ""
	r_expect socket-activated-listener-matched "$R_TMP/activated" inherited 1/81/9/5/0
	r_expect control-socket-activated "$R_TMP/activated-plain" inherited "$R_UNTOUCHED"
else
	skip socket-activated-listener-matched "systemd-socket-activate is not installed (package systemd)"
fi
finish
