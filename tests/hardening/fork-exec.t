#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fork and exec, each with a control without the shim:
#  - a parent forks children that make sockets, before and after its own
#    first socket;
#  - a shell execs programs, and runs them as children: LD_PRELOAD carries;
#  - vfork()+execv() and posix_spawn();
#  - fork() while another thread is inside kashim's initialisation (held in
#    a stand-in config plugin): the child starts it anew;
#  - another preloaded library whose constructor calls socket() before any
#    of kashim's code ran, in both LD_PRELOAD orders.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

if ! hx_need "$HX/hx-fork" "$HX/hx-probe" "$HX/libhx-ctor.so"; then
	fail fork-exec "helpers in $HX are not built"
	finish
fi
IDLE=37
CONFIGURED="secure=0 keepalive=1 idle=$IDLE interval=10 count=5 user_timeout=0"
UNTOUCHED="secure=0 keepalive=0 idle=7200 interval=75 count=9 user_timeout=0"
# The control values assume the kernel's defaults on this machine.
KERNEL_IDLE=$(cat /proc/sys/net/ipv4/tcp_keepalive_time)
KERNEL_INTVL=$(cat /proc/sys/net/ipv4/tcp_keepalive_intvl)
KERNEL_CNT=$(cat /proc/sys/net/ipv4/tcp_keepalive_probes)
UNTOUCHED="secure=0 keepalive=0 idle=$KERNEL_IDLE interval=$KERNEL_INTVL count=$KERNEL_CNT user_timeout=0"

shim() { LD_PRELOAD="$HX_PRELOAD" KASHIM_IDLE=$IDLE KASHIM_LOG=$HX_TMP/log "$@"; }
noshim() { env -u LD_PRELOAD KASHIM_IDLE=$IDLE "$@"; }

# ---- fork: children before and after the parent's own initialisation.
out=$(shim "$HX/hx-fork" children 8 $IDLE)
expect_eq "fork: children of a shimmed parent are configured" \
	"children failed before init 0, parent configured 1, failed after init 0" "$out"
out=$(noshim "$HX/hx-fork" children 8 $IDLE)
expect_eq "fork control: without the shim, nothing is configured" \
	"children failed before init 8, parent configured 0, failed after init 8" "$out"

# ---- a shell that execs, and that runs children.
out=$(shim /bin/sh -c "exec '$HX/hx-probe'")
expect_eq "exec: a shell's exec keeps the shim" "$CONFIGURED" "$out"
out=$(shim /bin/sh -c "'$HX/hx-probe'; /bin/sh -c 'exec \"$HX/hx-probe\"'" | sort -u)
expect_eq "exec: children and grandchildren of a shell keep the shim" "$CONFIGURED" "$out"
out=$(noshim /bin/sh -c "exec '$HX/hx-probe'")
expect_eq "exec control: without the shim" "$UNTOUCHED" "$out"

# ---- vfork and posix_spawn.
for how in vfork spawn; do
	out=$(shim "$HX/hx-fork" $how "$HX/hx-probe")
	expect_eq "$how: the started program is configured" "$CONFIGURED" "$out"
	out=$(noshim "$HX/hx-fork" $how "$HX/hx-probe")
	expect_eq "$how control: without the shim" "$UNTOUCHED" "$out"
done

# ---- fork while another thread is inside the initialisation. Reading the
# compiled config never blocks, so a tracer holds the thread there: strace
# delays its open of the parent's FILE.cache by 3 s while the main thread
# forks. The child sets a config of its own (compiled, idle 44).
if ! command -v strace >/dev/null; then
	fail "fork during initialisation" "strace is missing (scripts/install-deps test installs it)"
else
	printf 'idle = 60\n' >"$HX_TMP/parent.conf"
	printf 'idle = 44\n' >"$HX_TMP/child.conf"
	"$KASHIM_ROOT/build/kashim-compile" "$HX_TMP/parent.conf" >/dev/null
	"$KASHIM_ROOT/build/kashim-compile" "$HX_TMP/child.conf" >/dev/null
	out=$(LD_PRELOAD="$HX_PRELOAD" KASHIM_DEBUG=1 KASHIM_LOG=$HX_TMP/init.log timeout 30 \
		strace -f -qq -o /dev/null -P "$HX_TMP/parent.conf.cache" -e trace=openat \
		-e inject=openat:delay_enter=3000000 \
		"$HX/hx-fork" during-init "$HX_TMP/parent.conf" "$HX_TMP/child.conf" 60 44)
	expect_eq "fork during initialisation: the child initialises anew, the parent finishes" \
		"child exited 0, parent's blocked socket configured 1" "$out"
	expect_eq "fork during initialisation: one initialisation in each process" 2 \
		"$(grep 'settings for' "$HX_TMP/init.log" | cut -d' ' -f1 | sort -u | wc -l)"
fi

# ---- a constructor that makes a socket, in both preload orders.
for order in ctor-first kashim-first; do
	# (KASHIM_PRELOAD_FIRST, libasan in `make check-asan`, must stay first.)
	if [ $order = ctor-first ]; then
		pre="${KASHIM_PRELOAD_FIRST:-} $HX/libhx-ctor.so $HX_LIB"
	else
		pre="${KASHIM_PRELOAD_FIRST:-} $HX_LIB $HX/libhx-ctor.so"
	fi
	rm -f "$HX_TMP/ctor"
	out=$(LD_PRELOAD="$pre" HX_CTOR_OUT=$HX_TMP/ctor KASHIM_IDLE=$IDLE KASHIM_LOG=$HX_TMP/log \
		"$HX/hx-probe" 2>"$HX_TMP/err")
	rc=$?
	expect_eq "preload $order: constructor's socket is configured" "ctor keepalive=1 idle=$IDLE" \
		"$(cat "$HX_TMP/ctor" 2>/dev/null)"
	expect_eq "preload $order: the program runs on normally" "0 $CONFIGURED ''" "$rc $out '$(cat "$HX_TMP/err")'"
done
rm -f "$HX_TMP/ctor"
LD_PRELOAD="$HX/libhx-ctor.so" HX_CTOR_OUT=$HX_TMP/ctor "$HX/hx-probe" >/dev/null
expect_eq "preload control: the constructor's socket without kashim" "ctor keepalive=0 idle=$KERNEL_IDLE" \
	"$(cat "$HX_TMP/ctor" 2>/dev/null)"
finish
