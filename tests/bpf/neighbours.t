#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# neighbours.t - kashim-bpf beside other vendors' BPF programs: a sock_ops
# program that writes skops->reply on every op (as the kernel's samples,
# Cilium and Calico do) does not undo a child's --off; a parent's program
# attached with BPF_F_ALLOW_OVERRIDE is never silently evicted (refused,
# naming it, unless --evict); an ancestor's exclusive program is named as
# the reason of a refusal, not "needs root". Each against its control.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

kb_init bpf-neighbours
kb_foreign FOREIGN || { fail bpf-neighbours-setup "cannot load kb-foreign.bpf.o with bpftool"; finish; }
kb_hold srv 127.0.0.1 || { fail bpf-neighbours-setup "server did not start"; finish; }
attach() { "$KASHIM_BPF" attach -c "$KB_EMPTY_CONF" "$@" >/dev/null || fail "attach $*" "exit $?"; }
battach() { "$KB_BPFTOOL" cgroup attach "$1" sock_ops pinned "$FOREIGN" ${2:+"$2"}; }
bdetach() { "$KB_BPFTOOL" cgroup detach "$1" sock_ops pinned "$FOREIGN"; }

# 1. The nesting mark: P -i 30 > M > C --off.
kb_mkcg P par && kb_mkcg M mid "$P" && kb_mkcg C off "$M" ||
	{ fail bpf-neighbours-setup "cannot create cgroups"; finish; }
attach -i 30 "$P"
attach --off "$C"
conn_in "$C" 2
expect_eq "control: no foreign program, the --off child stays off" "ka=0 idle=7200" "$got"
conn_in "$M" 2
expect_eq "control: the cgroup in between gets the parent's" "ka=1 idle=30" "$got"
battach "$M" multi || fail "bpftool attach the foreign program to the middle cgroup" "exit $?"
conn_in "$C" 2
expect_eq "a foreign program writing reply in the cgroup in between: the --off child stays off" \
	"ka=0 idle=7200" "$got"
conn_in "$M"
expect_eq "and the cgroup in between gets the parent's, the foreign program its own option" \
	"ka=1 idle=30 uto=4321" "$(cut -d' ' -f1,2,5 <<<"$got")"
bdetach "$M"
battach "$C" multi || fail "bpftool attach the foreign program to the child" "exit $?"
conn_in "$C"
expect_eq "a foreign program writing reply in the --off child itself: still off (the foreign option set)" \
	"ka=0 idle=7200 uto=4321" "$(cut -d' ' -f1,2,5 <<<"$got")"
bdetach "$C"

# 2. A parent's BPF_F_ALLOW_OVERRIDE program is not evicted silently.
kb_mkcg OP opar && kb_mkcg OC ochild "$OP" || { fail bpf-neighbours-setup "cannot create cgroups"; finish; }
battach "$OP" override || fail "bpftool attach the foreign program with override" "exit $?"
conn_in "$OC"
expect_eq "control: the parent's override program runs for the child" "ka=0 uto=4321" \
	"$(cut -d' ' -f1,5 <<<"$got")"
"$KASHIM_BPF" attach -c "$KB_EMPTY_CONF" -i 30 "$OC" >"$KB_TMP/evict.out" 2>"$KB_TMP/evict.err"
expect_eq "attach under a parent's override program: refused, exit 1" 1 "$?"
expect_eq "in one line naming the program, where it is attached, and --evict" 1/1 \
	"$(grep -c "kb_foreign.*$OP.*BPF_F_ALLOW_OVERRIDE.*--evict" "$KB_TMP/evict.err")/$(wc -l <"$KB_TMP/evict.err")"
conn_in "$OC"
expect_eq "after the refusal the parent's program still runs for the child, nothing of kashim" "ka=0 uto=4321" \
	"$(cut -d' ' -f1,5 <<<"$got")"
"$KASHIM_BPF" attach -c "$KB_EMPTY_CONF" -i 30 --evict "$OC" >"$KB_TMP/evict.out" 2>&1
expect_eq "attach --evict: exit 0" 0 "$?"
conn_in "$OC"
expect_eq "with --evict kashim's settings apply and the parent's program no longer runs there" \
	"ka=1 idle=30 uto=0" "$(cut -d' ' -f1,2,5 <<<"$got")"
"$KASHIM_BPF" detach "$OC" >/dev/null
bdetach "$OP"

# 3. An ancestor's exclusive program: the refusal says so.
kb_mkcg XP xpar && kb_mkcg XC xchild "$XP" || { fail bpf-neighbours-setup "cannot create cgroups"; finish; }
battach "$XP" || fail "bpftool attach the foreign program exclusively" "exit $?"
"$KASHIM_BPF" attach -c "$KB_EMPTY_CONF" -i 30 "$XC" >/dev/null 2>"$KB_TMP/excl.err"
expect_eq "attach below an exclusive program: exit 1" 1 "$?"
check "the refusal names the exclusive program and its cgroup" \
	grep -q "kb_foreign.*$XP.*exclusive" "$KB_TMP/excl.err"
check "and does not say root is needed" eval '! grep -q "root" "$KB_TMP/excl.err"'
bdetach "$XP"
"$KASHIM_BPF" attach -c "$KB_EMPTY_CONF" -i 30 "$XC" >/dev/null 2>"$KB_TMP/excl.err"
expect_eq "control: once it is detached, attach succeeds" 0 "$?"
finish
