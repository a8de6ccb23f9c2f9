#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Secure-execution. In a private mount namespace, an
# overlay over /etc holds an /etc/ld.so.preload naming kashim and the
# compiled-in config file (idle 51, interval 6, count 4), compiled by
# kashim-compile as programs read it; the real /etc is never touched. A
# set-user-ID root copy of hx-probe, run as nobody
# (AT_SECURE set, which hx-probe reports), must ignore KASHIM_IDLE,
# KASHIM_CONFIG, KASHIM_DEBUG and KASHIM_LOG and apply only the compiled-in
# file. Control: the same program without the set-user-ID bit, same user,
# same environment, honours them all. And LD_PRELOAD alone does not reach a
# set-user-ID program at all (the loader's rule), which is why
# /etc/ld.so.preload is the way in.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

if ! need_root; then
	skip setuid "needs root: mount namespace, overlay over /etc, set-user-ID binary"
	finish
fi
if ! hx_need "$HX/hx-probe" "$HX_LIB"; then
	fail setuid "$HX/hx-probe or the shim is not built"
	finish
fi
# The compiled-in path (SYSCONFDIR), as the library itself has it.
SYSCONF=$(strings "$HX_LIB" | grep -m1 '^/.*keepalive\.conf$')
if [ -z "$SYSCONF" ]; then
	fail setuid "no compiled-in keepalive.conf path found in $HX_LIB"
	finish
fi
real_state() { for f in /etc/ld.so.preload "$SYSCONF"; do [ -e "$f" ] && sha256sum "$f" || echo "$f absent"; done; }
real_before=$(real_state)

# Everything the unprivileged user must read lives in a world-readable
# directory; logs go to a directory it may write.
D=$HX_TMP/su
mkdir -p "$D/lib/kashim" "$D/upper" "$D/work" "$D/logs"
chmod 755 "$HX_TMP" "$D" && chmod 1777 "$D/logs"
cp "$HX_LIB" "$D/lib/libkashim.so"
cp "$(dirname "$HX_LIB")/kashim/libkashim-conf.so" "$D/lib/kashim/"
chmod -R a+rX "$D/lib"
cp "$HX/hx-probe" "$D/probe-setuid" && chown root:root "$D/probe-setuid" && chmod 4755 "$D/probe-setuid"
cp "$HX/hx-probe" "$D/probe" && chmod 755 "$D/probe"
printf 'idle = 14\ninterval = 8\n' >"$D/env.conf" && chmod 644 "$D/env.conf"
AS_NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups --"
ENV="KASHIM_IDLE=13 KASHIM_CONFIG=$D/env.conf KASHIM_DEBUG=1"

unshare -m --propagation private /bin/bash -c "
	set -e
	mount -t overlay overlay -o lowerdir=/etc,upperdir=$D/upper,workdir=$D/work /etc
	echo '${KASHIM_PRELOAD_FIRST:-} $D/lib/libkashim.so' >/etc/ld.so.preload
	mkdir -p '$(dirname "$SYSCONF")'
	printf 'idle = 51\ninterval = 6\ncount = 4\n' >'$SYSCONF'
	'$KASHIM_ROOT/build/kashim-compile' >/dev/null
	set +e
	env $ENV KASHIM_LOG=$D/logs/setuid.log $AS_NOBODY '$D/probe-setuid' >'$D/setuid.out' 2>&1
	env $ENV KASHIM_LOG=$D/logs/control.log $AS_NOBODY '$D/probe' >'$D/control.out' 2>&1
	env -u KASHIM_IDLE $AS_NOBODY '$D/probe-setuid' >'$D/setuid-noenv.out' 2>&1
	true
" 2>"$D/ns.err"
ns_rc=$?
# Outside the namespace: LD_PRELOAD alone, no /etc/ld.so.preload.
env $ENV LD_PRELOAD="${KASHIM_PRELOAD_FIRST:-} $D/lib/libkashim.so" $AS_NOBODY "$D/probe-setuid" >"$D/ldpreload.out" 2>&1

expect_eq "setuid: the private namespace with an overlay over /etc was set up" "0 ''" "$ns_rc '$(cat "$D/ns.err")'"
expect_eq "setuid: with AT_SECURE, only the compiled-in $SYSCONF applies (KASHIM_IDLE, KASHIM_CONFIG ignored)" \
	"secure=1 keepalive=1 idle=51 interval=6 count=4 user_timeout=0" "$(cat "$D/setuid.out")"
expect_eq "setuid: with AT_SECURE, KASHIM_LOG and KASHIM_DEBUG are ignored (no log file)" \
	"absent" "$([ -e "$D/logs/setuid.log" ] && echo present || echo absent)"
expect_eq "setuid: without any variable, the same compiled-in values" \
	"secure=1 keepalive=1 idle=51 interval=6 count=4 user_timeout=0" "$(cat "$D/setuid-noenv.out")"
expect_eq "setuid control: the same program without set-user-ID honours KASHIM_IDLE and KASHIM_CONFIG" \
	"secure=0 keepalive=1 idle=13 interval=8 count=5 user_timeout=0" "$(cat "$D/control.out")"
check "setuid control: and KASHIM_LOG with KASHIM_DEBUG (the settings line)" \
	grep -q "settings for probe" "$D/logs/control.log"
check "setuid: LD_PRELOAD alone does not reach a set-user-ID program" \
	grep -q "^secure=1 keepalive=0 " "$D/ldpreload.out"
expect_eq "setuid: the real /etc/ld.so.preload and $SYSCONF are untouched" "$real_before" "$(real_state)"
finish
