#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# core.t - kashim-bpf attach -i 17 -n 4 -k 3 -u 20000 on a fresh cgroup:
# programs no preload reaches (static, Go with KeepAlive: -1, io_uring,
# set-user-ID), a python3 server's accepted connection and IPv6, each read
# from outside by ka-status, each against the same program outside the
# cgroup (kernel defaults). Then status --json, and detach.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

WANT="ka=1 idle=17 intvl=4 cnt=3 uto=20000"
kb_init bpf-core
kb_mkcg CG core || { fail bpf-core-setup "cannot create a cgroup"; finish; }

# -c: an empty file, so that no /etc/keepalive.conf here changes the figures.
out=$("$KASHIM_BPF" attach -c "$KB_EMPTY_CONF" -i 17 -n 4 -k 3 -u 20000 "$CG" 2>&1)
expect_eq "attach: exit 0" 0 "$?"
check "attach says what it attached" grep -q "attached $CG: keepalive idle 17 s, interval 4 s, count 3, user_timeout 20000 ms" <<<"$out"

kb_hold srv4 127.0.0.1 && kb_hold srv6 ::1 || { fail bpf-core-setup "servers did not start"; finish; }

# client VAR NAME PORT CGROUP|- PROGRAM ARGS...: start it, wait for its
# connection, and set VAR to what ka-status reads of it.
client() {
	local var=$1 name=$2 port=$3 pid_var=PID_${2//-/_}
	shift 3
	kb_start "$name" "$@"
	if ! kb_wait "$name" connected; then
		printf -v "$var" %s "not connected: $(head -c 200 "$KB_TMP/$name.err")"
		return
	fi
	printf -v "$var" %s "$(kb_sockopts "${!pid_var}" "$port")"
}
# both LABEL PORT PROGRAM ARGS...: the program in the cgroup gets WANT, the
# same program outside keeps keepalive off.
both() {
	local label=$1 port=$2
	shift 2
	local in ctl
	client in "$label-in" "$port" "$CG" "$@"
	expect_eq "$label in the cgroup: ka-status reads kashim's settings" "$WANT" "$in"
	client ctl "$label-out" "$port" - "$@"
	expect_eq "control: $label outside the cgroup has keepalive off" "ka=0" "${ctl%% *}"
}

# Statically linked: no dynamic loader, so no preload.
if readelf -l "$KBT/kb-client-static" | grep -q INTERP; then
	fail "kb-client-static is static" "it has a PT_INTERP"
fi
both static "$PORT_srv4" "$KBT/kb-client-static" 127.0.0.1 "$PORT_srv4"

if [ -x "$KBT/kb-goclient" ]; then
	both "go-keepalive-minus-1" "$PORT_srv4" "$KBT/kb-goclient" "127.0.0.1:$PORT_srv4"
else
	fail "go client" "$KBT/kb-goclient not built (golang-go: scripts/install-deps test)"
fi

if [ -x "$KBT/kb-uring" ]; then
	both io_uring "$PORT_srv4" "$KBT/kb-uring" -U 127.0.0.1 "$PORT_srv4"
	check "io_uring: the client did make its socket through io_uring" \
		eval '! grep -q "io_uring" "$KB_TMP/io_uring-in.err"'
else
	fail "io_uring client" "$KBT/kb-uring not built (liburing-dev: scripts/install-deps test)"
fi

# Set-user-ID root, run by nobody: the loader ignores LD_PRELOAD for it.
mkdir "$KB_TMP/bin" && cp "$KBT/kb-client" "$KB_TMP/bin/kb-client-suid" &&
	chown root:root "$KB_TMP/bin/kb-client-suid" && chmod 4755 "$KB_TMP/bin/kb-client-suid"
as_nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
both setuid "$PORT_srv4" "${as_nobody[@]}" "$KB_TMP/bin/kb-client-suid" 127.0.0.1 "$PORT_srv4"
expect_eq "setuid: the client ran set-user-ID (euid root, uid nobody)" "0 65534" \
	"$(awk '/^Uid:/ { print $3, $2 }' /proc/"$PID_setuid_in"/status 2>/dev/null)"

both ipv6 "$PORT_srv6" "$KBT/kb-client-static" -6 ::1 "$PORT_srv6"

# A python3 server in the cgroup: the connection it accepts is configured;
# the client (outside) is not. Control: the same server outside.
kb_start pysrv-in "$CG" "$PYTHON" "$KASHIM_ROOT/tests/bpf/kb-hold.py" 127.0.0.1 report
kb_start pysrv-out - "$PYTHON" "$KASHIM_ROOT/tests/bpf/kb-hold.py" 127.0.0.1 report
kb_wait pysrv-in ready && kb_wait pysrv-out ready || fail bpf-core-setup "python3 servers did not start"
pin=$(kb_field pysrv-in ready 2) pout=$(kb_field pysrv-out ready 2)
kb_start toin - "$KBT/kb-client" 127.0.0.1 "$pin"
kb_start toout - "$KBT/kb-client" 127.0.0.1 "$pout"
kb_wait pysrv-in accepted && kb_wait pysrv-out accepted
expect_eq "python3 server in the cgroup: its accepted connection has kashim's settings" "$WANT" \
	"$(kb_sockopts "$PID_pysrv_in" "$pin")"
expect_eq "control: python3 server outside: accepted connection has keepalive off" "ka=0" \
	"$(kb_sockopts "$PID_pysrv_out" "$pout" | cut -d' ' -f1)"
expect_eq "the client of the server in the cgroup (outside it) is left alone" "ka=0" \
	"$(kb_sockopts "$PID_toin" "$pin" | cut -d' ' -f1)"

# The program's own view agrees with ka-status's.
expect_eq "the static client sees the same options itself" "$WANT" \
	"$(grep -m1 '^connected ' "$KB_TMP/static-in" | cut -d' ' -f3-)"

# status --json: valid JSON, this attachment with its settings and counts.
"$KASHIM_BPF" status --json >"$KB_TMP/status.json"
expect_eq "status --json: exit 0" 0 "$?"
check "status --json parses (python3 -m json.tool)" eval '"$PYTHON" -m json.tool <"$KB_TMP/status.json" >/dev/null'
got=$("$PYTHON" -c '
import json, sys
for a in json.load(open(sys.argv[1]))["attachments"]:
    if a["cgroup"] == sys.argv[2]:
        print(a["keepalive"], a["idle"], a["interval"], a["count"], a["user_timeout"], a["override"],
              a["sources"]["idle"], a["configured"] >= 6, a["stale"])' "$KB_TMP/status.json" "$CG")
expect_eq "status --json: settings, sources and counts of the attachment" \
	"True 17 4 3 20000 False option -i/--idle True False" "$got"
"$KASHIM_BPF" status >"$KB_TMP/status.txt"
check "status (table) lists the cgroup" grep -q "^$CG " "$KB_TMP/status.txt"

# detach: new connections get the kernel's defaults again; the one already
# made keeps what it got.
"$KASHIM_BPF" detach "$CG" >/dev/null
expect_eq "detach: exit 0" 0 "$?"
client after static-after "$PORT_srv4" "$CG" "$KBT/kb-client-static" 127.0.0.1 "$PORT_srv4"
expect_eq "after detach, a new connection in the cgroup has keepalive off" "ka=0" "${after%% *}"
expect_eq "after detach, the connection made before keeps its settings" "$WANT" \
	"$(kb_sockopts "$PID_static_in" "$PORT_srv4")"
check "status no longer lists the cgroup" eval '! "$KASHIM_BPF" status | grep -q "^$CG "'
finish
