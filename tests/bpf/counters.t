#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# counters.t - the per-attachment counters of kashim-bpf status (table,
# --json, --prometheus): N connections made in an attached cgroup count N
# configured, connections accepted by a listener there count on the accept
# side (a loopback connection with both ends in the cgroup counts twice); a
# program's own SO_KEEPALIVE counts as its choice with override off and as
# overridden with override on; a nested --off child counts exempt in its
# parent's counters too; a rule that gives the settings is counted; a
# client outside every test cgroup changes no counter. Counters of another
# layout are unreadable, not zeros. --prometheus passes promtool, with a
# quote, a backslash and a byte that is not UTF-8 in a cgroup's name.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

kb_init bpf-counters
kb_mkcg CG count && kb_mkcg OVR override && kb_mkcg P parent && kb_mkcg OFF off "$P" &&
	kb_mkcg PLAIN plain "$P" && kb_mkcg RULE rule || { fail bpf-counters-setup "cannot create cgroups"; finish; }
kb_hold srv 127.0.0.1 && kb_hold other 127.0.0.1 || { fail bpf-counters-setup "servers did not start"; finish; }
printf 'destination "127.0.0.1:%s" {\n\tidle = 40\n}\n' "$PORT_other" >"$KB_TMP/rule.conf"
attach() { "$KASHIM_BPF" attach -c "$KB_EMPTY_CONF" "$@" >/dev/null || fail "attach $*" "exit $?"; }
attach -i 17 "$CG"
attach -i 17 --override "$OVR"
attach -i 17 "$P"
attach --off "$OFF"
"$KASHIM_BPF" attach -c "$KB_TMP/rule.conf" -i 17 "$RULE" >/dev/null || fail "attach rule.conf" "exit $?"

# counts CGROUP: "configured app_chose overridden exempt rule_matched
# vetoed" of its attachment, from status --json.
counts() {
	"$KASHIM_BPF" status --json | "$PYTHON" -c '
import json, sys
for a in json.load(sys.stdin)["attachments"]:
    if a["cgroup"] == sys.argv[1]:
        print(*(a.get(k, "-") for k in ("configured", "app_chose", "overridden", "exempt", "rule_matched", "vetoed")))' "$1"
}
# all_counts: every test attachment's counts, one line each.
all_counts() { local cg; for cg in "$CG" "$OVR" "$P" "$OFF" "$PLAIN" "$RULE"; do echo "$cg $(counts "$cg")"; done; }
# clients N CGROUP|- PORT [ARGS...]: N static clients (each waited for).
n=0
clients() {
	local k=$1 cg=$2 port=$3 i name
	shift 3
	for ((i = 0; i < k; i++)); do
		name=c$((n++))
		kb_start "$name" "$cg" "$KBT/kb-client-static" "$@" 127.0.0.1 "$port"
		kb_wait "$name" connected || fail "client $name connects" "$(head -c 200 "$KB_TMP/$name.err")"
	done
}

expect_eq "a fresh attachment counts nothing" "0 0 0 0 0 0" "$(counts "$CG")"
clients 3 "$CG" "$PORT_srv"
expect_eq "3 connections made in the cgroup (server outside): configured 3" "3 0 0 0 0 0" "$(counts "$CG")"

before=$(all_counts)
clients 2 - "$PORT_srv"
expect_eq "control: 2 clients outside every test cgroup change no counter" "$before" "$(all_counts)"

# The accept side: a listener in the cgroup, its clients outside.
kb_start lsn "$CG" "$PYTHON" "$KASHIM_ROOT/tests/bpf/kb-hold.py" 127.0.0.1 report
kb_wait lsn ready || fail bpf-counters-setup "listener in the cgroup did not start"
PORT_lsn=$(kb_field lsn ready 2)
clients 2 - "$PORT_lsn"
accepted() { [ "$(grep -c '^accepted ' "$KB_TMP/lsn")" -ge "$1" ]; }
t_wait_until 5 accepted 2
expect_eq "2 connections accepted by a listener in the cgroup: configured +2" "5 0 0 0 0 0" "$(counts "$CG")"
clients 1 "$CG" "$PORT_lsn"
t_wait_until 5 accepted 3
expect_eq "1 connection with both ends in the cgroup counts twice (connect and accept)" "7 0 0 0 0 0" \
	"$(counts "$CG")"

# The program's own SO_KEEPALIVE, before connect.
clients 1 "$CG" "$PORT_srv" -b on
clients 1 "$CG" "$PORT_srv" -b off
expect_eq "override off: a program that sets SO_KEEPALIVE (on, off) itself counts as its choice" \
	"7 2 0 0 0 0" "$(counts "$CG")"
clients 1 "$OVR" "$PORT_srv" -b on
expect_eq "override on: the same program counts as overridden (and its call as vetoed)" "0 0 1 0 0 1" \
	"$(counts "$OVR")"
clients 1 "$OVR" "$PORT_srv"
expect_eq "control: override on, a program that sets nothing counts as configured" "1 0 1 0 0 1" \
	"$(counts "$OVR")"

# Nested: the --off child decides; the parent counts it as exempt too.
clients 2 "$OFF" "$PORT_srv"
expect_eq "the --off child counts its 2 connections exempt" "0 0 0 2 0 0" "$(counts "$OFF")"
expect_eq "its parent counts them exempt too (not configured)" "0 0 0 2 0 0" "$(counts "$P")"
clients 1 "$PLAIN" "$PORT_srv"
expect_eq "control: a child without an attachment counts configured in the parent" "1 0 0 2 0 0" \
	"$(counts "$P")"

# Rules: the connection whose settings came from a destination rule.
clients 1 "$RULE" "$PORT_other"
clients 1 "$RULE" "$PORT_srv"
expect_eq "one connection matched by a rule, one by none: both configured, 1 rule_matched" "2 0 0 0 1 0" \
	"$(counts "$RULE")"

# The table shows the same figures.
line=$("$KASHIM_BPF" status | grep "^$CG ")
expect_eq "status table: CONFIGURED APP_CHOSE OVERRIDDEN EXEMPT" "7 2 0 0" \
	"$(awk '{ print $(NF - 3), $(NF - 2), $(NF - 1), $NF }' <<<"$line")"

# --prometheus: promtool's lint, the values, and escaping.
command -v promtool >/dev/null ||
	fail "promtool is installed" "no promtool: install Debian's prometheus (scripts/install-deps test)"
kb_mkcg Q 'q"uo\te' && kb_mkcg U "$(printf 'x\377y')" || fail bpf-counters-setup "cannot create odd cgroups"
attach -i 17 "$Q"
attach -i 17 "$U"
clients 1 "$Q" "$PORT_srv"
"$KASHIM_BPF" status --prometheus >"$KB_TMP/metrics.txt"
expect_eq "status --prometheus: exit 0" 0 "$?"
check "promtool check metrics passes, on samples of every outcome" \
	eval '[ "$(grep -c "^kashim_bpf_connections_total{" "$KB_TMP/metrics.txt")" -ge 4 ] &&
		promtool check metrics <"$KB_TMP/metrics.txt" >"$KB_TMP/promtool.out" 2>&1'
id=$(stat -c %i "$CG")
check "connections_total per outcome, as in --json" \
	grep -qxF "kashim_bpf_connections_total{cgroup=\"$CG\",cgroup_id=\"$id\",outcome=\"app_chose\"} 2" "$KB_TMP/metrics.txt"
qesc=${Q//\\/\\\\}
qesc=${qesc//\"/\\\"}
check "a quote and a backslash in a cgroup name are escaped" \
	grep -qF "kashim_bpf_connections_total{cgroup=\"$qesc\",cgroup_id=\"$(stat -c %i "$Q")\",outcome=\"configured\"} 1" \
	"$KB_TMP/metrics.txt"
check "a byte that is not UTF-8 is written \\udcXX, as in --json" \
	grep -qF "{cgroup=\"$KB_MOUNT/kbtest-$$-x\\\\udcffy\"" "$KB_TMP/metrics.txt"
# Control: the same output with the quote left unescaped fails promtool.
"$PYTHON" -c '
import sys
t = open(sys.argv[1]).read()
sys.stdout.write(t.replace(sys.argv[2], sys.argv[3]))' "$KB_TMP/metrics.txt" "$qesc" "$Q" >"$KB_TMP/unescaped.txt"
check "control: the quote unescaped, promtool check metrics fails" \
	eval '! cmp -s "$KB_TMP/metrics.txt" "$KB_TMP/unescaped.txt" && ! promtool check metrics <"$KB_TMP/unescaped.txt" >/dev/null 2>&1'

# Counters of another layout (another build's map) are unreadable.
pins=/sys/fs/bpf/kashim/$(stat -c %i "$RULE")
rm -f "$pins/counts" && "$KB_BPFTOOL" map create "$pins/counts" type array key 4 value 8 entries 1 name kbtest_old ||
	fail bpf-counters-setup "cannot pin a map of another layout"
check "table: ? for its counters, and why" \
	eval '"$KASHIM_BPF" status | grep -q "^$RULE  *on .* ?  *?  *?  *?  (another build: counters unreadable"'
expect_eq "--json: counters_readable false and no counter" "False - -" \
	"$("$KASHIM_BPF" status --json | "$PYTHON" -c '
import json, sys
for a in json.load(sys.stdin)["attachments"]:
    if a["cgroup"] == sys.argv[1]:
        print(a["counters_readable"], a.get("configured", "-"), a.get("exempt", "-"))' "$RULE")"
"$KASHIM_BPF" status --prometheus >"$KB_TMP/metrics2.txt"
check "--prometheus: counters_readable 0, and no connections_total for it" \
	eval 'grep -qxF "kashim_bpf_counters_readable{cgroup=\"$RULE\",cgroup_id=\"$(stat -c %i "$RULE")\"} 0" "$KB_TMP/metrics2.txt" &&
		! grep -q "^kashim_bpf_connections_total{cgroup=\"$RULE\"" "$KB_TMP/metrics2.txt"'
check "control: the other attachments' counters are still there" \
	grep -qxF "kashim_bpf_counters_readable{cgroup=\"$CG\",cgroup_id=\"$id\"} 1" "$KB_TMP/metrics2.txt"
check "and promtool still passes" \
	eval 'grep -q "^kashim_bpf_connections_total{" "$KB_TMP/metrics2.txt" &&
		promtool check metrics <"$KB_TMP/metrics2.txt" >/dev/null 2>&1'
out=$("$KASHIM_BPF" attach -c "$KB_TMP/rule.conf" -i 17 "$RULE")
check "attach replaces it (from another build)" grep -q "^replaced the pinned attachment (from another build) of $RULE" <<<"$out"
finish
