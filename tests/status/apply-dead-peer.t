#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# apply-dead-peer.t - tests/net/dead-peer.t's proof for a connection fixed
# after it was established: two clients without kashim connect and block in
# recv(); ka-status --apply --yes (keepalive 1/1/2) fixes one of them from
# outside. When the server vanishes without FIN or RST, the fixed client
# gets ETIMEDOUT within about 3 s, while the unfixed control still waits.
source "$(dirname "$0")/../lib/common.sh"
source "$KASHIM_ROOT/tests/net/netlib.sh"
source "$KASHIM_ROOT/tests/lib/deadpeer.sh"

BOUND=8        # seconds: 3 s of keepalive plus a generous margin for a busy VM
CONTROL_AT=10  # seconds after the blackhole at which the control must still wait

t_clean_env
ksnet_init apply-dead-peer
[ -x "$KA_STATUS" ] || { fail apply-dead-peer-setup "$KA_STATUS is not built (make)"; finish; }
if ! ksnet_topology; then fail apply-dead-peer-setup "could not build the namespaces"; finish; fi

ksnet_control "$NS_SRV" srv-fixed serve 7001
ksnet_control "$NS_SRV" srv-ctl serve 7002
dp_both apply-dead-peer "servers did not start" ready srv-fixed srv-ctl
ksnet_control "$NS_CLI" fixed wait "$SRV_ADDR" 7001
ksnet_control "$NS_CLI" control wait "$SRV_ADDR" 7002
dp_both apply-dead-peer "clients did not connect" connected fixed control

# Both connected without keepalive: the program printed its own reading.
expect_eq apply-dead-peer-fixed-started-without "ka=0" "$(ksnet_opts fixed connected | cut -d' ' -f1)"
expect_eq apply-dead-peer-control-started-without "ka=0" "$(ksnet_opts control connected | cut -d' ' -f1)"

printf 'idle = 1\ninterval = 1\ncount = 2\n' >"$KSNET_TMP/fix.conf"
"$KA_STATUS" --apply --yes --config "$KSNET_TMP/fix.conf" "$PID_fixed" >"$KSNET_TMP/apply.out" 2>&1
expect_eq apply-dead-peer-apply-exit 0 "$?"
expect_eq apply-dead-peer-fixed-options "on 1 1 2 0" "$(t_socket "$PID_fixed" state=ESTABLISHED)"
expect_eq apply-dead-peer-control-options off "$(t_socket "$PID_control" state=ESTABLISHED | cut -d' ' -f1)"

# The server vanishes: the fixed client sees it, the control waits on.
dp_vanish apply-dead-peer fixed alive-while-peer-answers "$NS_SRV" "$BOUND"
dp_control_waits apply-dead-peer "$NS_CLI" "$CONTROL_AT"
ctl=$(ksnet_waiting control && echo "still waiting" || echo "NOT waiting")

echo "# apply-dead-peer: fixed from outside (keepalive 1/1/2) $KSNET_OUTCOME; control $ctl after $DP_WAITED s"
finish
