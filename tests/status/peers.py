#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""peers.py - ordinary programs for the ka-status tests (tests/status/*.t).

None of them touches a keepalive option unless told to (hold --keepalive),
so whatever keepalive their sockets have came from outside.

    peers.py echo-server PORT READY [HOST]
        listen on HOST:PORT (127.0.0.1; "::" is dual-stack), echo every
        accepted connection (a thread each); READY is created once listening.
    peers.py hold READY [--name NAME] [--keepalive] HOST:PORT...
        connect to each HOST:PORT and stay idle until killed; --name sets
        the process's name (comm), --keepalive turns SO_KEEPALIVE on itself
        (idle 77, interval 7, count 7). READY gets one line per connection:
        "LOCALPORT REMOTEPORT", written once all are connected.
    peers.py chat HOST:PORT DIR
        connect, then for N = 1, 2, ...: wait for DIR/go.N, send DIR/send.N,
        read as many bytes back into DIR/recv.N, create DIR/done.N. READY
        is DIR/ready (with "LOCALPORT").
"""
import ctypes
import os
import socket
import sys
import threading
import time


def addr(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


def publish(path, text):
    """Write PATH whole, so a test polling it never reads half."""
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


def echo(conn):
    while True:
        data = conn.recv(65536)
        if not data:
            conn.close()
            return
        conn.sendall(data)


def echo_server(port, ready, host="127.0.0.1"):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    listener.bind((host, int(port)))
    listener.listen(16)
    publish(ready, "%d\n" % listener.getsockname()[1])
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=echo, args=(conn,), daemon=True).start()


def hold(ready, *args):
    args = list(args)
    name = None
    own = False
    if "--name" in args:
        i = args.index("--name")
        name = args[i + 1].encode("utf-8", "surrogateescape")
        del args[i:i + 2]
    if "--keepalive" in args:
        args.remove("--keepalive")
        own = True
    if name is not None:
        ctypes.CDLL(None).prctl(15, ctypes.c_char_p(name))  # PR_SET_NAME
    conns, lines = [], []
    for target in args:
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if own:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 77)
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 7)
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 7)
        c.connect(addr(target))
        conns.append(c)
        lines.append("%d %d\n" % (c.getsockname()[1], c.getpeername()[1]))
    publish(ready, "".join(lines))
    while True:
        time.sleep(3600)


def chat(target, directory):
    c = socket.create_connection(addr(target))
    publish(os.path.join(directory, "ready"), "%d\n" % c.getsockname()[1])
    n = 1
    while True:
        go = os.path.join(directory, "go.%d" % n)
        while not os.path.exists(go):
            time.sleep(0.02)
        with open(os.path.join(directory, "send.%d" % n), "rb") as f:
            data = f.read()
        c.sendall(data)
        got = bytearray()
        while len(got) < len(data):
            chunk = c.recv(65536)
            if not chunk:
                break
            got += chunk
        with open(os.path.join(directory, "recv.%d" % n), "wb") as f:
            f.write(got)
        publish(os.path.join(directory, "done.%d" % n), "%d\n" % len(got))
        n += 1


def main(argv):
    commands = {"echo-server": echo_server, "hold": hold, "chat": chat}
    if len(argv) < 2 or argv[1] not in commands:
        sys.stderr.write(__doc__)
        return 2
    commands[argv[1]](*argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
