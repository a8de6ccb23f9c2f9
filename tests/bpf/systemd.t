#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# systemd.t - kashim-bpf.service and the drop-in of --systemd-dropin pass
# `systemd-analyze verify` silently (it exits 0 on most mistakes, so stderr
# is what counts; a control shows it does complain); and the programs that
# attach --all pins for a unit's section work when attached the way
# systemd's BPFProgram= attaches them (BPF_F_ALLOW_MULTI, here with bpftool:
# systemd is not PID 1 on the test machines), against a control.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

kb_init bpf-systemd
unit=kbtest-$$-unit.service
units=$KB_TMP/units
mkdir -p "$units/$unit.d"

"$KASHIM_BPF" --systemd-dropin "$unit" >"$KB_TMP/dropin" 2>"$KB_TMP/dropin.err"
expect_eq "--systemd-dropin: exit 0, nothing on stderr" "0:" "$?:$(cat "$KB_TMP/dropin.err")"
check "the drop-in attaches the pinned sock_ops program" \
	grep -qx "BPFProgram=sock_ops:/sys/fs/bpf/kashim/unit/${unit//./_}/sock_ops" "$KB_TMP/dropin"
check "and the pinned setsockopt program" \
	grep -qx "BPFProgram=setsockopt:/sys/fs/bpf/kashim/unit/${unit//./_}/setsockopt" "$KB_TMP/dropin"
"$KASHIM_BPF" --systemd-dropin "a b" >/dev/null 2>"$KB_TMP/bad.err"
expect_eq "--systemd-dropin with a bad unit name: exit 2" 2 "$?"

if command -v systemd-analyze >/dev/null; then
	sed "s|/usr/local/sbin/kashim-bpf|$KASHIM_BPF|" "$KASHIM_ROOT/scripts/systemd/kashim-bpf.service" \
		>"$units/kashim-bpf.service"
	printf '[Unit]\nDescription=kashim-bpf drop-in test\n[Service]\nExecStart=/bin/sleep infinity\n' \
		>"$units/$unit"
	cp "$KB_TMP/dropin" "$units/$unit.d/kashim-bpf.conf"
	# --man=no: Documentation=man:kashim-bpf(8) is not installed where the tests run.
	verify() { systemd-analyze verify --man=no "$@" >/dev/null 2>"$KB_TMP/verr"; }
	verify "$units/kashim-bpf.service"
	check "kashim-bpf.service: systemd-analyze verify is silent" [ ! -s "$KB_TMP/verr" ]
	[ -s "$KB_TMP/verr" ] && sed 's/^/#  verify: /' "$KB_TMP/verr"
	verify "$units/$unit"
	check "a unit with the drop-in: systemd-analyze verify is silent" [ ! -s "$KB_TMP/verr" ]
	[ -s "$KB_TMP/verr" ] && sed 's/^/#  verify: /' "$KB_TMP/verr"
	sed 's/BPFProgram=sock_ops:/BPFProgram=sockops:/' "$KB_TMP/dropin" >"$units/$unit.d/kashim-bpf.conf"
	verify "$units/$unit"
	check "control: verify does complain of a wrong BPFProgram= type" grep -q "sockops" "$KB_TMP/verr"
else
	skip "systemd-analyze verify" "systemd-analyze is not installed (scripts/install-deps test)"
fi

# attach --all pins the programs of a section naming a unit that has no
# cgroup yet; attached as systemd would, they configure its connections.
kb_mkcg CG unitcg || { fail bpf-systemd-setup "cannot create a cgroup"; finish; }
printf 'cgroup "%s" {\n\tidle = 23\n\tcount = 2\n}\n' "$unit" >"$KB_TMP/keepalive.conf"
"$KASHIM_BPF" attach -c "$KB_TMP/keepalive.conf" --all >"$KB_TMP/all.out" 2>&1
expect_eq "attach --all with a unit not started: exit 0" 0 "$?"
check "attach --all says it pinned the unit's programs" grep -q "pinned programs for $unit" "$KB_TMP/all.out"
pins=/sys/fs/bpf/kashim/unit/${unit//./_}
kb_hold srv 127.0.0.1 || { fail bpf-systemd-setup "server did not start"; finish; }
conn_in "$CG"
expect_eq "control: before systemd attaches them, keepalive off" "ka=0" "${got%% *}"
if command -v bpftool >/dev/null || [ -x /usr/sbin/bpftool ]; then
	bpftool=$(command -v bpftool || echo /usr/sbin/bpftool)
	"$bpftool" cgroup attach "$CG" sock_ops pinned "$pins/sock_ops" multi &&
		"$bpftool" cgroup attach "$CG" setsockopt pinned "$pins/setsockopt" multi
	expect_eq "attached like BPFProgram= (bpftool, multi)" 0 "$?"
	conn_in "$CG"
	expect_eq "the unit's cgroup gets its section's settings" "ka=1 idle=23 intvl=10 cnt=2 uto=0" "$got"
	"$bpftool" cgroup detach "$CG" sock_ops pinned "$pins/sock_ops" 2>/dev/null
	"$bpftool" cgroup detach "$CG" setsockopt pinned "$pins/setsockopt" 2>/dev/null
else
	fail "attach like BPFProgram=" "bpftool is not installed"
fi
"$KASHIM_BPF" detach "$unit" >"$KB_TMP/detach.out"
expect_eq "detach UNIT unpins the unit's programs" "0:unpinned the programs for $unit" "$?:$(cat "$KB_TMP/detach.out")"
check "the pins are gone" [ ! -e "$pins" ]
finish
