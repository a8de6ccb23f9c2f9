#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# sections.t - two cgroup sections that name the same cgroup (by its path
# below the mount and by its absolute path): the first applies, the same
# way in explain, attach CGROUP and attach --all (as the shim's first
# matching section does); attach --all says it skipped the second.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

kb_init bpf-sections
kb_mkcg A twice && kb_mkcg B other || { fail bpf-sections-setup "cannot create cgroups"; finish; }
kb_hold srv 127.0.0.1 || { fail bpf-sections-setup "server did not start"; finish; }
conf=$KB_TMP/keepalive.conf
printf 'cgroup "%s" {\n\tidle = 40\n}\ncgroup "%s" {\n\tidle = 50\n}\ncgroup "%s" {\n\tidle = 60\n}\n' \
	"${A#"$KB_MOUNT"/}" "$A" "$B" >"$conf"

expect_eq "explain: the first section applies" 40 \
	"$("$KASHIM_BPF" explain -c "$conf" "$A" | awk '$1 == "idle" { print $2 }')"
"$KASHIM_BPF" attach -c "$conf" "$A" >/dev/null || fail "attach" "exit $?"
conn_in "$A" 2
expect_eq "attach CGROUP: the first section applies" "ka=1 idle=40" "$got"
"$KASHIM_BPF" detach "$A" >/dev/null
"$KASHIM_BPF" attach -c "$conf" --all >"$KB_TMP/all.out" 2>"$KB_TMP/all.err"
expect_eq "attach --all: exit 0" 0 "$?"
conn_in "$A" 2
expect_eq "attach --all: the first section applies too" "ka=1 idle=40" "$got"
check "attach --all says the second section was skipped, naming both" \
	grep -q "cgroup section \"$A\" names the same cgroup as section \"${A#"$KB_MOUNT"/}\" before it, which applies; skipped" \
	"$KB_TMP/all.err"
conn_in "$B" 2
expect_eq "control: another cgroup's own section applies" "ka=1 idle=60" "$got"
finish
