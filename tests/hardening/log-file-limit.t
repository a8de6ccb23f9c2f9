#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# KASHIM_LOG=/file never kills its host: a program whose RLIMIT_FSIZE is
# below the log file's size used to die of SIGXFSZ at kashim's first
# warning (the kernel's answer to a write past the limit). Now the line is
# dropped and the program runs on. Controls: the same program without
# kashim under the same limit; with kashim and a file below the limit the
# warning is written (the limit is honoured, logging still works).
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

if ! hx_need "$HX/hx-probe"; then
	fail log-file-limit "helpers in $HX are not built"
	finish
fi
KERNEL_IDLE=$(cat /proc/sys/net/ipv4/tcp_keepalive_time)
LIMIT=4096
# One line: what the probe printed (keepalive and idle), then its status.
probe() {
	local out rc
	out=$(prlimit --fsize=$LIMIT "$@" 2>&1)
	rc=$?
	echo "$(sed -E 's/.*(keepalive=[0-9]+ idle=[0-9]+).*/\1/' <<<"$out") status $rc"
}
shim() { probe env LD_PRELOAD="$HX_PRELOAD" KASHIM_LOG="$1" KASHIM_IDLE=1x "$HX/hx-probe"; }

head -c $((LIMIT + 100)) /dev/zero >"$HX_TMP/full.log"
expect_eq "a log file beyond RLIMIT_FSIZE: the program runs on, configured" \
	"keepalive=1 idle=60 status 0" "$(shim "$HX_TMP/full.log")"
expect_eq "a log file beyond RLIMIT_FSIZE: nothing written to it" $((LIMIT + 100)) "$(stat -c %s "$HX_TMP/full.log")"
expect_eq "log file limit control: without kashim under the same limit" \
	"keepalive=0 idle=$KERNEL_IDLE status 0" "$(probe env -u LD_PRELOAD "$HX/hx-probe")"

head -c $((LIMIT - 1000)) /dev/zero >"$HX_TMP/room.log"
expect_eq "a log file below RLIMIT_FSIZE: the program runs, configured" \
	"keepalive=1 idle=60 status 0" "$(shim "$HX_TMP/room.log")"
check "a log file below RLIMIT_FSIZE: the warning is written" grep -qa 'KASHIM_IDLE="1x"' "$HX_TMP/room.log"
finish
