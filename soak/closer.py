#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# closer.py STATUS SECONDS - a daemon that closes every fd it has, again
# and again, the way old daemons and some supervisors do. It detaches
# (fork, setsid, fork), then each round: closes fds 0..4095, opens a data
# file (which must get fd 0), connects to redis on 127.0.0.1:6379 (fd 1),
# sends PING and wants +PONG, writes a line to the data file and checks
# that the file grew by exactly that line and that fds 0 and 1 are the
# only ones open (besides the directory listing them). Anything else is an error. Every round it rewrites
# STATUS with "rounds=N errors=N last=WHY". A preloaded library that kept
# an fd, wrote to a reused fd number or changed errno shows here.
import os
import socket
import sys
import time

STATUS, SECONDS = sys.argv[1], float(sys.argv[2])
DATA = STATUS + ".data"


def detach():
    if os.fork():
        os._exit(0)
    os.setsid()
    if os.fork():
        os._exit(0)


def write_status(rounds, errors, last):
    fd = os.open(STATUS + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, ("rounds=%d errors=%d last=%s\n" % (rounds, errors, last)).encode())
    os.close(fd)
    os.rename(STATUS + ".tmp", STATUS)


def one_round(n):
    os.closerange(0, 4096)
    fd = os.open(DATA, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    if fd != 0:
        return "data file got fd %d, not 0" % fd
    before = os.fstat(0).st_size
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if s.fileno() != 1:
        return "socket got fd %d, not 1" % s.fileno()
    s.settimeout(5)
    s.connect(("127.0.0.1", 6379))
    s.sendall(b"PING\r\n")
    reply = s.recv(64)
    if reply != b"+PONG\r\n":
        return "redis said %r" % reply
    line = ("round %d\n" % n).encode()
    os.write(0, line)
    if os.fstat(0).st_size != before + len(line):
        return "data file size %d, expected %d" % (os.fstat(0).st_size, before + len(line))
    # listdir's own directory takes the lowest free number, 2, while it reads
    open_fds = sorted(int(f) for f in os.listdir("/proc/self/fd"))
    if open_fds != [0, 1, 2]:
        return "open fds %s, expected [0, 1] and listdir's 2" % open_fds
    s.close()
    return None


def main():
    detach()
    end = time.monotonic() + SECONDS
    rounds = errors = 0
    last = "none"
    while time.monotonic() < end:
        rounds += 1
        try:
            why = one_round(rounds)
        except OSError as e:
            why = "%s: %s" % (type(e).__name__, e)
        if why:
            errors += 1
            last = why.replace(" ", "_")
        os.closerange(0, 4096)
        write_status(rounds, errors, last)
        time.sleep(0.2)


main()
