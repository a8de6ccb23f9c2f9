# SPDX-License-Identifier: MIT
# rootfs.sh - sourced by the tests that run programs in other root
# filesystems (container.t, roots-*.t): Debian roots made with debootstrap
# and cached, and the sockets of the processes in a network namespace as
# the host's ka-status reads them.

DEBIAN_ROOT_CACHE=${KASHIM_TEST_CACHE:-/var/cache/kashim-test}
# shellcheck source=../../scripts/debian-root.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/debian-root.sh"

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
