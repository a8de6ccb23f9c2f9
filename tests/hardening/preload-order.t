#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# kashim passes each call on to the next definition in the preload order,
# as dlsym(RTLD_NEXT) would (it finds libc's functions itself, at load):
# a library preloaded after kashim that interposes socket() too
# (libhx-next.so, which counts the calls it sees) still sees the program's
# socket, and the socket is configured, in either order. Control: the
# counting library alone sees it, nothing configured.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

t_require preload-order "helpers in $HX are not built" "$HX/hx-probe" "$HX/libhx-next.so"
KERNEL_IDLE=$(cat /proc/sys/net/ipv4/tcp_keepalive_time)
NEXT=$HX/libhx-next.so
probe() { LD_PRELOAD="$1" KASHIM_IDLE=42 "$HX/hx-probe" 2>&1 | sed -E 's/secure=[0-9]+ (keepalive=[0-9]+ idle=[0-9]+).*/\1/' | tr '\n' ' '; }

expect_eq "a socket() interposer preloaded after kashim sees the program's socket, configured" \
	"next-socket 1 keepalive=1 idle=42 " "$(probe "$HX_PRELOAD $NEXT")"
expect_eq "preloaded before kashim: the same" "next-socket 1 keepalive=1 idle=42 " "$(probe "$NEXT $HX_PRELOAD")"
expect_eq "preload order control: the interposer alone" "next-socket 1 keepalive=0 idle=$KERNEL_IDLE " "$(probe "$NEXT")"
finish
