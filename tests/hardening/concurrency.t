#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Concurrency: 32 threads wait at a barrier, then each
# makes 200 TCP sockets at once: the process's very first sockets, so all
# of them race into kashim's one-time initialisation. No thread waits for the
# one reading the settings: sockets made meanwhile are configured by it when
# it is done (or, beyond the few hundred it notes, at connect()). 50 runs; in
# each, every socket must be configured once all are made and connected
# (getsockopt in the program), the settings
# must have been resolved exactly once (one "settings for" line with
# KASHIM_DEBUG=1), and the program must exit normally. Control: the same
# program without the shim has no socket configured.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

THREADS=32 SOCKETS=200 RUNS=50 IDLE=41
t_require concurrency "$HX/hx-threads is not built" "$HX/hx-threads"

out=$(env -u LD_PRELOAD "$HX/hx-threads" $THREADS $SOCKETS $IDLE)
expect_eq "concurrency control: no socket configured without the shim" \
	"sockets $((THREADS * SOCKETS)) configured 0" "$out"

bad=()
for ((run = 1; run <= RUNS; run++)); do
	log=$HX_TMP/run$run.log
	out=$(LD_PRELOAD="$HX_PRELOAD" KASHIM_IDLE=$IDLE KASHIM_DEBUG=1 KASHIM_LOG=$log \
		"$HX/hx-threads" $THREADS $SOCKETS $IDLE 2>"$HX_TMP/err")
	rc=$?
	inits=$(grep -c 'settings for' "$log")
	sockets_logged=$(grep -Ec ' \((socket[^)]*|made while the settings were read|connect, inherited)\): keepalive' "$log")
	if [ $rc != 0 ] || [ "$out" != "sockets $((THREADS * SOCKETS)) configured $((THREADS * SOCKETS))" ] ||
		[ "$inits" != 1 ] || [ "$sockets_logged" != $((THREADS * SOCKETS)) ] || [ -s "$HX_TMP/err" ]; then
		bad+=("run $run: status $rc, '$out', $inits initialisations, $sockets_logged sockets logged, stderr '$(head -c 100 "$HX_TMP/err")'")
	fi
	rm -f "$log"
done
if [ ${#bad[@]} = 0 ]; then
	pass "concurrency: $RUNS runs of $THREADS threads x $SOCKETS first sockets, all configured, one initialisation each"
else
	fail "concurrency" "${#bad[@]} of $RUNS runs went wrong: ${bad[*]:0:3}"
fi
finish
