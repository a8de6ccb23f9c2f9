#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# units.t - the programs attach --all pins for a systemd unit (BPFProgram=)
# once systemd has attached them (here with bpftool, as systemd does:
# BPF_F_ALLOW_MULTI): reload and attach --all give them the file's new
# settings instead of a second copy that would run after them, ignored;
# ka-status --all names the unit's processes; a unit name found twice is an
# error, not "not started". Each against its control.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

kb_init bpf-units
unit=kbtest-$$-u.service
pins=/sys/fs/bpf/kashim/unit/${unit//./_}
conf=$KB_TMP/keepalive.conf
write_conf() { printf 'cgroup "%s" {\n\tidle = %s\n}\n' "$unit" "$1" >"$conf"; }
kb_hold srv 127.0.0.1 || { fail bpf-units-setup "server did not start"; finish; }
KB_FOREIGN_PINS+=("$pins" "/sys/fs/bpf/kashim/unit/kbtest-$$-amb_service")

write_conf 23
"$KASHIM_BPF" attach -c "$conf" --all >"$KB_TMP/all.out" 2>&1
check "attach --all, the unit not started: its programs are pinned" grep -q "pinned programs for $unit" "$KB_TMP/all.out"
kb_mkcg U "u.service" || { fail bpf-units-setup "cannot create the unit's cgroup"; finish; }
"$KB_BPFTOOL" cgroup attach "$U" sock_ops pinned "$pins/sock_ops" multi &&
	"$KB_BPFTOOL" cgroup attach "$U" setsockopt pinned "$pins/setsockopt" multi ||
	fail "attach the pinned programs like BPFProgram=" "exit $?"
conn_in "$U" 2
expect_eq "control: the unit's cgroup gets its section's idle" "ka=1 idle=23" "$got"

write_conf 24
"$KASHIM_BPF" reload "$unit" >"$KB_TMP/reload.out" 2>&1
expect_eq "reload: exit 0" 0 "$?"
check "reload says it reloaded the unit's programs" grep -q "^reloaded the programs pinned for $unit: keepalive idle 24" "$KB_TMP/reload.out"
conn_in "$U" 2
expect_eq "after reload the unit's connections get the new idle" "ka=1 idle=24" "$got"
"$KA_STATUS" --all >"$KB_TMP/status.txt" 2>/dev/null
check "ka-status --all names the unit's process" \
	grep -q "^$PID_n1 kb-client-stati: keepalive from the kernel backend (kashim-bpf on $U)$" "$KB_TMP/status.txt"
check "control: not the server outside it" eval '! grep -q "^$PID_srv .*kernel backend" "$KB_TMP/status.txt"'

write_conf 25
"$KASHIM_BPF" attach -c "$conf" --all >"$KB_TMP/all.out" 2>&1
expect_eq "attach --all with the unit running: exit 0" 0 "$?"
check "attach --all updates the unit's pinned programs" grep -q "^updated the programs pinned for $unit: keepalive idle 25" "$KB_TMP/all.out"
check "and attaches no second copy to its cgroup" [ ! -e "/sys/fs/bpf/kashim/$(stat -c %i "$U")" ]
conn_in "$U" 2
expect_eq "the unit's connections get the file's new idle" "ka=1 idle=25" "$got"

# Programs pinned for the unit by another build: its settings map has
# another size. reload refuses rather than write settings of the wrong
# layout into them.
rm -f "$pins/data" && "$KB_BPFTOOL" map create "$pins/data" type array key 4 value 8 entries 1 name kbtest_old ||
	fail bpf-units-setup "cannot pin a map of another size"
"$KASHIM_BPF" reload "$unit" >"$KB_TMP/reload.out" 2>&1
expect_eq "reload of another build's unit programs: refused, exit 1" 1 "$?"
check "saying they are from another build and what to do" \
	grep -q "programs pinned for $unit in $pins are from another build of kashim-bpf.*refused (kashim-bpf detach $unit, attach --all, then restart the unit)" "$KB_TMP/reload.out"

# A unit name found in two places.
kb_mkcg A1 a1 && kb_mkcg A2 a2 && kb_mkcg X1 "amb.service" "$A1" && kb_mkcg X2 "amb.service" "$A2" ||
	{ fail bpf-units-setup "cannot create cgroups"; finish; }
printf 'cgroup "kbtest-%s-amb.service" {\n\tidle = 9\n}\n' $$ >"$KB_TMP/amb.conf"
"$KASHIM_BPF" attach -c "$KB_TMP/amb.conf" --all >"$KB_TMP/amb.out" 2>&1
expect_eq "attach --all with an ambiguous unit name: exit 2" 2 "$?"
check "and says it is ambiguous" grep -q "ambiguous" "$KB_TMP/amb.out"
check "no programs pinned for it" [ ! -e "/sys/fs/bpf/kashim/unit/kbtest-$$-amb_service" ]
finish
