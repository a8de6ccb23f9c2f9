#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# detach-all.t - detach --all -c FILE undoes what attach --all did for
# FILE's cgroup sections: the attachment of a cgroup that exists and the
# programs pinned for a unit not started yet; an attachment made by hand
# for a cgroup no section names stays (the control), and a second run
# says there is nothing left. Usage errors exit 2.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

kb_init bpf-detach-all
kb_mkcg A named && kb_mkcg B byhand || { fail bpf-detach-all-setup "cannot create cgroups"; finish; }
kb_hold srv 127.0.0.1 || { fail bpf-detach-all-setup "server did not start"; finish; }
unit=kbtest-$$-never.service
conf=$KB_TMP/keepalive.conf
printf 'cgroup "%s" {\n\tidle = 40\n}\ncgroup "%s" {\n\tidle = 50\n}\n' "${A#"$KB_MOUNT"/}" "$unit" >"$conf"
"$KASHIM_BPF" attach -c "$conf" --all >/dev/null 2>&1 || fail "attach --all" "exit $?"
"$KASHIM_BPF" attach -c "$KB_EMPTY_CONF" -i 60 "$B" >/dev/null || fail "attach by hand" "exit $?"
unit_dir=/sys/fs/bpf/kashim/unit/${unit//./_}
check "attach --all pinned programs for the unit" test -d "$unit_dir"

"$KASHIM_BPF" detach -c "$conf" --all >"$KB_TMP/out" 2>"$KB_TMP/err"
expect_eq "detach --all: exit 0, nothing on stderr" "0:" "$?:$(cat "$KB_TMP/err")"
check "it says it detached the section's cgroup" grep -qx "detached $A" "$KB_TMP/out"
check "and unpinned the unit's programs" grep -qx "unpinned the programs for $unit" "$KB_TMP/out"
check "which are gone" test ! -e "$unit_dir"
conn_in "$A" 2
expect_eq "the section's cgroup gets the kernel's defaults again" "ka=0 idle=$(cat /proc/sys/net/ipv4/tcp_keepalive_time)" "$got"
conn_in "$B" 2
expect_eq "control: an attachment no section names stays" "ka=1 idle=60" "$got"
"$KASHIM_BPF" detach -c "$conf" --all >"$KB_TMP/out2" 2>&1
expect_eq "a second detach --all: exit 0, nothing left" "0:no cgroup section of $conf has an attachment" \
	"$?:$(cat "$KB_TMP/out2")"
"$KASHIM_BPF" detach -c "$conf" "$B" >/dev/null 2>"$KB_TMP/usage"
expect_eq "-c with a CGROUP: usage error, exit 2" 2 "$?"
check "saying -c goes with --all" grep -q -- "-c goes with --all" "$KB_TMP/usage"
"$KASHIM_BPF" detach --all --stale >/dev/null 2>&1
expect_eq "--all with --stale: usage error, exit 2" 2 "$?"
finish
