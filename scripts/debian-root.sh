# SPDX-License-Identifier: MIT
# debian-root.sh - sourced by what needs a Debian root filesystem from the
# registry (scripts/make-image, the tests in tests/package): debootstrap's
# minbase, made once and cached. The caller may set DEBIAN_ROOT_CACHE (the
# cache folder) and DEBIAN_ROOT_MIRROR before calling debian_root.

DEBIAN_ROOT_CACHE=${DEBIAN_ROOT_CACHE:-/var/cache/kashim}
DEBIAN_ROOT_MIRROR=${DEBIAN_ROOT_MIRROR:-${KASHIM_DEBIAN_MIRROR:-http://deb.debian.org/debian}}

# debian_root SUITE PACKAGES LOG: sets ROOTFS to a minbase root filesystem
# of SUITE with PACKAGES (comma-separated) in it, made by debootstrap once
# and cached in $DEBIAN_ROOT_CACHE (SUITE-minbase-PACKAGES with '-' for
# ','); made in a folder of this process's own (ROOTFS.tmp.PID: two callers
# making the same root never remove each other's) and renamed, so a
# half-made tree is never taken; when another caller renamed first, its
# tree is taken. Returns 1 and
# sets ROOTFS_WHY when it cannot be made; prints how it got it.
debian_root() {
	local suite=$1 pkgs=$2 log=$3 t0
	ROOTFS=$DEBIAN_ROOT_CACHE/$suite-minbase-${pkgs//,/-} ROOTFS_WHY=
	if [ -x "$ROOTFS/usr/bin/env" ]; then
		echo "# $suite rootfs: cached in $ROOTFS"
		return 0
	fi
	if ! command -v debootstrap >/dev/null; then
		ROOTFS_WHY="debootstrap is not installed (scripts/install-deps test installs it)"
		return 1
	fi
	t0=$(date +%s)
	local made=$ROOTFS.tmp.$$
	mkdir -p "$DEBIAN_ROOT_CACHE" && rm -rf "$made"
	if debootstrap --variant=minbase --include="$pkgs" "$suite" "$made" "$DEBIAN_ROOT_MIRROR" >"$log" 2>&1; then
		mv -T "$made" "$ROOTFS" 2>/dev/null || rm -rf "$made"
		echo "# $suite rootfs: debootstrap --variant=minbase --include=$pkgs $suite: $(( $(date +%s) - t0 )) s"
		[ -x "$ROOTFS/usr/bin/env" ] && return 0
	fi
	ROOTFS_WHY="debootstrap $suite from $DEBIAN_ROOT_MIRROR failed: $(tail -1 "$log")"
	rm -rf "$made"
	return 1
}
