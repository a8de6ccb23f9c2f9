# SPDX-License-Identifier: MIT
# server-reaping.t - a server under kashim, behind the NAT router, reaps the
# connections of clients that vanished (crash, power loss, cable pulled).
# kashim configures the listener once; accepted sockets inherit keepalive
# 1/1/2 from it. The same server without kashim keeps the dead client's
# connection ESTABLISHED, holding its memory, file descriptor and worker.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/netlib.sh"

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
ksnet_wait shimmed ready 5 && ksnet_wait control ready 5 ||
	{ fail net-server-reaping-setup "servers did not start"; finish; }

# Plain clients: whatever keepalive happens is the servers'.
ksnet_control "$NS_CLI" cli-shim wait "$SRV_ADDR" 7001
ksnet_control "$NS_CLI" cli-ctl wait "$SRV_ADDR" 7002
ksnet_wait shimmed accepted 5 && ksnet_wait control accepted 5 ||
	{ fail net-server-reaping-setup "servers accepted nothing"; finish; }

expect_eq net-server-reaping-shimmed-accepted-options "ka=1 idle=$IDLE intvl=$INTVL cnt=$CNT uto=0" "$(ksnet_opts shimmed accepted)"
expect_eq net-server-reaping-control-accepted-options "ka=0" "$(ksnet_opts control accepted | cut -d' ' -f1)"

# Probes through the NAT are answered: no false alarm while clients live.
sleep 2.5
check net-server-reaping-alive-while-client-answers ksnet_waiting shimmed

ksnet_blackhole "$NS_CLI" || { fail net-server-reaping-setup "blackhole failed"; finish; }
t0=$EPOCHREALTIME

ksnet_expect_etimedout net-server-reaping-shimmed shimmed "$t0" "$BOUND"
outcome=$KSNET_OUTCOME
if ksnet_established "$NS_SRV" 7001; then
	fail net-server-reaping-shimmed-connection-gone "ss still shows it ESTABLISHED"
else
	pass net-server-reaping-shimmed-connection-gone
fi

ksnet_until "$t0" "$CONTROL_AT"
waited=$(ksnet_since "$t0" "$EPOCHREALTIME")
check net-server-reaping-control-still-waiting ksnet_waiting control
check net-server-reaping-control-still-established ksnet_established "$NS_SRV" 7002
ctl=$(ksnet_established "$NS_SRV" 7002 && echo "still ESTABLISHED" || echo "connection gone")

echo "# server-reaping: shimmed server (keepalive $IDLE/$INTVL/$CNT) lost its vanished client: $outcome; control server: $ctl after $waited s"
finish
