#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""keepalive-echo: a tiny socket-activated TCP server for trying kashim.

systemd (or systemd-socket-activate) hands it the listening socket as fd 3
(LISTEN_FDS=1); it never makes a socket of its own. For each connection it
writes one line with the keepalive settings the kernel reports for that
accepted socket, then echoes what it receives. Run under libkashim.so, the
line shows kashim's values; without it, "keepalive=0".

    systemd-socket-activate -l 127.0.0.1:7777 \\
        -E LD_PRELOAD=/usr/local/lib/libkashim.so -E KASHIM_IDLE=30 \\
        /usr/bin/python3 keepalive-echo.py
    nc 127.0.0.1 7777
"""
import os
import socket
import sys
import threading

SD_LISTEN_FDS_START = 3


def describe(sock):
    """One line: the keepalive options of @sock as the kernel holds them."""
    get = sock.getsockopt
    return "keepalive=%d idle=%d interval=%d count=%d user_timeout=%d\n" % (
        get(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
        get(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
        get(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
        get(socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
        get(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT))


def serve(conn):
    """Report, then echo until the peer closes."""
    with conn:
        conn.sendall(describe(conn).encode())
        while True:
            data = conn.recv(4096)
            if not data:
                return
            conn.sendall(data)


def main():
    if os.environ.get("LISTEN_FDS") != "1" or os.environ.get("LISTEN_PID") != str(os.getpid()):
        sys.exit("keepalive-echo: expected one socket from systemd (LISTEN_FDS=1)")
    listener = socket.socket(fileno=SD_LISTEN_FDS_START)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
