# SPDX-License-Identifier: MIT
"""target.py - a process with known sockets, the oracle for ka_status.t.

    target.py PEERPORT OUTDIR

Makes, without any shim, sockets whose options it sets itself:
  configured  TCP to 127.0.0.1:PEERPORT, keepalive on, idle 123, interval 45,
              count 6, user timeout 7890 ms
  plain       TCP to 127.0.0.1:PEERPORT, options untouched (keepalive off)
  listener    TCP listening on [::1] (or 127.0.0.1 without IPv6), keepalive
              on with idle 99
  udp, unix   not TCP: ka-status must leave them out
and writes "NAME FD PORT" lines to OUTDIR/fds. On SIGUSR1 it writes what
its own getsockopt() reads on every socket to OUTDIR/self.N (N counting
from 1), so the test can compare ka-status's reading with the process's
own, and check that ka-status changed nothing.
"""
import os
import signal
import socket
import sys

TCP_USER_TIMEOUT = getattr(socket, "TCP_USER_TIMEOUT", 18)


def reading(s):
    """The keepalive settings of s as sockq.py prints them."""
    on = s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)
    return "%s %d %d %d %d" % (
        "on" if on else "off",
        s.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
        s.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
        s.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
        s.getsockopt(socket.IPPROTO_TCP, TCP_USER_TIMEOUT))


def main():
    peer_port, outdir = int(sys.argv[1]), sys.argv[2]
    configured = socket.create_connection(("127.0.0.1", peer_port))
    configured.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    configured.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 123)
    configured.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 45)
    configured.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 6)
    configured.setsockopt(socket.IPPROTO_TCP, TCP_USER_TIMEOUT, 7890)
    plain = socket.create_connection(("127.0.0.1", peer_port))
    try:
        listener = socket.socket(socket.AF_INET6)
        listener.bind(("::1", 0))
    except OSError:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 99)
    listener.listen(1)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    tcp = {"configured": configured, "plain": plain, "listener": listener}

    dumps = [0]

    def dump(signum, frame):
        dumps[0] += 1
        with open(os.path.join(outdir, "self.%d.tmp" % dumps[0]), "w") as f:
            for name, s in tcp.items():
                f.write("%s %s\n" % (name, reading(s)))
            f.write("fds %d\n" % len(os.listdir("/proc/self/fd")))
        os.rename(os.path.join(outdir, "self.%d.tmp" % dumps[0]),
                  os.path.join(outdir, "self.%d" % dumps[0]))

    signal.signal(signal.SIGUSR1, dump)
    with open(os.path.join(outdir, "fds.tmp"), "w") as f:
        for name, s in list(tcp.items()) + [("udp", udp), ("unix", unix)]:
            port = s.getsockname()[1] if s.family != socket.AF_UNIX else 0
            f.write("%s %d %d\n" % (name, s.fileno(), port))
    os.rename(os.path.join(outdir, "fds.tmp"), os.path.join(outdir, "fds"))
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
