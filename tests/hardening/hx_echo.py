# SPDX-License-Identifier: MIT
# hx_echo.py - a small real program for the bad-input tests: a TCP
# connection on loopback that carries "hello", printed as "echo hello",
# then exit status 3. The client socket's keepalive options, as the kernel
# reports them, go to the file $HX_OUT (never to stdout, which must be the
# same with and without the shim): "KEEPALIVE IDLE INTERVAL COUNT USER_TIMEOUT".
import os
import socket
import sys

server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(1)
client = socket.create_connection(server.getsockname())
peer, _ = server.accept()
client.sendall(b"hello")
print("echo", peer.recv(5).decode())
values = [
    client.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
    client.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
    client.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
    client.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
    client.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT),
]
with open(os.environ["HX_OUT"], "w") as out:
    out.write(" ".join(map(str, values)) + "\n")
sys.exit(3)
