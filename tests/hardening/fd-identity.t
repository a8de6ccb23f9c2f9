#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What kashim knows about an fd follows the fd table:
#  - a copy made with dup, dup2, dup3, fcntl(F_DUPFD), fcntl(F_DUPFD_CLOEXEC)
#    of a socket on which the program turned keepalive off stays off at
#    connect() (the program's choice), and a copy of a socket the program
#    left alone keeps kashim's values;
#  - an fd number closed with close, close_range or closefrom and then
#    reused by a socket kashim never saw (raw syscall) is adopted at
#    connect(), not skipped;
#  - setsockopt(SO_KEEPALIVE) on an AF_UNIX socket never starts reading the
#    settings (no config file read, no libconfuse loaded).
# Each with a control: the same program without kashim.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

if ! hx_need "$HX/hx-host"; then
	fail fd-identity "$HX/hx-host is not built"
	finish
fi
IDLE=33
KERNEL_IDLE=$(cat /proc/sys/net/ipv4/tcp_keepalive_time)
shim() { LD_PRELOAD="$HX_PRELOAD" KASHIM_IDLE=$IDLE KASHIM_LOG=$HX_TMP/log "$@"; }
noshim() { env -u LD_PRELOAD "$@"; }

for how in dup dup2 dup3 dupfd dupfd-cloexec; do
	expect_eq "copy ($how) of a socket the program set keepalive off on: still off at connect" \
		"keepalive 0 idle $IDLE" "$(shim "$HX/hx-host" dup $how)"
	expect_eq "copy ($how) of a socket the program left alone: kashim's values" \
		"keepalive 1 idle $IDLE" "$(shim "$HX/hx-host" dup-plain $how)"
	expect_eq "copy ($how) control: without kashim" "keepalive 0 idle $KERNEL_IDLE" \
		"$(noshim "$HX/hx-host" dup $how)"
done

for how in close close_range closefrom; do
	expect_eq "number reused after $how by a socket kashim never saw: adopted at connect" \
		"same-fd 1 keepalive 1 idle $IDLE" "$(shim "$HX/hx-host" reuse $how)"
	expect_eq "number reused after $how control: without kashim" \
		"same-fd 1 keepalive 0 idle $KERNEL_IDLE" "$(noshim "$HX/hx-host" reuse $how)"
done

printf 'idle = 44\n' >"$HX_TMP/k.conf"
rm -f "$HX_TMP/unix.log"
out=$(LD_PRELOAD="$HX_PRELOAD" KASHIM_CONFIG=$HX_TMP/k.conf KASHIM_DEBUG=1 KASHIM_LOG=$HX_TMP/unix.log \
	"$HX/hx-host" unix-setsockopt)
expect_eq "setsockopt(SO_KEEPALIVE) on an AF_UNIX socket: the call works, settings never read" \
	"setsockopt 0, 0 readings" "$out, $(grep -c 'settings for' "$HX_TMP/unix.log" 2>/dev/null || echo 0) readings"
rm -f "$HX_TMP/tcp.log"
LD_PRELOAD="$HX_PRELOAD" KASHIM_CONFIG=$HX_TMP/k.conf KASHIM_DEBUG=1 KASHIM_LOG=$HX_TMP/tcp.log \
	"$HX/hx-host" dup dup >/dev/null
expect_eq "setsockopt control: a TCP socket does read the settings (once)" 1 \
	"$(grep -c 'settings for' "$HX_TMP/tcp.log" 2>/dev/null)"
expect_eq "setsockopt on AF_UNIX control: without kashim" "setsockopt 0" "$(noshim "$HX/hx-host" unix-setsockopt)"
finish
