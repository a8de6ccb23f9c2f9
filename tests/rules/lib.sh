# SPDX-License-Identifier: MIT
# lib.sh - shared by tests/rules/*.t, sourced after tests/lib/common.sh.
# The programs are tests/rules/probe.py scenarios, which read their own
# sockets' options with getsockopt(); each runs under the shim with a
# keepalive.conf that has rules, and without the shim as the control.
R_TMP=$(mktemp -d "${TMPDIR:-/tmp}/kashim-rules.XXXXXX")
trap 'rm -rf "$R_TMP"' EXIT
PROBE=$KASHIM_ROOT/tests/rules/probe.py
R_CONF=$R_TMP/keepalive.conf
R_LOG=$R_TMP/kashim.log

# What an untouched socket reads: keepalive off, the kernel's defaults.
R_UNTOUCHED="0/$(cat /proc/sys/net/ipv4/tcp_keepalive_time)/$(cat /proc/sys/net/ipv4/tcp_keepalive_intvl)/$(cat /proc/sys/net/ipv4/tcp_keepalive_probes)/0"

# r_ready: the shim is built and python3 is there.
r_ready() {
	[ -e "$KASHIM_LIB" ] || { fail rules-setup "$KASHIM_LIB missing: run make"; return 1; }
	[ -x "$PYTHON" ] || { skip rules "$PYTHON is not installed"; return 1; }
}

# r_base: the first of 40 consecutive ports free on every address (a
# dual-stack [::] bind takes them all), below the ephemeral range that
# other programs' connections draw from. Other tests run at the same time:
# pick at random, check all.
r_base() {
	"$PYTHON" - <<'PY'
import random, socket
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
for _ in range(200):
    base = random.randrange(10000, max(low, 11000) - 40)
    held = []
    try:
        for port in range(base, base + 40):
            s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            held.append(s)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            s.bind(("::", port))
        print(base)
        break
    except OSError:
        pass
    finally:
        for s in held:
            s.close()
PY
}

# r_shim OUT [VAR=VALUE...] -- SCENARIO: run probe.py SCENARIO $BASE under
# the shim with $R_CONF, in a clean environment, output to OUT. Without
# KASHIM_DEBUG the shim takes its fast paths; tests give KASHIM_DEBUG=1
# where they read its decisions (the slow paths, which must agree).
r_shim() {
	local out=$1
	shift
	local vars=()
	while [ "$1" != -- ]; do vars+=("$1"); shift; done
	shift
	env -i PATH=/usr/bin:/bin LD_PRELOAD="$KASHIM_LIB" KASHIM_CONFIG="$R_CONF" KASHIM_LOG="$R_LOG" \
		"${vars[@]}" "$PYTHON" "$PROBE" "$1" "$BASE" >"$out" 2>"$out.err"
}

# r_plain OUT SCENARIO: the control, without the shim.
r_plain() {
	env -i PATH=/usr/bin:/bin "$PYTHON" "$PROBE" "$2" "$BASE" >"$1" 2>"$1.err"
}

# r_expect NAME FILE KEY VALUE: the line KEY of FILE says VALUE.
r_expect() {
	local got
	got=$(awk -v k="$3" '$1 == k { print $2 }' "$2")
	if [ "$got" = "$4" ]; then pass "$1"; else fail "$1" "$3: expected $4, got '${got}' ($(tail -n 2 "$2.err" 2>/dev/null | tr "\n" " "))"; fi
}

# r_setup: r_ready, then BASE, the first of 40 free ports; false (with a
# line of TAP) when either fails.
r_setup() {
	r_ready || return 1
	BASE=$(r_base)
	[ -n "$BASE" ] || { fail rules-ports "no 40 free ports"; return 1; }
}
