# SPDX-License-Identifier: MIT
# dead-peer.t - a peer that vanishes without FIN or RST is detected by the
# shimmed client (keepalive idle 1, interval 1, count 2) within about
# idle + interval x count = 3 s, while the same program without kashim keeps
# waiting in recv() for ever.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/netlib.sh"

IDLE=1 INTVL=1 CNT=2
BOUND=8        # seconds: 3 s of keepalive plus a generous margin for a busy VM
CONTROL_AT=10  # seconds after the blackhole at which the control must still wait

ksnet_init net-dead-peer
if ! ksnet_topology; then fail net-dead-peer-setup "could not build the namespaces"; finish; fi

ksnet_control "$NS_SRV" srv-shim serve 7001
ksnet_control "$NS_SRV" srv-ctl serve 7002
ksnet_wait srv-shim ready 5 && ksnet_wait srv-ctl ready 5 ||
	{ fail net-dead-peer-setup "servers did not start"; finish; }

ksnet_shimmed "$NS_CLI" shimmed "$IDLE" "$INTVL" "$CNT" 0 wait "$SRV_ADDR" 7001
ksnet_control "$NS_CLI" control wait "$SRV_ADDR" 7002
ksnet_wait shimmed connected 5 && ksnet_wait control connected 5 ||
	{ fail net-dead-peer-setup "clients did not connect"; finish; }

# Preconditions read back from the kernel: kashim set the options, the control
# has none.
expect_eq net-dead-peer-shimmed-options "ka=1 idle=$IDLE intvl=$INTVL cnt=$CNT uto=0" "$(ksnet_opts shimmed connected)"
expect_eq net-dead-peer-control-options "ka=0" "$(ksnet_opts control connected | cut -d' ' -f1)"

# While the peer answers, probes keep the connection alive: two idle periods
# pass without a false alarm.
sleep 2.5
check net-dead-peer-alive-while-peer-answers ksnet_waiting shimmed

ksnet_blackhole "$NS_SRV" || { fail net-dead-peer-setup "blackhole failed"; finish; }
t0=$EPOCHREALTIME

ksnet_expect_etimedout net-dead-peer-shimmed shimmed "$t0" "$BOUND"
outcome=$KSNET_OUTCOME

ksnet_until "$t0" "$CONTROL_AT"
waited=$(ksnet_since "$t0" "$EPOCHREALTIME")
check net-dead-peer-control-still-waiting ksnet_waiting control
ctl=$(ksnet_waiting control && echo "still waiting" || echo "NOT waiting")
check net-dead-peer-control-still-established ksnet_established "$NS_CLI" 7002

echo "# dead-peer: shimmed (keepalive $IDLE/$INTVL/$CNT) $outcome; control $ctl after $waited s"
finish
