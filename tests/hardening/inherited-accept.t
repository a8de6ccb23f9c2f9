#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A listener inherited with 40 connections already queued (as from systemd's
# LISTEN_FDS), accepted by 4 threads at once, 50 times: every accepted
# connection is configured (read once all threads are done: one accepted
# while another thread still reads the settings is configured by that thread
# when it finishes). Half the runs read a config file, which widens that
# window. The second 50 runs log every decision (KASHIM_DEBUG), which keeps
# the reader draining the pending list while the other threads still add to
# it: a slot emptied and taken again at once must not lose its socket.
# Control: the same program without kashim configures none.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

t_require inherited-accept "$HX/hx-host is not built" "$HX/hx-host"
IDLE=39 RUNS=100
printf 'interval = 9\n' >"$HX_TMP/k.conf"
out=$(env -u LD_PRELOAD HX_IDLE=$IDLE "$HX/hx-host" accept-inherited 40 4)
expect_eq "inherited listener control: without kashim no accepted connection is configured" \
	"accepted 40 configured 0" "$out"

bad=()
for ((run = 1; run <= RUNS; run++)); do
	if ((run % 2)); then conf=$HX_TMP/k.conf; else conf=/nonexistent-$$; fi
	if ((run > RUNS / 2)); then debug=on; else debug=off; fi
	out=$(HX_PRELOAD="$HX_PRELOAD" HX_IDLE=$IDLE KASHIM_IDLE=$IDLE KASHIM_CONFIG=$conf \
		KASHIM_DEBUG=$debug KASHIM_LOG=$HX_TMP/log timeout 30 "$HX/hx-host" accept-inherited 40 4)
	[ "$out" = "accepted 40 configured 40" ] || bad+=("run $run: '$out'")
done
if [ ${#bad[@]} = 0 ]; then
	pass "inherited listener, 4 threads accepting 40 queued connections: 40 of 40 configured in all $RUNS runs"
else
	fail "inherited listener" "${#bad[@]} of $RUNS runs: ${bad[*]:0:4}"
fi
finish
