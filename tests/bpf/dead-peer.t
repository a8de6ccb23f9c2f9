#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# dead-peer.t - the network proof for the kernel backend: in the namespaces
# of tests/net, a statically linked client (no preload can reach it) in a
# cgroup with kashim-bpf attach -i 1 -n 1 -k 2 gets ETIMEDOUT within
# idle + interval x count + 0.5 s of its peer vanishing, while the same
# binary outside the cgroup keeps waiting.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../net/netlib.sh"

IDLE=1 INTVL=1 CNT=2
BOUND=3.5      # idle + interval x count + 0.5 s
CONTROL_AT=8   # seconds after the blackhole at which the control must still wait

kb_init bpf-dead-peer
ksnet_init bpf-dead-peer
# netlib's trap replaced lib.sh's: run both.
trap 'ksnet_cleanup; kb_cleanup' EXIT
if ! ksnet_topology; then fail bpf-dead-peer-setup "could not build the namespaces"; finish; fi
kb_mkcg CG deadpeer || { fail bpf-dead-peer-setup "cannot create a cgroup"; finish; }
"$KASHIM_BPF" attach -c "$KB_EMPTY_CONF" -i "$IDLE" -n "$INTVL" -k "$CNT" "$CG" >/dev/null ||
	{ fail bpf-dead-peer-setup "attach failed"; finish; }

ksnet_control "$NS_SRV" srv-bpf serve 7001
ksnet_control "$NS_SRV" srv-ctl serve 7002
ksnet_wait srv-bpf ready 5 && ksnet_wait srv-ctl ready 5 ||
	{ fail bpf-dead-peer-setup "servers did not start"; finish; }

# The static client, in the cgroup and in the client namespace. The cgroup
# first: ip netns exec mounts the namespace's own /sys, without cgroup2.
sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$CG" ip netns exec "$NS_CLI" \
	"$KBT/kb-client-static" "$SRV_ADDR" 7001 >"$KSNET_TMP/bpf" 2>"$KSNET_TMP/bpf.err" &
KSNET_PIDS+=($!) PID_bpf=$!
ip netns exec "$NS_CLI" "$KBT/kb-client-static" "$SRV_ADDR" 7002 >"$KSNET_TMP/control" 2>"$KSNET_TMP/control.err" &
KSNET_PIDS+=($!) PID_control=$!
ksnet_wait bpf connected 5 && ksnet_wait control connected 5 ||
	{ fail bpf-dead-peer-setup "clients did not connect"; finish; }

expect_eq bpf-dead-peer-options-in-cgroup "ka=1 idle=$IDLE intvl=$INTVL cnt=$CNT uto=0" "$(kb_sockopts "$PID_bpf" 7001)"
expect_eq bpf-dead-peer-control-options "ka=0" "$(kb_sockopts "$PID_control" 7002 | cut -d' ' -f1)"

# Probes answered: two idle periods pass without a false alarm.
sleep 2.5
check bpf-dead-peer-alive-while-peer-answers ksnet_waiting bpf

ksnet_blackhole "$NS_SRV" || { fail bpf-dead-peer-setup "blackhole failed"; finish; }
t0=$EPOCHREALTIME
ksnet_expect_etimedout bpf-dead-peer-in-cgroup bpf "$t0" "$BOUND"
outcome=$KSNET_OUTCOME

ksnet_until "$t0" "$CONTROL_AT"
check bpf-dead-peer-control-still-waiting ksnet_waiting control
check bpf-dead-peer-control-still-established ksnet_established "$NS_CLI" 7002
echo "# bpf dead-peer: static client in a cgroup (keepalive $IDLE/$INTVL/$CNT) $outcome; control $(ksnet_waiting control && echo still waiting || echo NOT waiting) after $CONTROL_AT s"
finish
