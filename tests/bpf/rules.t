#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# rules.t - the file's top-level destination and listen rules in the
# kernel, with the shim's first-match meaning: the first rule in file order
# that matches a connection's destination (connect) or local address
# (accepted connection) gives its keys, on top of the attachment's
# settings; IPv4 networks, IPv6, IPv4-mapped, port lists and ranges; a
# rule with keepalive = false leaves its connections alone; more rules
# than the kernel backend holds are refused. Each connect case against the
# shim given the same file, and against the same program outside.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

kb_init bpf-rules
kb_mkcg CG rules || { fail bpf-rules-setup "cannot create a cgroup"; finish; }
kb_hold srv 127.0.0.1 && kb_hold srv6 ::1 && kb_hold off 127.0.0.1 ||
	{ fail bpf-rules-setup "servers did not start"; finish; }
lport=$(t_free_port)
conf=$KB_TMP/keepalive.conf
cat >"$conf" <<EOF
idle = 30
interval = 7
destination "127.0.0.0/8:1-1023,$((PORT_off + 1))" { idle = 41 }
destination "127.0.0.1:$PORT_off" { keepalive = false }
destination "127.0.0.0/8:$((PORT_srv - 3)),$((PORT_srv - 1))-$((PORT_srv + 5))" {
	idle = 42
	count = 4
}
destination "127.0.0.1" { idle = 43 }
destination "[::1]:$PORT_srv6" { idle = 46 }
destination "*" { idle = 44 }
listen "*:$lport" { idle = 45 }
EOF
"$KASHIM_BPF" attach -c "$conf" "$CG" >/dev/null || fail "attach with rules" "exit $?"
n=0
# conn VAR CGROUP|- [ENV...] -- ARGS: kb-client ARGS; VAR gets its options.
conn() {
	local var=$1 cg=$2 name=r$((n++)) pid_var port
	shift 2
	kb_env_args "$@"
	port=${KB_ARGS[-1]}
	kb_start "$name" "$cg" env "${KB_ENVS[@]}" "$KBT/kb-client" "${KB_ARGS[@]}"
	pid_var=PID_$name
	printf -v "$var" none
	kb_wait "$name" connected && printf -v "$var" %s "$(kb_sockopts "${!pid_var}" "$port" | cut -d' ' -f1-4)"
}
shim=(LD_PRELOAD="$KASHIM_LIB" KASHIM_CONFIG="$conf")
# case_ LABEL WANT ARGS...: in the cgroup, under the shim, and outside.
case_() {
	local label=$1 want=$2 bpf sh ctl
	shift 2
	conn bpf "$CG" -- "$@"
	conn sh - "${shim[@]}" -- "$@"
	conn ctl - -- "$@"
	expect_eq "$label: kashim-bpf" "$want" "$bpf"
	expect_eq "$label: the shim agrees" "$bpf" "$sh"
	expect_eq "$label: control outside, no shim: keepalive off" "ka=0" "${ctl%% *}"
}
case_ "the first matching rule, not a later broader one (port list and range)" "ka=1 idle=42 intvl=7 cnt=4" \
	127.0.0.1 "$PORT_srv"
case_ "IPv4-mapped IPv6 matches the IPv4 network" "ka=1 idle=42 intvl=7 cnt=4" -6 ::ffff:127.0.0.1 "$PORT_srv"
case_ "IPv6" "ka=1 idle=46 intvl=7 cnt=5" -6 ::1 "$PORT_srv6"
conn bpf "$CG" -- 127.0.0.1 "$PORT_off"
expect_eq "a rule with keepalive = false leaves the connection alone" "ka=0" "${bpf%% *}"
conn sh - "${shim[@]}" -- 127.0.0.1 "$PORT_off"
expect_eq "the shim agrees" "ka=0" "${sh%% *}"

# listen: a server in the cgroup on the rule's port, and one on another.
kb_start lsrv "$CG" "$PYTHON" "$KASHIM_ROOT/tests/bpf/kb-hold.py" 127.0.0.1 report
kb_expect_listen "listen rule: a connection accepted on its port gets its keys" "$CG" "$lport" \
	"ka=1 idle=45 intvl=7 cnt=5"
if kb_wait lsrv ready; then
	p2=$(kb_field lsrv ready 2)
	kb_start lc2 - "$KBT/kb-client" 127.0.0.1 "$p2"
	kb_wait lsrv accepted
	expect_eq "control: accepted on another port: the attachment's own settings" "ka=1 idle=30 intvl=7 cnt=5" \
		"$(kb_sockopts "$PID_lsrv" "$p2" | cut -d' ' -f1-4)"
else
	fail "listen rule control" "the listener did not start"
fi

# explain --to / --listen, and ka-run --check --cgroup with them.
kb_explain_to "$conf" "$CG" "127.0.0.1:$PORT_srv" "explain --to names the first rule that matches, with its line" \
	"destination \"127.0.0.0/8:$((PORT_srv - 3)),$((PORT_srv - 1))-$((PORT_srv + 5))\" at line 5, the first that matches" \
	"keepalive on, idle 42, interval 7, count 4,"
"$KASHIM_BPF" explain -c "$conf" --listen "$lport" "$CG" >"$KB_TMP/explain.out" 2>&1
check "explain --listen PORT: the listen rule" grep -q "^rule  *listen \"\*:$lport\" at line 12, the first that matches" "$KB_TMP/explain.out"
"$KASHIM_BPF" explain -c "$conf" --listen "$((lport + 1))" "$CG" >"$KB_TMP/explain.out" 2>&1
check "control: explain --listen on another port: no rule" grep -q "^rule  *none matches" "$KB_TMP/explain.out"

# 64 rules are held, 65 refused.
for i in $(seq 1 64); do echo "destination \"10.$i.0.0/16\" { idle = $((100 + i)) }"; done >"$KB_TMP/64.conf"
"$KASHIM_BPF" attach -c "$KB_TMP/64.conf" "$CG" >/dev/null 2>"$KB_TMP/64.err"
expect_eq "control: 64 rules: attach exit 0" 0 "$?"
echo 'destination "10.65.0.0/16" { idle = 165 }' >>"$KB_TMP/64.conf"
"$KASHIM_BPF" attach -c "$KB_TMP/64.conf" "$CG" >/dev/null 2>"$KB_TMP/65.err"
expect_eq "65 rules: attach refused, exit 2" 2 "$?"
check "naming the file, the first rule over and the limit" \
	grep -q "$KB_TMP/64.conf: destination \"10.65.0.0/16\" at line 65: 65 destination and listen rules; the kernel backend holds at most 64" "$KB_TMP/65.err"
finish
