# SPDX-License-Identifier: MIT
# rootfs.sh - sourced by the tests that run programs in other root
# filesystems (container.t, roots-*.t): Debian roots made with debootstrap
# and cached, and the sockets of the processes in a network namespace as
# the host's ka-status reads them.

CACHE=${KASHIM_TEST_CACHE:-/var/cache/kashim-test}
MIRROR=${KASHIM_DEBIAN_MIRROR:-http://deb.debian.org/debian}

# debian_root SUITE PACKAGES LOG: sets ROOTFS to a minbase root filesystem
# of SUITE with PACKAGES (comma-separated) in it, made by debootstrap once
# and cached in $CACHE (SUITE-minbase-PACKAGES with '-' for ','); made in
# a folder of this process's own (ROOTFS.tmp.PID: two tests making the same
# root never remove each other's) and renamed, so a half-made tree is never
# taken; when another test renamed first, its tree is taken. Returns 1 and
# sets ROOTFS_WHY when it cannot be made; prints how it got it.
debian_root() {
	local suite=$1 pkgs=$2 log=$3 t0
	ROOTFS=$CACHE/$suite-minbase-${pkgs//,/-} ROOTFS_WHY=
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
	mkdir -p "$CACHE" && rm -rf "$made"
	if debootstrap --variant=minbase --include="$pkgs" "$suite" "$made" "$MIRROR" >"$log" 2>&1; then
		mv -T "$made" "$ROOTFS" 2>/dev/null || rm -rf "$made"
		echo "# $suite rootfs: debootstrap --variant=minbase --include=$pkgs $suite: $(( $(date +%s) - t0 )) s"
		[ -x "$ROOTFS/usr/bin/env" ] && return 0
	fi
	ROOTFS_WHY="debootstrap $suite from $MIRROR failed: $(tail -1 "$log")"
	rm -rf "$made"
	return 1
}

# netns_pids PID: every process in PID's network namespace; nothing when
# PID is gone or in this test's own namespace (never the host's).
# One find over /proc: a readlink for each process is thousands of forks.
netns_pids() {
	local ns
	ns=$(readlink "/proc/$1/ns/net") || return 0
	[ "$ns" = "$(readlink /proc/self/ns/net)" ] && return 0
	ns=${ns//[^0-9]/}
	find /proc/[0-9]*/ns/net -maxdepth 0 -lname "net:?$ns?" 2>/dev/null | cut -d/ -f3
}

# sockets PID [FIELDS]: one line for each established TCP socket of the
# processes in PID's network namespace, as the host's ka-status reads
# them, sorted. FIELDS (python expressions over p, the process, and s, the
# socket) default to "on|off IDLE COUNT".
sockets() {
	local pids fields=${2:-'"on" if s["keepalive"] else "off", s["idle"], s["count"]'}
	pids=$(netns_pids "$1")
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086
	"$KA_STATUS" --json $pids 2>/dev/null | "$PYTHON" -c '
import json, sys
for p in json.load(sys.stdin)["processes"]:
    for s in p["sockets"]:
        if s["state"] == "ESTABLISHED":
            print(*(['"$fields"']))
' | sort
}

# await_sockets PID N: wait (30 s at most) for N established sockets;
# not once PID is gone.
await_sockets() {
	for _ in $(seq 300); do
		[ -e "/proc/$1" ] || return 1
		[ "$(sockets "$1" | wc -l)" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# stop_netns PID: kill every process in PID's network namespace, then wait
# for PID (a child of this shell).
stop_netns() {
	local p
	for p in $(netns_pids "$1"); do kill "$p" 2>/dev/null; done
	wait "$1" 2>/dev/null
}

# python3 -c "$CHROOT_EXEC" ROOT N VAR=VALUE... COMMAND...: chroot to ROOT,
# then exec COMMAND with exactly those N variables.
export CHROOT_EXEC='
import os, sys
n = int(sys.argv[2])
env = dict(kv.split("=", 1) for kv in sys.argv[3:3 + n])
os.chroot(sys.argv[1]); os.chdir("/")
os.execve(sys.argv[3 + n], sys.argv[3 + n:], env)'
