#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# cgroup-rules.t - destination and listen rules inside `cgroup "..."`
# sections, in the kernel: a cgroup's profile is its section's rules in
# file order, then the top level's, each on top of the section's settings
# (as a program section's are for the shim); another cgroup's section never
# applies; explain --to and ka-run --check --cgroup --to name the rule;
# reload takes an edited section rule; a profile with more rules than the
# kernel backend holds is refused with the file and the line of the first
# one over, the attachment left as it was. Controls: the same client
# outside the test cgroups (keepalive off), and the sibling cgroup.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

kb_init bpf-cgroup-rules
kb_mkcg CG web && kb_mkcg CG2 batch || { fail bpf-cgroup-rules-setup "cannot create the cgroups"; finish; }
kb_hold srv 127.0.0.1 && kb_hold other 127.0.0.1 ||
	{ fail bpf-cgroup-rules-setup "servers did not start"; finish; }
lport=$(t_free_port)
conf=$KB_TMP/keepalive.conf
# write_conf IDLE: the file, CG's first section rule giving IDLE.
write_conf() {
	cat >"$conf" <<EOF
idle = 30
destination "127.0.0.0/8:$PORT_other" { count = 3 }
cgroup "$CG" {
	interval = 6
	destination "127.0.0.1:$PORT_srv" { idle = $1 }
	listen "*:$lport" { idle = 52 }
}
cgroup "$CG2" { destination "*" { idle = 53 } }
destination "*" { idle = 44 }
EOF
}
write_conf 51
"$KASHIM_BPF" attach -c "$conf" "$CG" >/dev/null 2>"$KB_TMP/attach.err"
expect_eq "attach with rules in the cgroup's section: exit 0" 0 "$?"
"$KASHIM_BPF" attach -c "$conf" "$CG2" >/dev/null 2>>"$KB_TMP/attach.err"
expect_eq "attach the sibling with its own section: exit 0" 0 "$?"

# got CGROUP|- PORT: the options of a new connection a static client makes
# in CGROUP to 127.0.0.1:PORT.
n=0
got() {
	local name=c$((n++)) pid_var
	kb_start "$name" "$1" "$KBT/kb-client-static" 127.0.0.1 "$2"
	pid_var=PID_$name
	kb_wait "$name" connected && kb_sockopts "${!pid_var}" "$2" | cut -d' ' -f1-4 || echo none
}
expect_eq "the section's rule first (not the top level's broader one), on the section's settings" \
	"ka=1 idle=51 intvl=6 cnt=5" "$(got "$CG" "$PORT_srv")"
expect_eq "then the top level's rules, on the section's settings" \
	"ka=1 idle=30 intvl=6 cnt=3" "$(got "$CG" "$PORT_other")"
expect_eq "the sibling gets its own section's rule, never the other section's" \
	"ka=1 idle=53 intvl=10 cnt=5" "$(got "$CG2" "$PORT_srv")"
c=$(got - "$PORT_srv")
expect_eq "control: outside the test cgroups, keepalive off" "ka=0" "${c%% *}"

# The section's listen rule, on a connection accepted in the cgroup.
kb_expect_listen "the section's listen rule on a connection accepted on its port" "$CG" "$lport" \
	"ka=1 idle=52 intvl=6 cnt=5"

# explain --to names the section's rule with its line; ka-run says the same.
kb_explain_to "$conf" "$CG" "127.0.0.1:$PORT_srv" "explain --to names the section's rule and its line" \
	"destination \"127.0.0.1:$PORT_srv\" at line 5, the first that matches (of 4)" \
	"keepalive on, idle 51, interval 6, count 5,"
"$KASHIM_BPF" explain -c "$conf" --to "127.0.0.1:$PORT_srv" "$CG2" >"$KB_TMP/explain2.out" 2>&1
check "control: the sibling's explain names its own section's rule" \
	grep -q "^rule  *destination \"\*\" at line 8, the first that matches (of 3)" "$KB_TMP/explain2.out"

# reload CGROUP takes the edited section rule.
write_conf 61
"$KASHIM_BPF" reload -c "$conf" "$CG" >/dev/null 2>"$KB_TMP/reload.err"
expect_eq "reload CGROUP: exit 0" 0 "$?"
expect_eq "reload: the edited section rule is in force" "ka=1 idle=61 intvl=6 cnt=5" "$(got "$CG" "$PORT_srv")"

# 64 rules in one profile are held (40 of the section, 24 of the top
# level), 65 refused, naming the file and the line of the 65th.
big=$KB_TMP/big.conf
{
	echo "cgroup \"$CG\" {"
	for i in $(seq 1 40); do echo "  destination \"10.$i.0.0/16\" { idle = $((100 + i)) }"; done
	echo "}"
	for i in $(seq 1 24); do echo "destination \"10.$((100 + i)).0.0/16\" { idle = $((200 + i)) }"; done
} >"$big"
"$KASHIM_BPF" attach -c "$big" "$CG" >/dev/null 2>"$KB_TMP/64.err"
expect_eq "control: 40 section rules and 24 top-level ones: attach exit 0" 0 "$?"
echo 'destination "10.125.0.0/16" { idle = 225 }' >>"$big"
write_conf 51
"$KASHIM_BPF" attach -c "$conf" "$CG" >/dev/null 2>>"$KB_TMP/64.err"
"$KASHIM_BPF" attach -c "$big" "$CG" >/dev/null 2>"$KB_TMP/65.err"
expect_eq "65 rules in the cgroup's profile: attach refused, exit 2" 2 "$?"
check "naming the file, the line of the first rule over, the section and the limit" \
	grep -q "^kashim-bpf: $big: destination \"10.125.0.0/16\" at line 67: 65 destination and listen rules (cgroup section \"$CG\"'s, then the top level's); the kernel backend holds at most 64" \
	"$KB_TMP/65.err"
expect_eq "the refused attach changed nothing: the section rule still in force" "ka=1 idle=51 intvl=6 cnt=5" \
	"$(got "$CG" "$PORT_srv")"
"$KASHIM_BPF" attach -c "$big" "$CG2" >/dev/null 2>"$KB_TMP/sib.err"
expect_eq "control: the same file for a cgroup without a section (25 rules): exit 0" 0 "$?"
finish
