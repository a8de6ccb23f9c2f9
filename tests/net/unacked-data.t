# SPDX-License-Identifier: MIT
# unacked-data.t - the kernel's keepalive timer does nothing while data is
# unacknowledged: a client that writes after its peer vanished is caught only
# by retransmission timeouts (about 15 minutes with tcp_retries2=15) unless
# TCP_USER_TIMEOUT is set. Three shimmed clients, keepalive 1/1/2 each:
#   ka-only  user_timeout 0: still stuck well after the keepalive bound;
#   uto-ms   user_timeout 3000 ms: ETIMEDOUT about 3 s after its write;
#   uto-auto user_timeout auto = (1 + 1 x 2) x 1000 ms: the same.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/netlib.sh"

IDLE=1 INTVL=1 CNT=2
UTO=3000       # ms; auto gives the same for 1/1/2
BOUND=8        # seconds after the write: 3 s plus a generous margin
CONTROL_AT=10  # seconds after the write at which ka-only must still be stuck

ksnet_init net-unacked-data
if ! ksnet_topology; then fail net-unacked-data-setup "could not build the namespaces"; finish; fi

port=7001
for name in ka-only uto-ms uto-auto; do
	ksnet_control "$NS_SRV" "srv-$name" serve $port
	port=$((port + 1))
done
for name in ka-only uto-ms uto-auto; do
	ksnet_wait "srv-$name" ready 5 || { fail net-unacked-data-setup "servers did not start"; finish; }
done

go=$KSNET_TMP/go
ksnet_shimmed "$NS_CLI" ka-only "$IDLE" "$INTVL" "$CNT" 0 write-after "$SRV_ADDR" 7001 "$go"
ksnet_shimmed "$NS_CLI" uto-ms "$IDLE" "$INTVL" "$CNT" "$UTO" write-after "$SRV_ADDR" 7002 "$go"
ksnet_shimmed "$NS_CLI" uto-auto "$IDLE" "$INTVL" "$CNT" auto write-after "$SRV_ADDR" 7003 "$go"
for name in ka-only uto-ms uto-auto; do
	ksnet_wait "$name" connected 5 || { fail net-unacked-data-setup "$name did not connect"; finish; }
done

expect_eq net-unacked-data-ka-only-options "ka=1 idle=$IDLE intvl=$INTVL cnt=$CNT uto=0" "$(ksnet_opts ka-only connected)"
expect_eq net-unacked-data-uto-ms-options "ka=1 idle=$IDLE intvl=$INTVL cnt=$CNT uto=$UTO" "$(ksnet_opts uto-ms connected)"
expect_eq net-unacked-data-uto-auto-options "ka=1 idle=$IDLE intvl=$INTVL cnt=$CNT uto=$(((IDLE + INTVL * CNT) * 1000))" \
	"$(ksnet_opts uto-auto connected)"

# The peer vanishes, then every client writes at once: its data stays
# unacknowledged from then on.
ksnet_blackhole "$NS_SRV" || { fail net-unacked-data-setup "blackhole failed"; finish; }
touch "$go"
for name in ka-only uto-ms uto-auto; do
	ksnet_wait "$name" sent 5 || { fail net-unacked-data-setup "$name did not write"; finish; }
done

summary=""
for name in uto-ms uto-auto; do
	sent=$(ksnet_field "$name" sent 2)
	ksnet_expect_etimedout "net-unacked-data-$name" "$name" "$sent" "$BOUND"
	summary="$summary $name $KSNET_OUTCOME;"
done

sent=$(ksnet_field ka-only sent 2)
ksnet_until "$sent" "$CONTROL_AT"
waited=$(ksnet_since "$sent" "$EPOCHREALTIME")
check net-unacked-data-ka-only-still-stuck ksnet_waiting ka-only
ctl=$(ksnet_waiting ka-only && echo "still stuck" || echo "NOT stuck")
check net-unacked-data-ka-only-still-established ksnet_established "$NS_CLI" 7001

echo "# unacked-data: keepalive $IDLE/$INTVL/$CNT, data written after the peer vanished:$summary keepalive alone $ctl after $waited s"
finish
