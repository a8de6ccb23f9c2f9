# SPDX-License-Identifier: MIT
# idle-middlebox.t - a NAT that forgets idle flows. The router masquerades
# with a 4 s established timeout, strict conntrack (nf_conntrack_tcp_loose=0)
# and INVALID packets dropped, as NAT gateways, firewalls and load balancers
# do. Client and control make a round trip, stay idle 9 s, and try again:
# the control's flow was forgotten and its second request vanishes; the
# shimmed client's probes (idle 1 s < 4 s) kept the flow alive.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/netlib.sh"

CT_TIMEOUT=4     # seconds the router remembers an idle established flow
IDLE_GAP=9       # seconds both clients stay idle: more than twice CT_TIMEOUT
REPLY_WAIT=4     # seconds a client waits for the echo of its second request
IDLE=1 INTVL=1 CNT=3

ksnet_init net-idle-middlebox
if ! ksnet_topology || ! ksnet_masquerade "$CT_TIMEOUT"; then
	fail net-idle-middlebox-setup "could not build the namespaces"
	finish
fi
# What the router forgets is what its sysctls say, read back.
expect_eq net-idle-middlebox-router-timeout "$CT_TIMEOUT" \
	"$(ip netns exec "$NS_RTR" sysctl -n net.netfilter.nf_conntrack_tcp_timeout_established)"

ksnet_control "$NS_SRV" srv-shim serve 7001 echo
ksnet_control "$NS_SRV" srv-ctl serve 7002 echo
ksnet_wait srv-shim ready 5 && ksnet_wait srv-ctl ready 5 ||
	{ fail net-idle-middlebox-setup "servers did not start"; finish; }

ksnet_shimmed "$NS_CLI" shimmed "$IDLE" "$INTVL" "$CNT" 0 \
	idle-exchange "$SRV_ADDR" 7001 "$IDLE_GAP" "$REPLY_WAIT"
ksnet_control "$NS_CLI" control idle-exchange "$SRV_ADDR" 7002 "$IDLE_GAP" "$REPLY_WAIT"
ksnet_wait shimmed exchange1 5 && ksnet_wait control exchange1 5 ||
	{ fail net-idle-middlebox-setup "clients did not connect"; finish; }

expect_eq net-idle-middlebox-shimmed-options "ka=1 idle=$IDLE intvl=$INTVL cnt=$CNT uto=0" "$(ksnet_opts shimmed connected)"
expect_eq net-idle-middlebox-control-options "ka=0" "$(ksnet_opts control connected | cut -d' ' -f1)"
# Both paths work before the idle gap: the router is not just broken.
expect_eq net-idle-middlebox-shimmed-first-exchange ok "$(ksnet_field shimmed exchange1 2)"
expect_eq net-idle-middlebox-control-first-exchange ok "$(ksnet_field control exchange1 2)"

# Midway through the gap: the router still tracks the shimmed flow only.
ksnet_until "$(ksnet_field control exchange1 3)" $((IDLE_GAP - 2))
flows=$(ip netns exec "$NS_RTR" conntrack -L -p tcp 2>/dev/null)
check net-idle-middlebox-router-kept-shimmed-flow grep -q "dport=7001 .*ESTABLISHED\|ESTABLISHED.*dport=7001" <<<"$flows"
if grep -q "dport=7002 " <<<"$flows"; then
	fail net-idle-middlebox-router-forgot-control-flow "conntrack still has it: $(grep 'dport=7002 ' <<<"$flows")"
else
	pass net-idle-middlebox-router-forgot-control-flow
fi

limit=$((IDLE_GAP + REPLY_WAIT + 5))
ksnet_wait shimmed exchange2 "$limit" && ksnet_wait control exchange2 "$limit" ||
	fail net-idle-middlebox-finished "a client did not finish its second exchange"
shim_result=$(ksnet_line shimmed exchange2 | cut -d' ' -f2)
ctl_result=$(ksnet_line control exchange2 | cut -d' ' -f2-3)
expect_eq net-idle-middlebox-shimmed-survives "ok" "$(ksnet_field shimmed exchange2 2)"
expect_eq net-idle-middlebox-control-dropped "fail" "$(ksnet_field control exchange2 2)"

echo "# idle-middlebox: NAT forgets idle flows after $CT_TIMEOUT s; after $IDLE_GAP s idle, shimmed (keepalive $IDLE/$INTVL/$CNT) round trip: $shim_result; control round trip: $ctl_result (waited $REPLY_WAIT s for the reply)"
finish
