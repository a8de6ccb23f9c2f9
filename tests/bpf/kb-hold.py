#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""kb-hold.py ADDRESS - listen on ADDRESS (127.0.0.1 or ::1), port chosen
by the kernel; print "ready PORT", then accept connections and hold them
open, never reading or setting an option, until killed. With "report" as a
second argument, print "accepted PEERPORT ka=K idle=I intvl=N cnt=C uto=U"
for each accepted connection."""
import socket
import sys

family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
report = len(sys.argv) > 2 and sys.argv[2] == "report"
srv = socket.socket(family, socket.SOCK_STREAM)
srv.bind((sys.argv[1], 0))
srv.listen(64)
print("ready", srv.getsockname()[1], flush=True)
held = []
while True:
    conn, peer = srv.accept()
    held.append(conn)
    if report:
        g = conn.getsockopt
        print("accepted", peer[1], "ka=%d idle=%d intvl=%d cnt=%d uto=%d" % (
            g(socket.SOL_SOCKET, socket.SO_KEEPALIVE) != 0, g(6, socket.TCP_KEEPIDLE),
            g(6, socket.TCP_KEEPINTVL), g(6, socket.TCP_KEEPCNT), g(6, socket.TCP_USER_TIMEOUT)),
            flush=True)
