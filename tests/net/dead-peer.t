# SPDX-License-Identifier: MIT
# dead-peer.t - a peer that vanishes without FIN or RST is detected by the
# shimmed client (keepalive idle 1, interval 1, count 2) within about
# idle + interval x count = 3 s, while the same program without kashim keeps
# waiting in recv() for ever.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/netlib.sh"
source "$(dirname "$0")/../lib/deadpeer.sh"

IDLE=1 INTVL=1 CNT=2
BOUND=8        # seconds: 3 s of keepalive plus a generous margin for a busy VM
CONTROL_AT=10  # seconds after the blackhole at which the control must still wait

ksnet_init net-dead-peer
if ! ksnet_topology; then fail net-dead-peer-setup "could not build the namespaces"; finish; fi

ksnet_control "$NS_SRV" srv-shim serve 7001
ksnet_control "$NS_SRV" srv-ctl serve 7002
dp_both net-dead-peer "servers did not start" ready srv-shim srv-ctl

ksnet_shimmed "$NS_CLI" shimmed "$IDLE" "$INTVL" "$CNT" 0 wait "$SRV_ADDR" 7001
ksnet_control "$NS_CLI" control wait "$SRV_ADDR" 7002
dp_both net-dead-peer "clients did not connect" connected shimmed control

# Preconditions read back from the kernel: kashim set the options, the control
# has none.
expect_eq net-dead-peer-shimmed-options "ka=1 idle=$IDLE intvl=$INTVL cnt=$CNT uto=0" "$(ksnet_opts shimmed connected)"
expect_eq net-dead-peer-control-options "ka=0" "$(ksnet_opts control connected | cut -d' ' -f1)"

# The server vanishes: the shimmed client sees it, the control waits on.
dp_vanish net-dead-peer shimmed alive-while-peer-answers "$NS_SRV" "$BOUND"
dp_control_waits net-dead-peer "$NS_CLI" "$CONTROL_AT"
ctl=$(ksnet_waiting control && echo "still waiting" || echo "NOT waiting")

echo "# dead-peer: shimmed (keepalive $IDLE/$INTVL/$CNT) $KSNET_OUTCOME; control $ctl after $DP_WAITED s"
finish
