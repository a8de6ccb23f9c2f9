#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nested.t - nested cgroups: a child without an attachment gets its
# parent's; the most specific attachment wins; --off on a child exempts it
# and its descendants; detaching the child gives it the parent's again, and
# detaching the parent restores the kernel defaults for new connections.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

kb_init bpf-nested
: >"$KB_TMP/empty.conf"
kb_mkcg P nest && kb_mkcg PLAIN plain "$P" && kb_mkcg OWN own "$P" && kb_mkcg OFF off "$P" &&
	kb_mkcg DEEP deep "$OFF" || { fail bpf-nested-setup "cannot create the cgroups"; finish; }
kb_hold srv 127.0.0.1 || { fail bpf-nested-setup "server did not start"; finish; }
attach() { "$KASHIM_BPF" attach -c "$KB_TMP/empty.conf" "$@" >/dev/null || fail "attach $*" "exit $?"; }
attach -i 17 -n 4 -k 3 -u 20000 "$P"
attach -i 30 -n 6 -k 2 "$OWN"
attach --off "$OFF"
PARENT="ka=1 idle=17 intvl=4 cnt=3 uto=20000"
conn_in "$P"
expect_eq "the parent cgroup gets its settings" "$PARENT" "$got"
conn_in "$PLAIN"
expect_eq "a child without an attachment gets the parent's" "$PARENT" "$got"
conn_in "$OWN"
expect_eq "a child with its own attachment: the most specific wins" "ka=1 idle=30 intvl=6 cnt=2 uto=0" "$got"
conn_in "$OFF" 1
expect_eq "a child attached --off is exempt" "ka=0" "$got"
conn_in "$DEEP" 1
expect_eq "so is its own child" "ka=0" "$got"
conn_in - 1
expect_eq "control: outside every test cgroup, keepalive off" "ka=0" "$got"
exempt=$("$KASHIM_BPF" status --json | "$PYTHON" -c '
import json, sys
print([a["exempt"] for a in json.load(sys.stdin)["attachments"] if a["cgroup"] == sys.argv[1]])' "$OFF")
expect_eq "status counts the 2 exempt connections as left alone" "[2]" "$exempt"
explain=$("$KASHIM_BPF" explain -c "$KB_TMP/empty.conf" --off "$OFF")
check "explain shows the exemption and its source" grep -q "^keepalive *off (exempt) *option --off" <<<"$explain"

"$KASHIM_BPF" detach "$OFF" >/dev/null
conn_in "$OFF"
expect_eq "detach the exempt child: it gets the parent's again" "$PARENT" "$got"
"$KASHIM_BPF" detach "$OWN" >/dev/null
"$KASHIM_BPF" detach "$P" >/dev/null
conn_in "$PLAIN" 2
expect_eq "detach the parent: new connections get the kernel defaults" "ka=0 idle=7200" \
	"$got"
finish
