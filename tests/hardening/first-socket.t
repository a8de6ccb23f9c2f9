#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The process's first TCP socket takes no ld.so lock, allocates nothing and
# leaves dlerror() alone: libc's functions were found and the environment
# parsed when the library loaded. Each case runs hx-firstsock (see its
# header) with kashim (KASHIM_IDLE=41) and without (the control: the same
# program finishes, nothing configured). A hang shows as status 124.
#   lock-race     a thread holding the program's own lock makes the first
#                 socket while another waits for that lock inside a
#                 dlopen()ed constructor (ld.so's lock held);
#   dlopen-other  a signal handler makes it while another thread's dlopen()
#                 waits for that handler;
#   dlopen        a signal handler makes it inside this thread's dlopen();
#   malloc        a signal handler that interrupted malloc() makes it, and
#                 no allocation happens inside the interrupted one;
#   dlerror-*     a failed dlopen()'s dlerror() survives the first socket()
#                 and the first close().
# Without a config file (the system file must not exist), with KASHIM_CONFIG
# naming a text file that was never compiled (parsed at load), and with it
# compiled (mapped at the first socket with system calls only).
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

t_require first-socket "helpers in $HX are not built" "$HX/hx-firstsock" "$HX/libhx-lockctor.so"
KERNEL_IDLE=$(cat /proc/sys/net/ipv4/tcp_keepalive_time)
LIB=$HX/libhx-lockctor.so

# One line: what the program printed, then its status.
run() { local out; out=$("$@" 2>&1); echo "$out status $?"; }
shim() { run env LD_PRELOAD="$HX_PRELOAD" KASHIM_IDLE=41 KASHIM_LOG=$HX_TMP/log timeout 20 "$HX/hx-firstsock" "$@"; }
plain() { run env -u LD_PRELOAD KASHIM_IDLE=41 timeout 20 "$HX/hx-firstsock" "$@"; }
printf 'idle = 44\n' >"$HX_TMP/text.conf"
printf 'idle = 44\n' >"$HX_TMP/compiled.conf"
"$KASHIM_ROOT/build/kashim-compile" "$HX_TMP/compiled.conf" >/dev/null ||
	fail "kashim-compile" "could not compile $HX_TMP/compiled.conf"
# with_conf NAME CASE...: the case with KASHIM_CONFIG=$HX_TMP/NAME.conf.
with_conf() {
	local conf=$HX_TMP/$1.conf
	shift
	run env LD_PRELOAD="$HX_PRELOAD" KASHIM_IDLE=41 KASHIM_CONFIG="$conf" KASHIM_LOG=$HX_TMP/log \
		timeout 20 "$HX/hx-firstsock" "$@"
}

if [ -e /etc/keepalive.conf ]; then
	skip "first socket without a config file" "/etc/keepalive.conf exists on this machine"
	finish
fi

for c in lock-race dlopen-other; do
	expect_eq "$c: the first TCP socket is configured, nothing hangs" "idle 41 status 0" "$(shim $c "$LIB")"
	expect_eq "$c control: without kashim" "idle $KERNEL_IDLE status 0" "$(plain $c "$LIB")"
done
expect_eq "dlopen: a handler inside dlopen() makes the first socket, configured" \
	"reentered 0 idle 41 status 0" "$(shim dlopen "$LIB")"
expect_eq "dlopen control: without kashim" "reentered 0 idle $KERNEL_IDLE status 0" "$(plain dlopen "$LIB")"
expect_eq "malloc: a handler inside malloc() makes the first socket, configured, no allocation" \
	"reentered 0 idle 41 status 0" "$(shim malloc)"
expect_eq "malloc control: without kashim" "reentered 0 idle $KERNEL_IDLE status 0" "$(plain malloc)"
for c in dlerror-socket dlerror-close; do
	expect_eq "$c: the program's pending dlerror() survives kashim" "dlerror kept status 0" "$(shim $c)"
	expect_eq "$c control: without kashim" "dlerror kept status 0" "$(plain $c)"
done

for conf in text compiled; do
	for c in lock-race dlopen-other; do
		expect_eq "$c, KASHIM_CONFIG $conf: configured, nothing hangs" "idle 41 status 0" \
			"$(with_conf $conf $c "$LIB")"
	done
	expect_eq "malloc, KASHIM_CONFIG $conf: no allocation" "reentered 0 idle 41 status 0" \
		"$(with_conf $conf malloc)"
	expect_eq "dlerror-socket, KASHIM_CONFIG $conf: dlerror() kept" "dlerror kept status 0" \
		"$(with_conf $conf dlerror-socket)"
done
finish
