#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Load: a server under the shim holds 10 000 concurrent
# connections from a load generator on loopback (hx-load, non-blocking, its
# rounds from 127.0.0.3 and 127.0.0.4), twice. The server checks every
# accepted fd with getsockopt and reports its own fd count and VmRSS after
# each round's connections closed: every accepted socket is configured, and
# neither fds nor memory grow (RSS between the rounds within 256 KiB, i.e.
# under 27 bytes per connection). Control: the same server without the shim
# holds them too, with no socket configured.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

N=10000 ROUNDS=2 IDLE=29 RSS_TOLERANCE_KB=256
t_require load "$HX/hx-load is not built" "$HX/hx-load"
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt $((N + 256)) ] && ! need_root; then
	skip load "RLIMIT_NOFILE hard limit $(ulimit -Hn) is below $((N + 256)) and only root may raise it"
	finish
fi

# run LABEL PRELOAD: server and generator; leaves the server's report in
# $HX_TMP/LABEL.out.
run() {
	local label=$1 pre=$2 srv port
	env ${pre:+LD_PRELOAD="$pre"} KASHIM_IDLE=$IDLE KASHIM_LOG=$HX_TMP/$label.log \
		timeout 60 "$HX/hx-load" server $N $ROUNDS $IDLE >"$HX_TMP/$label.out" 2>"$HX_TMP/$label.err" &
	srv=$!
	t_on_exit "kill $srv"
	if ! t_wait_for "$HX_TMP/$label.out" '^start ' 10; then
		fail "load $label" "the server did not start: $(cat "$HX_TMP/$label.err")"
		return 1
	fi
	port=$(awk '/^port /{print $2}' "$HX_TMP/$label.out")
	env -u LD_PRELOAD timeout 60 "$HX/hx-load" client $N $ROUNDS "$port" >"$HX_TMP/$label.client" 2>&1
	local crc=$? src
	wait $srv
	src=$?
	expect_eq "load $label: server and generator exit 0, server stderr empty" "0 0 ''" \
		"$src $crc '$(head -c 300 "$HX_TMP/$label.err" "$HX_TMP/$label.client" | grep -v '^round\|==>\|^$')'"
}

# field OUT ROUND NAME: a value from the server's "round R ..." line.
field() { awk -v r="$2" -v k="$3" '$1 == "round" && $2 == r { for (i = 3; i < NF; i++) if ($i == k) print $(i + 1) }' "$1"; }

run control "" &&
	for r in 1 2; do
		expect_eq "load control round $r: $N held at once, none configured without the shim" "$N 0" \
			"$(field "$HX_TMP/control.out" $r held) $(field "$HX_TMP/control.out" $r configured)"
	done

if run shim "$HX_PRELOAD"; then
	out=$HX_TMP/shim.out
	for r in 1 2; do
		expect_eq "load round $r: $N connections held at once, every accepted socket configured" "$N $N" \
			"$(field "$out" $r held) $(field "$out" $r configured)"
	done
	start_fds=$(awk '/^start /{print $3}' "$out")
	expect_eq "load: no fd growth (start, after round 1, after round 2)" "$start_fds $start_fds $start_fds" \
		"$start_fds $(field "$out" 1 fds) $(field "$out" 2 fds)"
	rss1=$(field "$out" 1 rss_kb) rss2=$(field "$out" 2 rss_kb)
	if [ -n "$rss1" ] && [ -n "$rss2" ] && [ $((rss2 - rss1)) -le $RSS_TOLERANCE_KB ]; then
		pass "load: no memory growth ($(awk '/^start /{print $5}' "$out") KiB at start, $rss1 after round 1, $rss2 after round 2)"
	else
		fail "load: no memory growth" "VmRSS $rss1 KiB after round 1, $rss2 KiB after round 2 (tolerance $RSS_TOLERANCE_KB)"
	fi
	expect_eq "load: nothing logged" "" "$(cat "$HX_TMP/shim.log" 2>/dev/null)"
fi
finish
