#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# pins.t - what kashim-bpf says about its pinned attachments is what is in
# force: a link detached elsewhere, or an attachment of another build, is
# replaced by attach (not "updated" with nothing running, or with the old
# programs) and a detached one is shown as detached by status; a live cgroup
# whose path is longer than the settings keep is never "stale" and
# detach --stale leaves it; a cgroup whose name is not UTF-8 comes out of
# status --json as valid JSON that gives its bytes back.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

kb_init bpf-pins
kb_hold srv 127.0.0.1 || { fail bpf-pins-setup "server did not start"; finish; }
attach() { "$KASHIM_BPF" attach -c "$KB_EMPTY_CONF" "$@"; }

# A link detached behind kashim-bpf's back (bpftool link detach).
kb_mkcg D det || { fail bpf-pins-setup "cannot create a cgroup"; finish; }
attach -i 30 "$D" >/dev/null || fail "attach" "exit $?"
conn_in "$D" 2
expect_eq "control: attached, a connection gets idle 30" "ka=1 idle=30" "$got"
link=$("$KB_BPFTOOL" link show pinned "/sys/fs/bpf/kashim/$(stat -c %i "$D")/sock_ops" | awk -F: 'NR == 1 { print $1 }')
"$KB_BPFTOOL" link detach id "$link" || fail "bpftool link detach" "exit $?"
conn_in "$D" 1
expect_eq "control: its sock_ops link detached elsewhere, nothing is in force" "ka=0" "$got"
check "status says it is detached, not in force" eval '"$KASHIM_BPF" status | grep -q "^$D .*detached elsewhere: not in force"'
out=$(attach -i 30 "$D")
expect_eq "attach again: exit 0" 0 "$?"
check "attach says it replaced the detached attachment (not updated)" grep -q "^replaced the pinned attachment (detached) of $D: keepalive idle 30" <<<"$out"
conn_in "$D" 2
expect_eq "and it is in force again" "ka=1 idle=30" "$got"
out=$(attach -i 31 "$D")
check "control: a live attachment of this build is updated in place" grep -q "^updated $D: keepalive idle 31" <<<"$out"

# An attachment left by another build (an upgrade): its settings map has
# another size (as when the settings grew). attach replaces it, and only
# one copy stays attached.
kb_mkcg O oldbuild || { fail bpf-pins-setup "cannot create a cgroup"; finish; }
attach -i 30 "$O" >/dev/null || fail "attach" "exit $?"
opins=/sys/fs/bpf/kashim/$(stat -c %i "$O")
rm -f "$opins/data" && "$KB_BPFTOOL" map create "$opins/data" type array key 4 value 8 entries 1 name kbtest_old ||
	fail bpf-pins-setup "cannot pin a map of another size"
check "status says it is another build's, not what it applies" \
	eval '"$KASHIM_BPF" status | grep -q "^$O  *? .*(another build: settings unreadable"'
out=$(attach -i 32 "$O")
expect_eq "attach over another build's attachment: exit 0" 0 "$?"
check "it says it replaced it (from another build), not updated" \
	grep -q "^replaced the pinned attachment (from another build) of $O: keepalive idle 32" <<<"$out"
conn_in "$O" 2
expect_eq "the new settings are in force" "ka=1 idle=32" "$got"
expect_eq "one sock_ops program attached to the cgroup, not two" 1 \
	"$("$KB_BPFTOOL" cgroup show "$O" | grep -c sock_ops)"

# A path longer than 511 bytes.
long=$(printf 'l%.0s' {1..200})
kb_mkcg L1 "$long" && kb_mkcg L2 "$long" "$L1" && kb_mkcg L3 "$long" "$L2" ||
	{ fail bpf-pins-setup "cannot create long cgroups"; finish; }
expect_eq "the cgroup path is longer than 511 bytes" yes "$([ ${#L3} -gt 511 ] && echo yes)"
attach -i 30 "$L3" >/dev/null || fail "attach the long path" "exit $?"
"$KASHIM_BPF" status >"$KB_TMP/status.txt"
check "status lists it by its whole path" grep -q "^$L3 " "$KB_TMP/status.txt"
check "and not as stale" eval '! grep "^$L3 " "$KB_TMP/status.txt" | grep -q stale'
"$KASHIM_BPF" detach --stale >"$KB_TMP/stale.out"
check "detach --stale does not remove it" eval '! grep -q "removed" "$KB_TMP/stale.out"'
conn_in "$L3" 2
expect_eq "and it is still in force" "ka=1 idle=30" "$got"
"$KASHIM_BPF" reload "$L3" >"$KB_TMP/reload.out" 2>&1
expect_eq "reload of the long path: exit 0" "0" "$?"
kb_mkcg G gone || fail bpf-pins-setup "cannot create a cgroup"
attach -i 9 "$G" >/dev/null
rmdir "$G"
"$KASHIM_BPF" detach --stale >"$KB_TMP/stale.out"
check "control: detach --stale removes a removed cgroup's attachment" grep -q "removed the stale attachment of $G" "$KB_TMP/stale.out"

# A name that is not UTF-8.
kb_mkcg U "$(printf 'x\377y')" || { fail bpf-pins-setup "cannot create a cgroup named x\\377y"; finish; }
attach -i 30 "$U" >/dev/null || fail "attach x\\377y" "exit $?"
"$KASHIM_BPF" status --json >"$KB_TMP/status.json"
got=$("$PYTHON" -c '
import json, os, sys
d = json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))
want = os.fsencode(sys.argv[2])
print(any(os.fsencode(a["cgroup"]) == want for a in d["attachments"]))' "$KB_TMP/status.json" "$U" 2>&1 | tail -1)
expect_eq "status --json is valid UTF-8 JSON and gives the name's bytes back (surrogateescape)" True "$got"
finish
