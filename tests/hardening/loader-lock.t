#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# No thread ever waits for another inside kashim. Thread B dlopen()s a
# library whose constructor (run under ld.so's loader lock) makes a TCP
# socket; meanwhile thread A makes the process's first TCP socket, whose
# settings are read with dlsym/dladdr/dlopen (which need that lock). A
# shim that made B wait for A's reading deadlocked here every run. Both
# sockets must end up configured. Also: a signal handler that makes and
# closes sockets and dup()s fds every 100 us, interrupting kashim anywhere
# (its first reading included) while the program connects and accepts 2000
# times, never deadlocks and every connection is configured (a guard: no
# lock is left for it to find). Controls: the same programs without kashim.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

t_require loader-lock "helpers in $HX are not built" "$HX/hx-host" "$HX/libhx-slowctor.so"
printf 'idle = 47\n' >"$HX_TMP/k.conf"
KERNEL_IDLE=$(cat /proc/sys/net/ipv4/tcp_keepalive_time)

out=$(env -u LD_PRELOAD timeout 20 "$HX/hx-host" dlopen-race "$HX/libhx-slowctor.so")
expect_eq "loader lock control: without kashim both threads finish, nothing configured" \
	"0 a $KERNEL_IDLE b $KERNEL_IDLE" "$? $out"

bad=()
for run in 1 2 3 4 5; do
	out=$(LD_PRELOAD="$HX_PRELOAD" KASHIM_CONFIG=$HX_TMP/k.conf KASHIM_LOG=$HX_TMP/log \
		timeout 20 "$HX/hx-host" dlopen-race "$HX/libhx-slowctor.so")
	rc=$?
	[ "$rc $out" = "0 a 47 b 47" ] || bad+=("run $run: status $rc (124: hung), '$out'")
done
if [ ${#bad[@]} = 0 ]; then
	pass "loader lock: a socket made inside a dlopen()ed constructor while another thread reads the settings: no hang, both configured (5 runs)"
else
	fail "loader lock" "${bad[*]}"
fi

out=$(LD_PRELOAD="$HX_PRELOAD" KASHIM_IDLE=46 KASHIM_CONFIG=$HX_TMP/k.conf KASHIM_LOG=$HX_TMP/log \
	timeout 60 "$HX/hx-host" signals 2000 46)
expect_eq "signal handlers making sockets while kashim works: no hang, every connection configured" \
	"0 connections 2000 configured 2000 handler-sockets some" "$? $out"
out=$(env -u LD_PRELOAD timeout 60 "$HX/hx-host" signals 2000 46)
expect_eq "signal handlers control: without kashim nothing is configured" \
	"0 connections 2000 configured 0 handler-sockets some" "$? $out"
finish
