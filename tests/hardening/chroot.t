#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# chroot.t - a program that changes its root before its first TCP socket
# (hx-chroot DIR: chroot, then socket) still gets its program section: the
# settings are decided at chroot(), while the config is still visible.
# Into an empty directory, with the system's compiled file (a private mount
# namespace with an overlay over /etc), with KASHIM_CONFIG compiled and with
# KASHIM_CONFIG parsed at load. Controls: the same program without chroot
# gets the same values, and without the shim the kernel's (keepalive off).
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../lib/sysconf.sh"

COMPILE=$KASHIM_ROOT/build/kashim-compile
HXC=$HX/hx-chroot

# run [DIR] [VAR=VALUE...]: hx-chroot with the shim; "keepalive=K idle=I".
run() {
	local dir=$1
	shift
	env "$@" LD_PRELOAD="$HX_PRELOAD" "$HXC" $dir 2>&1 | sed -n 's/.* \(keepalive=[0-9]* idle=[0-9]*\).*/\1/p'
}

inner() {
	local tmp=$1 SYSCONF
	sysconf_overlay "$HX_LIB" "$tmp" "$2"
	printf 'idle = 41\nprogram "hx-chroot" {\n\tidle = 29\n}\n' >"$SYSCONF"
	"$COMPILE" >/dev/null
	expect_eq "system file: chroot into an empty directory, then the first socket: the program section" \
		"keepalive=1 idle=29" "$(run "$tmp/empty" KASHIM_LOG="$tmp/sys.log")"
	expect_eq "system file: and nothing logged" "" "$(cat "$tmp/sys.log" 2>/dev/null)"
	expect_eq "control: the same program without chroot" "keepalive=1 idle=29" "$(run "")"
	finish
}

if [ "${1:-}" = inner ]; then
	inner "$2" "$3"
fi
if ! need_root; then
	skip chroot "needs root: chroot(2), mount namespace"
	finish
fi
t_require chroot "$HXC, $COMPILE or the shim is not built (make check builds them)" \
	"$HXC" "$HX_LIB" "$COMPILE"
mkdir -p "$HX_TMP/empty"
printf 'program "hx-chroot" {\n\tidle = 31\n}\n' >"$HX_TMP/c.conf"
"$COMPILE" "$HX_TMP/c.conf" >/dev/null
printf 'program "hx-chroot" {\n\tidle = 32\n}\n' >"$HX_TMP/p.conf"
expect_eq "KASHIM_CONFIG compiled: chroot, then the first socket: the program section" "keepalive=1 idle=31" \
	"$(run "$HX_TMP/empty" KASHIM_CONFIG="$HX_TMP/c.conf" KASHIM_LOG="$HX_TMP/c.log")"
expect_eq "KASHIM_CONFIG compiled: and nothing logged" "" "$(cat "$HX_TMP/c.log" 2>/dev/null)"
expect_eq "KASHIM_CONFIG parsed at load: chroot, then the first socket: the program section" \
	"keepalive=1 idle=32" "$(run "$HX_TMP/empty" KASHIM_CONFIG="$HX_TMP/p.conf")"
expect_eq "control: without chroot, the same" "keepalive=1 idle=31" "$(run "" KASHIM_CONFIG="$HX_TMP/c.conf")"
expect_eq "control: without the shim, the kernel's (keepalive off)" "chroot=1 keepalive=0" \
	"$("$HXC" "$HX_TMP/empty" | cut -d' ' -f1-2)"
mkdir -p "$HX_TMP/ns/empty"
t_nested unshare -m --propagation private bash "$0" inner "$HX_TMP/ns" "$(readlink /proc/self/ns/mnt)"
finish
