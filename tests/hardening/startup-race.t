# SPDX-License-Identifier: MIT
# startup-race.t - sockets that threads make, set options on and connect
# while another thread is reading the settings (held there: strace delays
# the reading's first system call, readlink of /proc/self/exe, by 2 s;
# KASHIM_CONFIG's compiled form was opened at load): each is decided once the
# settings are known, with destination rules as without; where the program
# set SO_KEEPALIVE and TCP_KEEPIDLE itself, those stay its own and kashim
# gives the rest (interval 7). Control: the same program without the shim.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

if ! hx_need "$HX/hx-race" "$KASHIM_ROOT/build/kashim-compile"; then
	fail startup-race "helpers in $HX or build/kashim-compile are not built"
	finish
fi
if ! command -v strace >/dev/null; then
	fail startup-race "strace is missing (scripts/install-deps test installs it)"
	finish
fi
N=400
printf 'idle = 44\ninterval = 7\n' >"$HX_TMP/without-rules.conf"
printf 'idle = 44\ninterval = 7\ndestination "*:1" { idle = 11 }\n' >"$HX_TMP/with-rules.conf"
for mode in without-rules with-rules; do
	"$KASHIM_ROOT/build/kashim-compile" "$HX_TMP/$mode.conf" >/dev/null
	out=$(LD_PRELOAD="$HX_PRELOAD" KASHIM_CONFIG="$HX_TMP/$mode.conf" KASHIM_LOG=$HX_TMP/log timeout 60 \
		strace -f -qq -o /dev/null -e trace=readlink \
		-e inject=readlink:delay_enter=2000000:when=1 "$HX/hx-race" 300 $N 2>&1)
	expect_eq "$mode: every socket made and connected meanwhile is decided; the program's choice covers what it set" \
		"plain $((N / 2))/$((N / 2)) chosen $((N / 2))/$((N / 2))" "$out"
done
out=$(timeout 60 "$HX/hx-race" 0 $N 2>&1)
expect_eq "control: without the shim no socket has keepalive" "plain 0/$((N / 2)) chosen 0/$((N / 2))" "$out"
finish
