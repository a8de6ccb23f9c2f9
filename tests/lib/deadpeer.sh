# SPDX-License-Identifier: MIT
# deadpeer.sh - the proof shared by the tests in which a peer vanishes
# without FIN or RST (tests/net/dead-peer.t, tests/net/server-reaping.t,
# tests/status/apply-dead-peer.t); sourced after tests/net/netlib.sh. Each
# test has a program whose connection (port 7001) must see the loss within
# a bound, and a program named control whose connection (port 7002) must
# not: some seconds later it still waits, still ESTABLISHED. TEST below is
# the prefix of the checks' names.

# dp_both TEST WHY WORD NAME1 NAME2: both programs' output has a line
# starting with WORD within 5 s; otherwise TEST-setup fails with WHY and the
# file ends.
dp_both() {
	ksnet_wait "$4" "$3" 5 && ksnet_wait "$5" "$3" 5 || { fail "$1-setup" "$2"; finish; }
}

# dp_vanish TEST NAME ALIVE NS BOUND: while the peer answers (2.5 s: two
# idle periods) NAME's probes keep its connection alive (check TEST-ALIVE);
# then the host in NS vanishes and NAME must report ETIMEDOUT within BOUND
# seconds (checks TEST-NAME-error, TEST-NAME-detected). Sets DP_T0, the
# moment it vanished, and KSNET_OUTCOME.
dp_vanish() {
	sleep 2.5
	check "$1-$3" ksnet_waiting "$2"
	ksnet_blackhole "$4" || { fail "$1-setup" "blackhole failed"; finish; }
	DP_T0=$EPOCHREALTIME
	ksnet_expect_etimedout "$1-$2" "$2" "$DP_T0" "$5"
}

# dp_control_waits TEST NS SECONDS: SECONDS after DP_T0 the control is
# still blocked (check TEST-control-still-waiting) and NS still has its
# connection ESTABLISHED (check TEST-control-still-established). Sets
# DP_WAITED, the seconds since DP_T0 (for the test's summary line).
dp_control_waits() {
	ksnet_until "$DP_T0" "$3"
	DP_WAITED=$(ksnet_since "$DP_T0" "$EPOCHREALTIME")
	check "$1-control-still-waiting" ksnet_waiting control
	check "$1-control-still-established" ksnet_established "$2" 7002
}
