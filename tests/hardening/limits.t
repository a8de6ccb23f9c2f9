#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What kashim cannot reach (README, "Guarantees and limits"), shown rather
# than claimed, each beside the case it does reach:
#  - a statically linked program: no dynamic loader, no preload;
#  - a program that clears its environment before exec: LD_PRELOAD is gone;
#  - a socket made with syscall(SYS_socket): socket() is bypassed, but
#    kashim still configures it at libc's connect() (adoption).
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

if ! hx_need "$HX/hx-probe" "$HX/hx-probe-static" "$HX/hx-raw"; then
	fail limits "helpers in $HX are not built"
	finish
fi
IDLE=39
shim() { LD_PRELOAD="$HX_PRELOAD" KASHIM_IDLE=$IDLE "$@"; }
ka() { sed -E 's/.*(keepalive=[0-9]+ idle=[0-9]+).*/\1/'; }
KERNEL_IDLE=$(cat /proc/sys/net/ipv4/tcp_keepalive_time)

expect_eq "limits: a dynamically linked program is reached" "keepalive=1 idle=$IDLE" "$(shim "$HX/hx-probe" | ka)"
if readelf -l "$HX/hx-probe-static" | grep -q INTERP; then
	fail "limits: the static probe is static" "it has a PT_INTERP header"
else
	expect_eq "limits: a statically linked program is not reached" "keepalive=0 idle=$KERNEL_IDLE" \
		"$(shim "$HX/hx-probe-static" | ka)"
fi
expect_eq "limits: a child started through env keeps the preload" "keepalive=1 idle=$IDLE" \
	"$(shim env "$HX/hx-probe" | ka)"
expect_eq "limits: a child started with a cleared environment (env -i) is not reached" \
	"keepalive=0 idle=$KERNEL_IDLE" "$(shim env -i "$HX/hx-probe" | ka)"
expect_eq "limits: syscall(SYS_socket) bypasses socket(); libc's connect() adopts the socket" \
	"made keepalive=0 idle=$KERNEL_IDLE,connected keepalive=1 idle=$IDLE" "$(shim "$HX/hx-raw" | paste -sd,)"
expect_eq "limits control: hx-raw without the shim" \
	"made keepalive=0 idle=$KERNEL_IDLE,connected keepalive=0 idle=$KERNEL_IDLE" \
	"$(env -u LD_PRELOAD "$HX/hx-raw" | paste -sd,)"
finish
