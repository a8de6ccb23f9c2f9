#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# probe.py SCENARIO BASE - the programs of tests/rules/*.t. Each scenario
# makes its sockets the way ordinary programs do and prints one line per
# socket: "NAME keepalive/idle/interval/count/user_timeout" read with
# getsockopt() from inside, plus "NAME-errno N" where errno matters. BASE
# is the first of the ports the scenario uses (BASE..BASE+39).
import errno
import os
import socket
import subprocess
import sys

TCP = socket.IPPROTO_TCP
TCP_USER_TIMEOUT = getattr(socket, "TCP_USER_TIMEOUT", 18)


def opts(s):
    g = s.getsockopt
    return "%d/%d/%d/%d/%d" % (
        g(socket.SOL_SOCKET, socket.SO_KEEPALIVE) and 1,
        g(TCP, socket.TCP_KEEPIDLE),
        g(TCP, socket.TCP_KEEPINTVL),
        g(TCP, socket.TCP_KEEPCNT),
        g(TCP, TCP_USER_TIMEOUT),
    )


def say(name, value):
    print(name, value, flush=True)


def listener(family, host, port):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(8)
    return s


def client(base):
    """Connections to several addresses and ports, one rule each."""
    keep = []
    cases = [
        ("c-127.0.0.1", socket.AF_INET, "127.0.0.1", base),
        ("c-127.0.0.2", socket.AF_INET, "127.0.0.2", base + 1),
        ("c-::1", socket.AF_INET6, "::1", base + 2),
        ("c-off", socket.AF_INET, "127.0.0.1", base + 3),
        ("c-norule", socket.AF_INET, "127.0.0.1", base + 4),
    ]
    for name, family, host, port in cases:
        keep.append(listener(family, host, port))
        c = socket.socket(family, socket.SOCK_STREAM)
        c.connect((host, port))
        keep.append(c)
        say(name, opts(c))
    # keepalive = false in the rule: what the program set itself stays.
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    c.setsockopt(TCP, socket.TCP_KEEPIDLE, 777)
    c.connect(("127.0.0.1", base + 3))
    keep.append(c)
    say("c-off-own", opts(c))
    # An IPv6 socket to an IPv4-mapped address, as Java makes them.
    keep.append(listener(socket.AF_INET, "127.0.0.1", base + 5))
    c = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    c.connect(("::ffff:127.0.0.1", base + 5))
    keep.append(c)
    say("c-mapped", opts(c))
    # UDP connect() to an address a rule matches: untouched.
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.connect(("127.0.0.1", base))
    say("c-udp", u.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) and 1)


def server(base):
    """Three listeners; the connections each accepts."""
    keep = []
    for port in (base + 10, base + 11, base + 12):
        l = listener(socket.AF_INET, "0.0.0.0", port)
        c = socket.create_connection(("127.0.0.1", port))
        a, _ = l.accept()
        keep += [l, c, a]
        say("accepted-%d" % (port - base), opts(a))
    # An IPv6 listener accepting an IPv4 client (mapped on the server side).
    l = listener(socket.AF_INET6, "::", base + 13)
    c = socket.create_connection(("127.0.0.1", base + 13))
    a, _ = l.accept()
    keep += [l, c, a]
    say("accepted-13", opts(a))


def inherit(base):
    """A listener made before the shim runs, accepted on by a shimmed child."""
    l = listener(socket.AF_INET, "127.0.0.1", base + 20)
    env = dict(os.environ)
    pre = env.pop("PROBE_CHILD_PRELOAD", "")
    if pre:
        env["LD_PRELOAD"] = pre
    child = subprocess.Popen(
        [sys.executable, __file__, "accept-fd", str(l.fileno())],
        env=env, pass_fds=[l.fileno()])
    c = socket.create_connection(("127.0.0.1", base + 20))
    child.wait(timeout=30)
    c.close()


def accept_fd(fd):
    l = socket.socket(fileno=int(fd))
    a, _ = l.accept()
    say("inherited", opts(a))


def nonblock(base):
    """A non-blocking connect (EINPROGRESS) and a refused one, reused."""
    l = listener(socket.AF_INET, "127.0.0.1", base + 30)
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setblocking(False)
    say("nb-errno", c.connect_ex(("127.0.0.1", base + 30)))
    say("nb", opts(c))
    r = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    say("refused-errno", r.connect_ex(("127.0.0.1", base + 31)))
    say("refused", opts(r))
    l2 = listener(socket.AF_INET, "127.0.0.1", base + 31)
    say("again-errno", r.connect_ex(("127.0.0.1", base + 31)))
    say("again", opts(r))
    l.close()
    l2.close()


def own(base):
    """The program's own keepalive calls, before and after connect()."""
    keep = [listener(socket.AF_INET, "127.0.0.1", base + 32),
            listener(socket.AF_INET, "127.0.0.1", base + 33)]
    for name, port in (("own-kept", base + 32), ("own-overridden", base + 33)):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.setsockopt(TCP, socket.TCP_KEEPIDLE, 444)
        c.connect(("127.0.0.1", port))
        c.setsockopt(TCP, socket.TCP_KEEPCNT, 44)
        keep.append(c)
        say(name, opts(c))


if __name__ == "__main__":
    what, arg = sys.argv[1], sys.argv[2]
    if what == "accept-fd":
        accept_fd(arg)
    else:
        {"client": client, "server": server, "inherit": inherit, "nonblock": nonblock, "own": own}[what](int(arg))
