# SPDX-License-Identifier: MIT
# startup-race.t - sockets that threads make, set options on and connect
# while another thread is reading the settings (held there by a stand-in
# config plugin reading a FIFO): each is decided once the settings are
# known, with destination rules as without; where the program set
# SO_KEEPALIVE and TCP_KEEPIDLE itself, those stay its own and kashim
# gives the rest (interval 7). Control: the same program without the shim.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

if ! hx_need "$HX/hx-race" "$HX/slowconf/kashim/libkashim-conf.so"; then
	fail startup-race "helpers in $HX are not built"
	finish
fi
mkdir -p "$HX_TMP/slow/kashim"
cp "$HX_LIB" "$HX_TMP/slow/libkashim.so"
cp "$HX/slowconf/kashim/libkashim-conf.so" "$HX_TMP/slow/kashim/"
N=400
for mode in without-rules with-rules; do
	rm -f "$HX_TMP/fifo"
	mkfifo "$HX_TMP/fifo"
	rules=()
	[ $mode = with-rules ] && rules=(HX_RULES=1)
	out=$(env LD_PRELOAD="${KASHIM_PRELOAD_FIRST:-} $HX_TMP/slow/libkashim.so" KASHIM_CONFIG="$HX_TMP/fifo" \
		KASHIM_LOG=$HX_TMP/log "${rules[@]}" timeout 60 "$HX/hx-race" "$HX_TMP/fifo" $N 2>&1)
	expect_eq "$mode: every socket made and connected meanwhile is decided; the program's choice covers what it set" \
		"plain $((N / 2))/$((N / 2)) chosen $((N / 2))/$((N / 2))" "$out"
done
out=$(timeout 60 "$HX/hx-race" - $N 2>&1)
expect_eq "control: without the shim no socket has keepalive" "plain 0/$((N / 2)) chosen 0/$((N / 2))" "$out"
finish
