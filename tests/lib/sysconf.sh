# SPDX-License-Identifier: MIT
# sysconf.sh - the system's keepalive.conf, private to a test: run in a
# mount namespace of its own (unshare -m --propagation private), with an
# overlay over /etc whose upper layer is a tmpfs, the test may write the
# path compiled into the library while the real /etc is never touched.
# Sourced after common.sh (tests/hardening/chroot.t, compiled.t).

# sysconf_overlay LIB TMP OUTER_NS: SYSCONF gets the keepalive.conf path
# compiled into LIB, and /etc becomes the overlay (its layers under
# TMP/ovl). Fails a check and ends the file, changing nothing, when this is
# still OUTER_NS (the mount namespace the test started in), LIB names no
# such path, or the overlay is not in place.
sysconf_overlay() {
	local lib=$1 tmp=$2 outer_ns=$3
	SYSCONF=$(strings "$lib" | grep -m1 '^/.*keepalive\.conf$')
	if [ "$(readlink /proc/self/ns/mnt)" = "$outer_ns" ] || [ -z "$SYSCONF" ]; then
		fail "private namespace" "still in the outer mount namespace, or no compiled-in path"; finish
	fi
	mkdir -p "$tmp/ovl" && mount -t tmpfs kashim-test "$tmp/ovl" && mkdir "$tmp/ovl/upper" "$tmp/ovl/work" &&
		mount -t overlay overlay -o "lowerdir=/etc,upperdir=$tmp/ovl/upper,workdir=$tmp/ovl/work" /etc
	if [ "$(findmnt -n -o FSTYPE /etc)" != overlay ]; then
		fail "private overlay over /etc" "mount failed; nothing was changed"; finish
	fi
}
