# SPDX-License-Identifier: MIT
# server-reaping.t - a server under kashim, behind the NAT router, reaps the
# connections of clients that vanished (crash, power loss, cable pulled).
# kashim configures the listener once; accepted sockets inherit keepalive
# 1/1/2 from it. The same server without kashim keeps the dead client's
# connection ESTABLISHED, holding its memory, file descriptor and worker.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/netlib.sh"
source "$(dirname "$0")/../lib/deadpeer.sh"

IDLE=1 INTVL=1 CNT=2
BOUND=8        # seconds: 3 s of keepalive plus a generous margin
CONTROL_AT=10  # seconds after the clients vanished

ksnet_init net-server-reaping
if ! ksnet_topology || ! ksnet_masquerade; then
	fail net-server-reaping-setup "could not build the namespaces"
	finish
fi

ksnet_shimmed "$NS_SRV" shimmed "$IDLE" "$INTVL" "$CNT" 0 serve 7001
ksnet_control "$NS_SRV" control serve 7002
dp_both net-server-reaping "servers did not start" ready shimmed control

# Plain clients: whatever keepalive happens is the servers'.
ksnet_control "$NS_CLI" cli-shim wait "$SRV_ADDR" 7001
ksnet_control "$NS_CLI" cli-ctl wait "$SRV_ADDR" 7002
dp_both net-server-reaping "servers accepted nothing" accepted shimmed control

expect_eq net-server-reaping-shimmed-accepted-options "ka=1 idle=$IDLE intvl=$INTVL cnt=$CNT uto=0" "$(ksnet_opts shimmed accepted)"
expect_eq net-server-reaping-control-accepted-options "ka=0" "$(ksnet_opts control accepted | cut -d' ' -f1)"

# Probes through the NAT are answered: no false alarm while clients live.
# Then the clients vanish: the shimmed server sees it, the control waits on.
dp_vanish net-server-reaping shimmed alive-while-client-answers "$NS_CLI" "$BOUND"
if ksnet_established "$NS_SRV" 7001; then
	fail net-server-reaping-shimmed-connection-gone "ss still shows it ESTABLISHED"
else
	pass net-server-reaping-shimmed-connection-gone
fi
dp_control_waits net-server-reaping "$NS_SRV" "$CONTROL_AT"
ctl=$(ksnet_established "$NS_SRV" 7002 && echo "still ESTABLISHED" || echo "connection gone")

echo "# server-reaping: shimmed server (keepalive $IDLE/$INTVL/$CNT) lost its vanished client: $KSNET_OUTCOME; control server: $ctl after $DP_WAITED s"
finish
