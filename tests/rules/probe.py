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


def fastopen(base):
    """Connected without connect(): TCP Fast Open's sendto(MSG_FASTOPEN)."""
    l = listener(socket.AF_INET, "127.0.0.1", base + 34)
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        c.sendto(b"x", socket.MSG_FASTOPEN, ("127.0.0.1", base + 34))
    except OSError as e:
        say("tfo-errno", e.errno)
    a, _ = l.accept()
    say("tfo", opts(c))
    say("tfo-peer", c.getpeername()[1] - base)


def own_accepted(base):
    """A server that sets its own TCP_KEEPIDLE on each connection (redis,
    PostgreSQL), on a listener a rule may cover and on one no rule covers."""
    keep = []
    for name, port in (("srv-rule", base + 35), ("srv-norule", base + 36)):
        l = listener(socket.AF_INET, "127.0.0.1", port)
        c = socket.create_connection(("127.0.0.1", port))
        a, _ = l.accept()
        a.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        a.setsockopt(TCP, socket.TCP_KEEPIDLE, 300)
        keep += [l, c, a]
        say(name, opts(a))


def refused_elsewhere(base):
    """A non-blocking connect refused, then the same socket connected to
    another destination; one dissolved with AF_UNSPEC, then reconnected."""
    import select
    l = listener(socket.AF_INET, "127.0.0.1", base + 38)
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setblocking(False)
    c.connect_ex(("127.0.0.1", base + 37))      # nobody listens there
    select.select([], [c], [], 5)
    say("retry-first-errno", c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
    c.setblocking(True)
    # Linux reports the failure once more (ECONNABORTED), then connects.
    err = errno.ECONNABORTED
    for _ in range(3):
        err = c.connect_ex(("127.0.0.1", base + 38))
        if err != errno.ECONNABORTED:
            break
    say("retry-errno", err)
    say("retry", opts(c))
    l2 = listener(socket.AF_INET, "127.0.0.1", base + 37)
    d = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    d.connect(("127.0.0.1", base + 37))
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    unspec = ctypes.create_string_buffer(16)    # sa_family 0: AF_UNSPEC
    say("unspec-ret", libc.connect(d.fileno(), unspec, 16))
    say("unspec-errno", d.connect_ex(("127.0.0.1", base + 38)))
    say("unspec", opts(d))
    keep = [l, l2]


def sockaddr_edges(base):
    """A 24-byte sockaddr_in6 (no scope id) and an unreadable address."""
    import ctypes, struct
    libc = ctypes.CDLL(None, use_errno=True)
    l = listener(socket.AF_INET6, "::1", base + 39)
    c = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    sa = struct.pack("=H", socket.AF_INET6) + struct.pack("!H", base + 39) + b"\0" * 4 + \
        socket.inet_pton(socket.AF_INET6, "::1")
    buf = ctypes.create_string_buffer(sa, 24)
    say("in6-24-ret", libc.connect(c.fileno(), buf, 24))
    say("in6-24", opts(c))
    e = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ret = libc.connect(e.fileno(), ctypes.c_void_p(8), 16)
    say("efault", "%d/%d" % (ret, ctypes.get_errno()))
    keep = [l]


def reused(base):
    """State dies with its socket: an fd number closed by close_range() and
    reused by an accepted connection, and by a UNIX listener."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    keep = [listener(socket.AF_INET, "127.0.0.1", base + 33)]
    l = listener(socket.AF_INET, "127.0.0.1", base + 32)
    o = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    o.connect(("127.0.0.1", base + 33))           # override = true there
    n = o.detach()
    c = socket.create_connection(("127.0.0.1", base + 32))
    libc.close_range(n, n, 0)
    a, _ = l.accept()
    say("reused-same-number", int(a.fileno() == n))
    a.setsockopt(TCP, socket.TCP_KEEPIDLE, 555)
    say("reused-accepted", opts(a))
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)   # with rules: refined at listen
    m = t.detach()
    libc.closefrom(m)
    import tempfile
    u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    say("unix-same-number", int(u.fileno() == m))
    u.bind(os.path.join(tempfile.mkdtemp(), "s"))
    u.listen(1)
    say("unix-listener", u.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) and 1)
    keep += [l, c, a, u]


def early_listener(base):
    """A listener: its options are set before listen() (strace shows it)."""
    l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    l.bind(("127.0.0.1", base + 30))
    l.listen(4)
    say("early", opts(l))


def vfork_child(base):
    """The program's own SO_KEEPALIVE=0, then a subprocess (vfork and
    close_range in the child, Python 3.11), then connect()."""
    l = listener(socket.AF_INET, "127.0.0.1", base + 30)
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 0)
    subprocess.run(["/bin/true"], close_fds=True, check=True)
    c.connect(("127.0.0.1", base + 30))
    say("vfork", opts(c))
    keep = [l]


def inherited_choice(base):
    """A socket whose program chose keepalive (on, idle 333), connected by
    a child it passed the fd to."""
    l = listener(socket.AF_INET, "127.0.0.1", base + 30)
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    c.setsockopt(TCP, socket.TCP_KEEPIDLE, 333)
    subprocess.run([sys.executable, __file__, "connect-fd", "%d:%d" % (c.fileno(), base + 30)],
                   pass_fds=[c.fileno()], check=True)
    keep = [l]


def connect_fd(arg):
    fd, port = (int(x) for x in arg.split(":"))
    c = socket.socket(fileno=fd)
    c.connect(("127.0.0.1", port))
    say("inherited-choice", opts(c))


if __name__ == "__main__":
    what, arg = sys.argv[1], sys.argv[2]
    if what == "accept-fd":
        accept_fd(arg)
    elif what == "connect-fd":
        connect_fd(arg)
    else:
        {"client": client, "server": server, "inherit": inherit, "nonblock": nonblock, "own": own,
         "fastopen": fastopen, "own-accepted": own_accepted, "refused-elsewhere": refused_elsewhere,
         "sockaddr-edges": sockaddr_edges, "reused": reused, "early-listener": early_listener,
         "vfork-child": vfork_child, "inherited-choice": inherited_choice}[what](int(arg))
