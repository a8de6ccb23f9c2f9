#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# MPTCP sockets (socket(AF_INET or AF_INET6, SOCK_STREAM, IPPROTO_MPTCP), as
# made by mptcpize or Go's listeners) are TCP to their program: kashim
# configures the client, the listener and the accepted connection like TCP,
# and ka-status lists them with their protocol, in the table and the JSON.
# Control: the same program without kashim.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

if [ "$(cat /proc/sys/net/mptcp/enabled 2>/dev/null)" != 1 ]; then
	skip mptcp "this kernel has no MPTCP, or net.mptcp.enabled is 0"
	finish
fi
cat >"$HX_TMP/mptcp.py" <<'PY'
import socket, sys
MPTCP = 262
def ka(s):
    return "%d/%d" % (s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
                      s.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE))
out, keep = [], []
for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    l = socket.socket(fam, socket.SOCK_STREAM, MPTCP)
    l.bind((host, 0)); l.listen(4)
    c = socket.socket(fam, socket.SOCK_STREAM, MPTCP)
    c.connect(l.getsockname()[:2])
    a, _ = l.accept()
    keep += [l, c, a]
    proto = c.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL)
    out.append("%s proto %d client %s listener %s accepted %s" % (
        "v4" if fam == socket.AF_INET else "v6", proto, ka(c), ka(l), ka(a)))
print("; ".join(out), flush=True)
if len(sys.argv) > 1:   # stay for ka-status
    open(sys.argv[1], "w").close()
    sys.stdin.read()
PY
KERNEL_IDLE=$(cat /proc/sys/net/ipv4/tcp_keepalive_time)
want="v4 proto 262 client 1/29 listener 1/29 accepted 1/29; v6 proto 262 client 1/29 listener 1/29 accepted 1/29"
expect_eq "MPTCP under kashim: client, listener and accepted connection configured (IPv4, IPv6)" \
	"$want" "$(LD_PRELOAD="$HX_PRELOAD" KASHIM_IDLE=29 KASHIM_LOG=$HX_TMP/log "$PYTHON" "$HX_TMP/mptcp.py")"
k=0/$KERNEL_IDLE
expect_eq "MPTCP control: without kashim nothing is configured" \
	"v4 proto 262 client $k listener $k accepted $k; v6 proto 262 client $k listener $k accepted $k" \
	"$(env -u LD_PRELOAD "$PYTHON" "$HX_TMP/mptcp.py")"

# TCP_USER_TIMEOUT: the kernel refuses it on MPTCP sockets (ENOPROTOOPT).
# kashim does not try it there (no warning), gives the rest, and still sets
# it on the plain TCP sockets of the same process; the program's own call
# gets the kernel's answer, override or not.
cat >"$HX_TMP/mptcp-ut.py" <<'PY'
import socket
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    c.setsockopt(socket.IPPROTO_TCP, 18, 1000)
    own = "accepted"
except OSError as e:
    own = "errno %d" % e.errno
print("mptcp %d/%d tcp-user-timeout %d own-call %s" % (c.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
      c.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE), t.getsockopt(socket.IPPROTO_TCP, 18), own))
PY
for ovr in off on; do
	rm -f "$HX_TMP/ut.log"
	expect_eq "MPTCP with user_timeout (override $ovr): configured, TCP_USER_TIMEOUT left to the kernel's answer" \
		"mptcp 1/29 tcp-user-timeout 5000 own-call errno 92" \
		"$(LD_PRELOAD="$HX_PRELOAD" KASHIM_IDLE=29 KASHIM_USER_TIMEOUT=5000 KASHIM_OVERRIDE=$ovr \
			KASHIM_LOG=$HX_TMP/ut.log "$PYTHON" "$HX_TMP/mptcp-ut.py" 2>&1)"
	expect_eq "MPTCP with user_timeout (override $ovr): nothing logged" "" "$(cat "$HX_TMP/ut.log" 2>/dev/null)"
done
expect_eq "MPTCP user_timeout control: the kernel refuses TCP_USER_TIMEOUT without kashim" \
	"mptcp 0/$KERNEL_IDLE tcp-user-timeout 0 own-call errno 92" "$(env -u LD_PRELOAD "$PYTHON" "$HX_TMP/mptcp-ut.py")"

# ka-status reads them from outside: both processes, with the protocol.
if [ ! -x "$KA_STATUS" ]; then
	fail "ka-status MPTCP" "$KA_STATUS is not built"
	finish
fi
mkfifo "$HX_TMP/hold" "$HX_TMP/hold2"
(LD_PRELOAD="$HX_PRELOAD" KASHIM_IDLE=29 KASHIM_LOG=$HX_TMP/log "$PYTHON" "$HX_TMP/mptcp.py" "$HX_TMP/up" <"$HX_TMP/hold" >/dev/null) &
shim_pid=$!
(env -u LD_PRELOAD "$PYTHON" "$HX_TMP/mptcp.py" "$HX_TMP/up2" <"$HX_TMP/hold2" >/dev/null) &
ctl_pid=$!
exec 7>"$HX_TMP/hold" 8>"$HX_TMP/hold2"
t_on_exit "exec 7>&- 8>&-"
for _ in $(seq 100); do [ -e "$HX_TMP/up" ] && [ -e "$HX_TMP/up2" ] && break; sleep 0.05; done
py_pid=$(pgrep -P "$shim_pid" -f mptcp.py || echo "$shim_pid")
ctl_py=$(pgrep -P "$ctl_pid" -f mptcp.py || echo "$ctl_pid")
json=$("$KA_STATUS" --json "$py_pid" "$ctl_py")
summary=$("$PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
for p in d["processes"]:
    socks = p["sockets"]
    print(len(socks), sorted(set(s["protocol"] for s in socks)),
          sorted(set((s["keepalive"], s["idle"]) for s in socks)))
' <<<"$json")
expect_eq "ka-status --json: 6 MPTCP sockets each (2 listeners, 2 clients, 2 accepted), on with 29 / off" \
	"6 ['mptcp'] [(True, 29)]
6 ['mptcp'] [(False, $KERNEL_IDLE)]" "$summary"
check "ka-status table: a PROTO column showing mptcp" \
	bash -c "'$KA_STATUS' '$py_pid' | grep -Eq '^ *PID +COMMAND +FD +PROTO ' && '$KA_STATUS' '$py_pid' | grep -q ' mptcp '"
audit=$("$KA_STATUS" --all)
check "ka-status --all: the control's MPTCP connections are reported with keepalive off" \
	grep -Eq "^ *$ctl_py +python3[^ ]* +4 +4 " <<<"$audit"
exec 7>&- 8>&-
wait
finish
