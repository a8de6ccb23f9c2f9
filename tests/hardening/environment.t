#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The KASHIM_* and libkeepalive variables a process started with apply,
# whatever it does to its environment before its first TCP socket: Python's
# os.environ.clear() (unsetenv of every variable), C's clearenv(), and a
# program that changes a value, or writes over the strings themselves (a
# process title). A variable the program sets itself, that it did not start
# with, is ignored: kashim reads the environment once, at load. Control:
# without kashim.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

KERNEL_IDLE=$(cat /proc/sys/net/ipv4/tcp_keepalive_time)
printf 'interval = 8\n' >"$HX_TMP/k.conf"
probe='import os, socket, sys
exec(sys.argv[1])
s = socket.socket()
print(s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE), s.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
      s.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL), s.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT))'
shim() { LD_PRELOAD="$HX_PRELOAD" KASHIM_LOG=$HX_TMP/log "$@"; }

expect_eq "os.environ.clear() before the first socket: KASHIM_IDLE, KEEPCNT and KASHIM_CONFIG still apply" \
	"1 33 8 4" "$(shim env KASHIM_IDLE=33 KEEPCNT=4 KASHIM_CONFIG=$HX_TMP/k.conf "$PYTHON" -c "$probe" 'os.environ.clear()')"
expect_eq "clearenv() (ctypes) before the first socket: KASHIM_IDLE still applies" \
	"1 34 10 5" "$(shim env KASHIM_IDLE=34 "$PYTHON" -c "$probe" 'import ctypes; ctypes.CDLL(None).clearenv()')"
expect_eq "a value the program changes: the one it started with applies" \
	"1 35 10 5" "$(shim env KASHIM_IDLE=35 "$PYTHON" -c "$probe" 'os.environ["KASHIM_IDLE"] = "99"')"
expect_eq "a variable the program sets itself, not there at start: ignored (read at load only)" \
	"1 60 10 5" "$(shim env -u KASHIM_IDLE "$PYTHON" -c "$probe" 'os.environ["KASHIM_IDLE"] = "36"')"
# nginx and PostgreSQL write their process title over the environment's
# strings in place: KASHIM_IDLE=17 read there later said 60.
title='import ctypes
env = ctypes.POINTER(ctypes.c_void_p).in_dll(ctypes.CDLL(None), "environ")
i = 0
while env[i]:
    if ctypes.string_at(env[i]).startswith(b"KASHIM_IDLE="):
        ctypes.memmove(env[i], b"KASHIM_IDLE=60\0", 15)
    i += 1'
expect_eq "the environment's strings overwritten in place (a process title): the value started with applies" \
	"1 17 10 5" "$(shim env KASHIM_IDLE=17 "$PYTHON" -c "$probe" "$title")"
expect_eq "environment control: without kashim" "0 $KERNEL_IDLE $(cat /proc/sys/net/ipv4/tcp_keepalive_intvl) $(cat /proc/sys/net/ipv4/tcp_keepalive_probes)" \
	"$(env -u LD_PRELOAD KASHIM_IDLE=33 "$PYTHON" -c "$probe" 'os.environ.clear()')"
finish
