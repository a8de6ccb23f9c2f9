# SPDX-License-Identifier: MIT
"""peer.py - the plain, unshimmed other end of a harness connection.

    peer.py listen PORTFILE   bind 127.0.0.1 on a kernel-chosen port, write
                              the port to PORTFILE, accept every connection
                              and hold it open without ever answering
    peer.py connect PORT      connect to 127.0.0.1:PORT (retrying for up to
                              10 s while the server starts) and hold it open

It never sends a byte, so the program under test sees an idle connection
(curl keeps waiting for a reply, redis-cli for its server). It runs until
killed. It is not the program under test: the harness never preloads it.
"""
import os
import socket
import sys
import time


def listen(portfile):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    # Write then rename: the harness polls for the file and must never read
    # half a number.
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.getsockname()[1]))
    os.rename(tmp, portfile)
    held = []
    while True:
        conn, _ = server.accept()
        held.append(conn)


def connect(port):
    deadline = time.monotonic() + 10
    while True:
        try:
            conn = socket.create_connection(("127.0.0.1", port), timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    conn.settimeout(None)
    # Hold until the server closes or we are killed.
    while conn.recv(4096):
        pass


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "listen":
        listen(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "connect":
        connect(int(sys.argv[2]))
    else:
        sys.exit("usage: peer.py listen PORTFILE | connect PORT")
