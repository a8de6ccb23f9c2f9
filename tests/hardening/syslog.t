#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# kashim's log never uses the program's syslog state and keeps no fd:
#  - a daemon that logs (KASHIM_DEBUG, to syslog), closes every fd, opens
#    its own file and makes new sockets keeps its file and its sockets
#    intact (glibc's syslog() would write to, close and replace the number
#    it kept), and the syslog receiver still gets kashim's lines, in the
#    format syslog daemons read (<priority>timestamp kashim[PID]: ...);
#  - a program that called openlog(LOG_PERROR) sees only its own line on
#    stderr when kashim warns about a bad variable.
# /dev/log: a private mount namespace with a tmpfs on /dev and a socat
# receiver. Controls: the same programs without kashim.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

if ! hx_need "$HX/hx-host"; then
	fail syslog "$HX/hx-host is not built"
	finish
fi

# ---- openlog(LOG_PERROR): no root needed.
out=$(LD_PRELOAD="$HX_PRELOAD" KASHIM_IDLE=abc "$HX/hx-host" perror 2>"$HX_TMP/perror.err")
expect_eq "openlog(LOG_PERROR): only the program's own line on its stderr, socket configured" \
	"keepalive 1 | hx-host: the program's own line" "$out | $(cat "$HX_TMP/perror.err")"
out=$(env -u LD_PRELOAD KASHIM_IDLE=abc "$HX/hx-host" perror 2>"$HX_TMP/perror.err")
expect_eq "openlog(LOG_PERROR) control: without kashim" \
	"keepalive 0 | hx-host: the program's own line" "$out | $(cat "$HX_TMP/perror.err")"

if ! need_root; then
	skip "syslog close-everything daemon" "needs root (a private mount namespace with its own /dev/log)"
	finish
fi
if ! command -v socat >/dev/null || ! unshare --mount --propagation private true 2>/dev/null; then
	fail "syslog close-everything daemon" "socat or unshare --mount is not usable here"
	finish
fi

# run_in_private_dev OUT-PREFIX COMMAND...: run COMMAND with a syslog
# receiver on a private /dev/log; its datagrams land in OUT-PREFIX.syslog.
run_in_private_dev() {
	local out=$1
	shift
	unshare --mount --propagation private bash -s -- "$out" "$@" <<'INNER'
out=$1; shift
keep=$(mktemp -d /tmp/kashim-dev.XXXXXX)
for n in null zero urandom; do touch "$keep/$n" && mount --bind /dev/$n "$keep/$n"; done
mount -t tmpfs -o mode=755 tmpfs /dev
for n in null zero urandom; do touch /dev/$n && mount --bind "$keep/$n" /dev/$n; done
socat -u UNIX-RECV:/dev/log,mode=666 OPEN:"$out.syslog",creat,append &
rx=$!
for _ in $(seq 100); do [ -S /dev/log ] && break; sleep 0.05; done
"$@" >"$out.stdout" 2>"$out.stderr"
echo $? >"$out.rc"
sleep 0.3
kill $rx
wait $rx 2>/dev/null
INNER
}

run_in_private_dev "$HX_TMP/shim" env LD_PRELOAD="$HX_PRELOAD" KASHIM_DEBUG=1 KASHIM_IDLE=31 \
	"$HX/hx-host" closeall "$HX_TMP/shim.data"
expect_eq "close-everything daemon under kashim: exit 0, its sockets work, keepalive on" \
	"0 exchange ok keepalive 1" "$(cat "$HX_TMP/shim.rc") $(cat "$HX_TMP/shim.stdout")"
expect_eq "close-everything daemon under kashim: its file holds exactly what it wrote" \
	"first second" "$(tr '\n' ' ' <"$HX_TMP/shim.data" | sed 's/ $//')"
expect_eq "close-everything daemon under kashim: nothing on its stderr" "" "$(cat "$HX_TMP/shim.stderr")"
# socat writes the datagrams one after the other, without newlines.
lines=$(grep -o 'kashim\[[0-9]*\]: hx-host: ' "$HX_TMP/shim.syslog" 2>/dev/null | wc -l)
check "close-everything daemon under kashim: the receiver got kashim's lines ($lines)" [ "${lines:-0}" -ge 3 ]
check "syslog message format: <15>Mmm dd hh:mm:ss kashim[PID]: program: message" \
	grep -Eq '<15>[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} kashim\[[0-9]+\]: hx-host: settings for' \
	"$HX_TMP/shim.syslog"

run_in_private_dev "$HX_TMP/ctl" env -u LD_PRELOAD "$HX/hx-host" closeall "$HX_TMP/ctl.data"
expect_eq "close-everything daemon control: without kashim" \
	"0 exchange ok keepalive 0 | first second" \
	"$(cat "$HX_TMP/ctl.rc") $(cat "$HX_TMP/ctl.stdout") | $(tr '\n' ' ' <"$HX_TMP/ctl.data" | sed 's/ $//')"
finish
