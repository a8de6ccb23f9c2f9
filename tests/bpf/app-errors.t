#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# app-errors.t - what the kernel refuses stays refused and is nobody's
# choice: a keepalive call that fails (TCP_KEEPIDLE 0, a 1-byte
# SO_KEEPALIVE: EINVAL) does not stop kashim-bpf from setting that option,
# as it does not stop the shim; and a raw IPPROTO_TCP socket is not TCP:
# with --override its TCP_KEEPIDLE still fails with ENOPROTOOPT. Each
# against the same program outside the cgroup and under the shim.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

kb_init bpf-app-errors
kb_mkcg CG apperr || { fail bpf-app-errors-setup "cannot create a cgroup"; finish; }
kb_hold srv 127.0.0.1 || { fail bpf-app-errors-setup "server did not start"; finish; }
n=0
# client VAR CGROUP|- [ENV...] -- CALLS: a python3 client that makes CALLS
# (idle0, ka1byte, idle50, raw) before connect; VAR gets "RESULTS | OPTIONS".
client() {
	local var=$1 cg=$2 name=p$((n++)) pid_var
	shift 2
	kb_env_args "$@"
	kb_start "$name" "$cg" env "${KB_ENVS[@]}" "$PYTHON" -c '
import errno, socket, sys, time
T = socket.IPPROTO_TCP
def call(s, level, name, value):
    try:
        s.setsockopt(level, name, value)
        return "ok"
    except OSError as e:
        return errno.errorcode[e.errno]
res = []
s = socket.socket()
for c in sys.argv[2:]:
    if c == "idle0": res.append(call(s, T, socket.TCP_KEEPIDLE, 0))
    if c == "idle50": res.append(call(s, T, socket.TCP_KEEPIDLE, 50))
    if c == "ka1byte": res.append(call(s, socket.SOL_SOCKET, socket.SO_KEEPALIVE, b"\x01"))
    if c == "raw":
        r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
        res.append(call(r, T, socket.TCP_KEEPIDLE, 30))
s.connect(("127.0.0.1", int(sys.argv[1])))
print("connected", " ".join(res), flush=True)
time.sleep(60)' "$PORT_srv" "${KB_ARGS[@]}"
	pid_var=PID_$name
	printf -v "$var" %s "no connection"
	kb_wait "$name" connected &&
		printf -v "$var" %s "$(grep -m1 "^connected" "$KB_TMP/$name" | cut -d" " -f2-) | $(kb_sockopts "${!pid_var}" "$PORT_srv" | cut -d' ' -f1-4)"
}
shim_env() {
	echo LD_PRELOAD="$KASHIM_LIB" KASHIM_CONFIG="$KB_EMPTY_CONF" KASHIM_KEEPALIVE=on KASHIM_IDLE=17 \
		KASHIM_INTERVAL=4 KASHIM_COUNT=3 KASHIM_OVERRIDE="$1"
}
"$KASHIM_BPF" attach -c "$KB_EMPTY_CONF" -i 17 -n 4 -k 3 "$CG" >/dev/null || fail "attach" "exit $?"
OURS="ka=1 idle=17 intvl=4 cnt=3"
client bpf "$CG" -- idle0 ka1byte
client shim - $(shim_env off) -- idle0 ka1byte
client ctl - -- idle0 ka1byte
expect_eq "failed calls (TCP_KEEPIDLE 0, 1-byte SO_KEEPALIVE) in the cgroup: still EINVAL, and kashim's values" \
	"EINVAL EINVAL | $OURS" "$bpf"
expect_eq "the shim agrees" "$bpf" "$shim"
expect_eq "control: outside, the same calls fail, kernel defaults" "EINVAL EINVAL | ka=0 idle=7200 intvl=75 cnt=9" "$ctl"
client bpf "$CG" -- idle50
expect_eq "control: a call that succeeds (TCP_KEEPIDLE 50) is the program's choice" "ok | ka=1 idle=50 intvl=4 cnt=3" "$bpf"

"$KASHIM_BPF" attach -c "$KB_EMPTY_CONF" -i 17 -n 4 -k 3 --override "$CG" >/dev/null || fail "attach --override" "exit $?"
client bpf "$CG" -- raw
client ctl - -- raw
expect_eq "override: a raw IPPROTO_TCP socket's TCP_KEEPIDLE fails with ENOPROTOOPT in the cgroup" "ENOPROTOOPT" "${bpf%% |*}"
expect_eq "control: and outside it" "ENOPROTOOPT" "${ctl%% |*}"
client bpf "$CG" -- idle50
expect_eq "control: override still vetoes a TCP socket's own TCP_KEEPIDLE" "ok | $OURS" "$bpf"
finish
