# SPDX-License-Identifier: MIT
# netlib.sh - network namespaces for tests/net/*.t (sourced after common.sh).
#
# Topology, built fresh by every test file and deleted on exit:
#
#   ksnet-PID-cli            ksnet-PID-rtr                ksnet-PID-srv
#   10.231.1.2 eth0 <---> eth0 10.231.1.1
#                              10.231.2.1 eth1 <-----> eth0 10.231.2.2
#
# The router forwards; ksnet_masquerade makes it a NAT with conntrack, the
# kind of middlebox that forgets idle flows. Addresses exist only inside these
# namespaces, and the names carry the test's PID, so parallel runs never meet.
# Ports are fixed: every namespace is new, so nothing else listens there.

NETLIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PEER=$NETLIB_DIR/peer.py
NS_CLI=ksnet-$$-cli
NS_RTR=ksnet-$$-rtr
NS_SRV=ksnet-$$-srv
CLI_ADDR=10.231.1.2
SRV_ADDR=10.231.2.2
KSNET_PIDS=()
KSNET_NS=()
KSNET_TMP=""

# ksnet_cleanup: kill what the test started, delete its namespaces and files.
# Runs from the EXIT trap, so also after a failed check or an interrupt.
ksnet_cleanup() {
	local pid ns
	for pid in "${KSNET_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for ns in "${KSNET_NS[@]}"; do
		# Anything still inside is ours (only this test enters these namespaces).
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	wait 2>/dev/null
	if [ "$T_FAILURES" -gt 0 ] && [ -n "$KSNET_TMP" ]; then ksnet_dump; fi
}

# ksnet_dump: show every program's output, prefixed "# ", to explain a FAIL.
ksnet_dump() {
	local f
	for f in "$KSNET_TMP"/*; do
		[ -s "$f" ] || continue
		echo "# --- ${f##*/}"
		sed 's/^/#   /' "$f" | tail -n 20
	done
}

# ksnet_init NAME: skip the whole file (exit 0, one SKIP line) unless this
# machine can run it; otherwise install the cleanup trap and a scratch dir.
ksnet_init() {
	local name=$1 probe=ksnet-$$-probe why=""
	if ! need_root; then
		why="needs root (ip netns, veth, iptables)"
	elif ! command -v ip >/dev/null || ! command -v iptables >/dev/null; then
		why="needs ip (iproute2) and iptables"
	elif [ ! -x "$PYTHON" ]; then
		why="needs $PYTHON"
	elif [ ! -f "$KASHIM_LIB" ]; then
		why="$KASHIM_LIB is not built (run make)"
	elif ! ip netns add "$probe" 2>/dev/null; then
		why="cannot create a network namespace here"
	elif ! ip netns exec "$probe" iptables -A OUTPUT -p tcp -j DROP 2>/dev/null; then
		why="iptables does not work in a network namespace here"
	fi
	ip netns del "$probe" 2>/dev/null
	if [ -n "$why" ]; then
		skip "$name" "$why"
		exit 0
	fi
	t_tmpdir KSNET_TMP ksnet
	t_on_exit ksnet_cleanup
}

# ksnet_ns NAME: create a namespace with loopback up, remembered for cleanup.
ksnet_ns() {
	ip netns add "$1" && KSNET_NS+=("$1") && ip -n "$1" link set lo up
}

# ksnet_topology: client - router - server as drawn above. Returns non-zero
# (and the caller fails) when any step does not work.
ksnet_topology() {
	ksnet_ns "$NS_CLI" && ksnet_ns "$NS_RTR" && ksnet_ns "$NS_SRV" || return 1
	# Created inside the namespaces so the interface names never clash.
	ip -n "$NS_CLI" link add eth0 type veth peer name eth0 netns "$NS_RTR" || return 1
	ip -n "$NS_RTR" link add eth1 type veth peer name eth0 netns "$NS_SRV" || return 1
	ip -n "$NS_CLI" addr add "$CLI_ADDR/24" dev eth0 &&
		ip -n "$NS_RTR" addr add 10.231.1.1/24 dev eth0 &&
		ip -n "$NS_RTR" addr add 10.231.2.1/24 dev eth1 &&
		ip -n "$NS_SRV" addr add "$SRV_ADDR/24" dev eth0 || return 1
	local ns
	for ns in "$NS_CLI" "$NS_RTR" "$NS_SRV"; do
		ip -n "$ns" link set eth0 up || return 1
	done
	ip -n "$NS_RTR" link set eth1 up &&
		ip -n "$NS_CLI" route add default via 10.231.1.1 &&
		ip -n "$NS_SRV" route add default via 10.231.2.1 &&
		ip netns exec "$NS_RTR" sysctl -qw net.ipv4.ip_forward=1
}

# ksnet_masquerade [ESTABLISHED_TIMEOUT]: make the router a NAT that forgets
# an established flow after ESTABLISHED_TIMEOUT idle seconds (default: the
# kernel's 5 days) and drops what it no longer recognises, as NAT gateways,
# firewalls and load balancers do. The conntrack rule comes first: it brings
# conntrack into the namespace, whose sysctls exist only after that.
ksnet_masquerade() {
	local nsx="ip netns exec $NS_RTR"
	$nsx iptables -A FORWARD -m conntrack --ctstate INVALID -j DROP &&
		$nsx iptables -t nat -A POSTROUTING -o eth1 -j MASQUERADE &&
		$nsx sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0 || return 1
	if [ -n "${1:-}" ]; then
		$nsx sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_established="$1" || return 1
	fi
}

# ksnet_blackhole NS: the host in NS vanishes without FIN or RST, as on a
# crash, power loss or pulled cable: every TCP packet in or out is dropped.
ksnet_blackhole() {
	ip netns exec "$1" iptables -I INPUT -p tcp -j DROP &&
		ip netns exec "$1" iptables -I OUTPUT -p tcp -j DROP
}

# ksnet_control NS NAME PEER-ARGS...: run peer.py in NS in the background,
# without kashim; output in $KSNET_TMP/NAME (stderr in NAME.err).
ksnet_control() {
	local ns=$1 name=$2
	shift 2
	ip netns exec "$ns" env -u LD_PRELOAD "$PYTHON" "$PEER" "$@" \
		>"$KSNET_TMP/$name" 2>"$KSNET_TMP/$name.err" &
	KSNET_PIDS+=($!)
	eval "PID_${name//-/_}=$!"
}

# ksnet_shimmed NS NAME IDLE INTERVAL COUNT USER_TIMEOUT PEER-ARGS...: the same
# program under kashim with these settings, set in full through the
# environment so no keepalive.conf on this machine changes them. kashim's
# debug log goes to NAME.err.
ksnet_shimmed() {
	local ns=$1 name=$2 idle=$3 intvl=$4 cnt=$5 uto=$6
	shift 6
	ip netns exec "$ns" env LD_PRELOAD="$KASHIM_LIB" KASHIM_LOG=stderr KASHIM_DEBUG=1 \
		KASHIM_KEEPALIVE=on KASHIM_IDLE="$idle" KASHIM_INTERVAL="$intvl" \
		KASHIM_COUNT="$cnt" KASHIM_USER_TIMEOUT="$uto" \
		"$PYTHON" "$PEER" "$@" >"$KSNET_TMP/$name" 2>"$KSNET_TMP/$name.err" &
	KSNET_PIDS+=($!)
	eval "PID_${name//-/_}=$!"
}

# ksnet_wait NAME WORD TIMEOUT: wait until NAME's output has a line starting
# with WORD; false after TIMEOUT seconds.
ksnet_wait() {
	local file=$KSNET_TMP/$1 deadline
	deadline=$(awk -v now="$EPOCHREALTIME" -v t="$3" 'BEGIN { printf "%.3f", now + t }')
	until grep -q "^$2 " "$file" 2>/dev/null; do
		awk -v now="$EPOCHREALTIME" -v d="$deadline" 'BEGIN { exit !(now < d) }' || return 1
		sleep 0.05
	done
}

# ksnet_until T0 SECONDS: sleep until SECONDS after the wall-clock time T0.
ksnet_until() {
	local left
	left=$(awk -v now="$EPOCHREALTIME" -v t="$1" -v s="$2" \
		'BEGIN { d = t + s - now; if (d < 0) d = 0; printf "%.3f", d }')
	sleep "$left"
}

# ksnet_line NAME WORD: the first line of NAME's output starting with WORD.
ksnet_line() { grep -m1 "^$2 " "$KSNET_TMP/$1" 2>/dev/null; }

# ksnet_field NAME WORD N: field N (1 = WORD itself) of that line.
ksnet_field() { ksnet_line "$1" "$2" | awk -v n="$3" '{ print $n }'; }

# ksnet_opts NAME WORD: the "ka=.. idle=.. intvl=.. cnt=.. uto=.." part of a
# connected/accepted line: the options the kernel reports for that socket.
ksnet_opts() { ksnet_line "$1" "$2" | cut -d' ' -f3-; }

# ksnet_since FROM TO: TO - FROM in seconds, two decimals.
ksnet_since() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# ksnet_lt A B: true when the number A is below B.
ksnet_lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

# ksnet_expect_etimedout TEST NAME T0 BOUND: NAME's program must report
# ETIMEDOUT within BOUND seconds of T0 (the blackhole, or its write): checks TEST-error (the errno) and
# TEST-detected (the time). Sets KSNET_OUTCOME for the summary line.
ksnet_expect_etimedout() {
	local test=$1 name=$2 t0=$3 bound=$4 took
	if ksnet_wait "$name" result "$bound"; then
		took=$(ksnet_since "$t0" "$(ksnet_field "$name" result 3)")
		KSNET_OUTCOME="$(ksnet_field "$name" result 2) after $took s"
		expect_eq "$test-error" ETIMEDOUT "$(ksnet_field "$name" result 2)"
		if ksnet_lt "$took" "$bound"; then pass "$test-detected"
		else fail "$test-detected" "after $took s, bound $bound s"; fi
	else
		KSNET_OUTCOME="still waiting after $bound s"
		fail "$test-detected" "still waiting after $bound s"
	fi
}

# ksnet_waiting NAME: NAME's program is still running and still blocked: it
# has reported no result (no error, no EOF, no second exchange).
ksnet_waiting() {
	local pid_var=PID_${1//-/_}
	kill -0 "${!pid_var}" 2>/dev/null && ! grep -q '^result ' "$KSNET_TMP/$1"
}

# ksnet_established NS PORT: NS has an ESTABLISHED TCP connection whose local
# or remote port is PORT (what `ss` sees, independent of the program).
ksnet_established() {
	ip netns exec "$1" ss -Htn state established "( sport = :$2 or dport = :$2 )" | grep -q .
}
