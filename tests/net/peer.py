#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""peer.py - the client and server programs of the network tests.

They are deliberately ordinary: they never touch SO_KEEPALIVE or TCP_* options,
so whatever keepalive they get comes from kashim (LD_PRELOAD reaches Python's
socket calls because they go through libc).  Every event is printed as one
machine-readable line on stdout, flushed at once, with a wall-clock time
(time.time(), comparable with bash's $EPOCHREALTIME):

    ready PORT                     (serve: listening)
    connected T ka=K idle=I intvl=N cnt=C uto=U   (options the kernel reports)
    accepted T ka=K idle=I intvl=N cnt=C uto=U
    sent T                         (data handed to the kernel)
    exchange1 ok T                 (idle-exchange: first round trip worked)
    exchange2 ok T | exchange2 fail REASON T
    result REASON T                (the blocking recv() ended: ETIMEDOUT, EOF...)

Usage:
    peer.py serve PORT [echo]              accept one connection, recv() until
                                           it ends (echo: send back what came)
    peer.py wait HOST PORT                 connect, then block in recv()
    peer.py write-after HOST PORT GOFILE   connect, wait until GOFILE exists,
                                           send 1 KiB, then block in recv()
    peer.py idle-exchange HOST PORT IDLE REPLY_TIMEOUT
                                           round trip, stay idle IDLE s, round
                                           trip again; no reply within
                                           REPLY_TIMEOUT s is a failure
"""
import errno
import os
import socket
import sys
import time


def say(*words):
    """Print one event line at once (the test polls the output file)."""
    print(*words, flush=True)


def options(sock):
    """The keepalive options the kernel holds for @sock, as key=value words.

    Read back with getsockopt so a test can tell a shimmed socket from a
    control without trusting anything kashim says about itself."""
    def opt(level, name):
        return sock.getsockopt(level, name)
    return ["ka=%d" % opt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
            "idle=%d" % opt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
            "intvl=%d" % opt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
            "cnt=%d" % opt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
            "uto=%d" % opt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT)]


def reason(exc):
    """Symbolic errno name of a socket error (ETIMEDOUT, ECONNRESET...)."""
    if exc.errno is None:  # settimeout() expired (socket.timeout has no errno)
        return "timeout"
    return errno.errorcode.get(exc.errno, str(exc.errno))


def block_in_recv(sock, echo=False):
    """recv() until the connection ends; report how it ended and when."""
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                say("result", "EOF", time.time())
                return
            if echo:
                sock.sendall(data)
    except OSError as exc:
        say("result", reason(exc), time.time())


def connect(host, port):
    """A plain blocking TCP connection, reported with its options."""
    sock = socket.create_connection((host, int(port)))
    say("connected", time.time(), *options(sock))
    return sock


def serve(port, mode=""):
    """Accept one connection on PORT (all addresses) and serve it."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", int(port)))
    listener.listen(8)
    say("ready", port)
    sock, _ = listener.accept()
    say("accepted", time.time(), *options(sock))
    block_in_recv(sock, echo=(mode == "echo"))


def write_after(host, port, gofile):
    """Send data only once the test says the peer is gone (GOFILE exists),
    so the connection has unacknowledged data in flight while it waits."""
    sock = connect(host, port)
    while not os.path.exists(gofile):
        time.sleep(0.02)
    sock.sendall(b"x" * 1024)
    say("sent", time.time())
    block_in_recv(sock)


def round_trip(sock, reply_timeout):
    """Send a ping, expect the echo within reply_timeout seconds.
    Returns None on success, else the reason of the failure."""
    sock.settimeout(reply_timeout)
    try:
        sock.sendall(b"ping\n")
        got = b""
        while len(got) < 5:
            data = sock.recv(5 - len(got))
            if not data:
                return "EOF"
            got += data
        return None
    except OSError as exc:
        return reason(exc)
    finally:
        sock.settimeout(None)


def idle_exchange(host, port, idle, reply_timeout):
    """Round trip, idle, round trip: what a pooled connection does."""
    sock = connect(host, port)
    why = round_trip(sock, float(reply_timeout))
    if why:
        say("exchange1", "fail", why, time.time())
        return
    say("exchange1", "ok", time.time())
    time.sleep(float(idle))
    why = round_trip(sock, float(reply_timeout))
    if why:
        say("exchange2", "fail", why, time.time())
    else:
        say("exchange2", "ok", time.time())


def main(argv):
    commands = {"serve": serve, "wait": lambda h, p: block_in_recv(connect(h, p)),
                "write-after": write_after, "idle-exchange": idle_exchange}
    if len(argv) < 2 or argv[1] not in commands:
        sys.stderr.write(__doc__)
        return 2
    commands[argv[1]](*argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
