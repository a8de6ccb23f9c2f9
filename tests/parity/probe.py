#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# probe.py ROLE HOST PORT [STEP...] - the program of tests/parity/parity.t.
# ROLE connect: a listener on HOST:PORT, then a client socket connected to
# it; ROLE accept: a listener on HOST:PORT and the connection it accepts.
# STEPs are the program's own keepalive calls on that socket:
#   before:NAME=VALUE   setsockopt() before connect() (on the listener for accept)
#   after:NAME=VALUE    setsockopt() after connect() or accept()
#   bad:NAME=VALUE      a call the kernel refuses (EINVAL), before connect()
#   bad1:NAME           a 1-byte value (EINVAL for an int option), before connect()
# NAME is SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT or
# TCP_USER_TIMEOUT. Prints "opts ON/IDLE/INTERVAL/COUNT/USER_TIMEOUT" read
# with getsockopt() from inside, and "errno NAME N" for each bad call.
import errno
import socket
import sys

TCP = socket.IPPROTO_TCP
OPTIONS = {
    "SO_KEEPALIVE": (socket.SOL_SOCKET, socket.SO_KEEPALIVE),
    "TCP_KEEPIDLE": (TCP, socket.TCP_KEEPIDLE),
    "TCP_KEEPINTVL": (TCP, socket.TCP_KEEPINTVL),
    "TCP_KEEPCNT": (TCP, socket.TCP_KEEPCNT),
    "TCP_USER_TIMEOUT": (TCP, getattr(socket, "TCP_USER_TIMEOUT", 18)),
}


def opts(s):
    g = s.getsockopt
    return "%d/%d/%d/%d/%d" % (
        g(*OPTIONS["SO_KEEPALIVE"]) and 1,
        g(*OPTIONS["TCP_KEEPIDLE"]),
        g(*OPTIONS["TCP_KEEPINTVL"]),
        g(*OPTIONS["TCP_KEEPCNT"]),
        g(*OPTIONS["TCP_USER_TIMEOUT"]),
    )


def steps(sock, when, args):
    for step in args:
        kind, _, what = step.partition(":")
        if kind != when and not (when == "before" and kind in ("bad", "bad1")):
            continue
        name, _, value = what.partition("=")
        level, opt = OPTIONS[name]
        try:
            sock.setsockopt(level, opt, b"\x01" if kind == "bad1" else int(value))
            got = 0
        except OSError as e:
            got = e.errno
        if kind in ("bad", "bad1"):
            print("errno", name, got, flush=True)
        elif got:
            sys.exit("probe: %s %s failed: %s" % (kind, what, errno.errorcode.get(got, got)))


def main(role, host, port, args):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if role == "accept":
        steps(listener, "before", args)
    listener.bind((host, port))
    listener.listen(4)
    client = socket.socket(family, socket.SOCK_STREAM)
    if role == "connect":
        steps(client, "before", args)
    client.connect((host, port))
    accepted, _ = listener.accept()
    mine = client if role == "connect" else accepted
    steps(mine, "after", args)
    print("opts", opts(mine), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:])
