#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# ps.py pids|procs PID - the processes in PID's PID namespace (a soak
# container), seen from the host: "pids" prints their host PIDs, "procs"
# prints "PID FDS RSS_KB CMDLINE" for each. One process instead of a few
# per PID: the machine the soak runs on is busy by design.
import os
import sys


def members(pid):
    want = os.stat("/proc/%s/ns/pid" % pid).st_ino
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            if os.stat("/proc/%s/ns/pid" % p).st_ino == want:
                yield p
        except OSError:
            pass


def proc(p):
    fds = len(os.listdir("/proc/%s/fd" % p))
    rss = 0
    with open("/proc/%s/status" % p) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    with open("/proc/%s/cmdline" % p, "rb") as f:
        cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()[:60]
    return "%s %d %d %s" % (p, fds, rss, cmd or "[kernel]")


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("pids", "procs"):
        sys.stderr.write("usage: ps.py pids|procs PID\n")
        return 2
    try:
        found = list(members(sys.argv[2]))
    except OSError:
        return 0
    for p in found:
        if sys.argv[1] == "pids":
            print(p)
            continue
        try:
            line = proc(p)
        except OSError:
            continue
        if " 0 [kernel]" not in line:
            print(line)
    return 0


sys.exit(main())
