#!/bin/bash
# SPDX-License-Identifier: MIT
# rootfs.sh DIR [MIRROR]: make DIR, a Debian bookworm minbase root filesystem
# holding the daemons the soak runs (sshd, PostgreSQL, nginx, redis, cron,
# rsyslog), their load generators and libconfuse2 (kashim's config reader
# needs it). Packages come from Debian's registry through debootstrap and
# apt inside the root; no service is started while installing
# (policy-rc.d). The tree is built beside DIR and renamed into place only
# when complete, so a cached DIR is always whole. Exit 2 on bad usage,
# 1 when a step fails (its log is printed).
set -eu
[ $# -ge 1 ] || { echo "usage: rootfs.sh DIR [MIRROR]" >&2; exit 2; }
DIR=$1
MIRROR=${2:-http://deb.debian.org/debian}
PACKAGES="openssh-server openssh-client postgresql postgresql-client nginx-light redis-server
	redis-tools cron rsyslog curl wrk python3 procps iproute2 libconfuse2 ca-certificates"
TMP=$DIR.tmp
LOG=$DIR.log

rm -rf "$TMP"
mkdir -p "$(dirname "$DIR")"
fail() { echo "rootfs.sh: $1 failed; last lines of $LOG:" >&2; tail -20 "$LOG" >&2; exit 1; }

debootstrap --variant=minbase bookworm "$TMP" "$MIRROR" >"$LOG" 2>&1 || fail debootstrap
printf '#!/bin/sh\nexit 101\n' >"$TMP/usr/sbin/policy-rc.d"
chmod 755 "$TMP/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$TMP/etc/resolv.conf"
# apt inside the root, in a private mount namespace with /dev and /proc
# (initdb needs them), so nothing stays mounted on the host.
# shellcheck disable=SC2086
unshare --mount --fork bash -c '
	set -e
	mount --rbind /dev "$1/dev" && mount -t proc proc "$1/proc"
	chroot "$1" env DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		apt-get install -y --no-install-recommends $2
	chroot "$1" apt-get clean
' bash "$TMP" "$PACKAGES" >>"$LOG" 2>&1 || fail "apt-get install"
rm -f "$TMP/etc/resolv.conf"
date -u +%FT%TZ >"$TMP/etc/kashim-soak-rootfs"
rm -rf "$DIR"
mv "$TMP" "$DIR"
