#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# config.t - kashim-bpf reads keepalive.conf as the shim does, plus
# `cgroup "..."` sections: defaults < top level < the cgroup's section <
# options, shown by explain with where each value comes from; reload takes
# new values from the file and keeps the options; attach --all applies every
# section; the shim accepts a file with cgroup sections and ignores them.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

kb_init bpf-config
kb_mkcg A conf-a && kb_mkcg B conf-b || { fail bpf-config-setup "cannot create cgroups"; finish; }
kb_hold srv 127.0.0.1 || { fail bpf-config-setup "server did not start"; finish; }
conf=$KB_TMP/keepalive.conf
write_conf() {
	cat >"$conf" <<EOC
idle = 30
interval = 7
program "python3*" {
	idle = 99
}
# by a path relative to the cgroup2 mount
cgroup "${A#"$KB_MOUNT"/}" {
	idle = $1
	count = 6
}
# by its absolute path
cgroup "$B" {
	keepalive = false
}
cgroup "kbtest-$$-gone" {
	idle = 5
}
EOC
}
write_conf 40

out=$("$KASHIM_BPF" explain -c "$conf" -u 5000 "$A")
expect_eq "explain: exit 0" 0 "$?"
field() { awk -v f="$1" '$1 == f { $1 = ""; sub(/^ +/, ""); print }' <<<"$out" | tr -s ' '; }
expect_eq "explain: keepalive from the default" "on default" "$(field keepalive)"
expect_eq "explain: idle from the cgroup section" "40 cgroup section \"${A#"$KB_MOUNT"/}\" in $conf" "$(field idle)"
expect_eq "explain: interval from the top level" "7 file $conf" "$(field interval)"
expect_eq "explain: count from the cgroup section" "6 cgroup section \"${A#"$KB_MOUNT"/}\" in $conf" "$(field count)"
expect_eq "explain: user_timeout from the option" "5000 option -u/--user-timeout" "$(field user_timeout)"
expect_eq "explain: not attached yet" "no" "$(field attached)"
out=$("$KASHIM_BPF" explain -c "$conf" -i 12 "$A")
expect_eq "explain: an option beats the section" "12 option -i/--idle" "$(field idle)"
out=$("$KASHIM_BPF" explain -c "$conf" -i 17 -n 4 -k 3 -u auto "$A")
expect_eq "explain: user_timeout auto is (idle + interval x count) x 1000" \
	"29000 option -u/--user-timeout (auto)" "$(field user_timeout)"
# A systemd unit name is looked for below the cgroup2 mount.
kb_mkcg U "u.service" "$B" || fail bpf-config-setup "cannot create a cgroup"
out=$("$KASHIM_BPF" explain "kbtest-$$-u.service")
expect_eq "a unit name resolves to its cgroup below the mount" "$U" "$(field cgroup | cut -d' ' -f1)"

"$KASHIM_BPF" attach -c "$conf" -u 5000 "$A" >/dev/null
expect_eq "attach with the section: exit 0" 0 "$?"
conn_in "$A"
expect_eq "a connection in the cgroup gets section, top level and option" "ka=1 idle=40 intvl=7 cnt=6 uto=5000" "$got"
first=$PID_n0

# reload: the file's new values, the option kept; old connections keep theirs.
write_conf 45
"$KASHIM_BPF" reload "$A" >"$KB_TMP/reload.out"
expect_eq "reload: exit 0" 0 "$?"
check "reload says what it applied" grep -q "reloaded $A: keepalive idle 45 s, interval 7 s, count 6, user_timeout 5000 ms" "$KB_TMP/reload.out"
conn_in "$A"
expect_eq "after reload, a new connection has the new idle and still the option" "ka=1 idle=45 intvl=7 cnt=6 uto=5000" "$got"
expect_eq "the connection made before reload keeps what it got" "ka=1 idle=40 intvl=7 cnt=6 uto=5000" \
	"$(kb_sockopts "$first" "$PORT_srv")"
"$KASHIM_BPF" detach "$A" >/dev/null

# attach --all: A by its relative path, B (keepalive = false) by its
# absolute path; the section of a cgroup that does not exist is skipped.
"$KASHIM_BPF" attach -c "$conf" --all >"$KB_TMP/all.out" 2>"$KB_TMP/all.err"
expect_eq "attach --all: exit 0" 0 "$?"
check "attach --all: the section of a missing cgroup is reported" \
	grep -q "$conf: cgroup section \"kbtest-$$-gone\": .*; skipped" "$KB_TMP/all.err"
check "attach --all attached A" grep -q "^attached $A: keepalive idle 45 s, interval 7 s, count 6" "$KB_TMP/all.out"
check "attach --all attached B, exempt" grep -q "^attached $B: exempt" "$KB_TMP/all.out"
conn_in "$A"
expect_eq "after --all, A's connections get its section" "ka=1 idle=45 intvl=7 cnt=6 uto=0" "$got"
conn_in "$B"
expect_eq "after --all, B's are left alone" "ka=0" "${got%% *}"

# A bad value in a cgroup section: refused with file and line, by both.
printf 'cgroup "x" {\n\tidle = 0\n}\n' >"$KB_TMP/bad.conf"
"$KASHIM_BPF" attach -c "$KB_TMP/bad.conf" "$A" >/dev/null 2>"$KB_TMP/bad.err"
expect_eq "a bad cgroup section: exit 2" 2 "$?"
check "a bad cgroup section: file:line named" grep -q "$KB_TMP/bad.conf:2: idle = 0 is out of range 1..32767" "$KB_TMP/bad.err"

# The shim reads the same file: it accepts the cgroup sections and applies
# its program section, not theirs. Control: the bad file is refused whole.
sockopts='import socket; s = socket.socket(); print(s.getsockopt(6, socket.TCP_KEEPIDLE))'
expect_eq "the shim accepts a file with cgroup sections (program section applies)" 99 \
	"$(env LD_PRELOAD="$KASHIM_LIB" KASHIM_CONFIG="$conf" KASHIM_LOG=stderr "$PYTHON" -c "$sockopts" 2>/dev/null)"
expect_eq "control: the shim refuses the file with the bad cgroup section (defaults apply)" 60 \
	"$(env LD_PRELOAD="$KASHIM_LIB" KASHIM_CONFIG="$KB_TMP/bad.conf" KASHIM_LOG=stderr "$PYTHON" -c "$sockopts" 2>/dev/null)"
# ka-run --check --cgroup: the same explanation, with ka-run's options.
"$KA_RUN" -c "$conf" -i 44 --check --cgroup "$A" >"$KB_TMP/karun.out" 2>&1
expect_eq "ka-run --check --cgroup: exit 0" 0 "$?"
"$KASHIM_BPF" explain -c "$conf" -i 44 "$A" >"$KB_TMP/explain.out" 2>&1
check "ka-run --check --cgroup says what kashim-bpf explain says" cmp -s "$KB_TMP/karun.out" "$KB_TMP/explain.out"
check "ka-run --check --cgroup: idle 44 from the option, count 6 from the section" \
	bash -c "grep -Eq '^idle +44 +option' '$KB_TMP/karun.out' && grep -Eq '^count +6 +cgroup section' '$KB_TMP/karun.out'"
"$KA_RUN" --cgroup "$A" true >/dev/null 2>"$KB_TMP/karun.err"
expect_eq "ka-run --cgroup without --check: exit 2, one line" "2 1" "$? $(wc -l <"$KB_TMP/karun.err")"
finish
