#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# conf.py - the keepalive.conf files the soak runs with, declared once as
# data: `conf.py write VARIANT FILE` writes one, and expect() says what a
# socket must read under it. The reading is worked out here from the
# declaration (defaults, top level, the program section named like the
# process, the first matching rule, keepalive = false, the program's own
# setsockopt() choices seen in the control run), not by kashim's code.
import sys

DEFAULTS = {"keepalive": 1, "idle": 60, "interval": 10, "count": 5, "user_timeout": 0}
FIELDS = ("keepalive", "idle", "interval", "count", "user_timeout")

# Each variant: top-level keys, rules (kind, SPEC, keys), program sections
# (name -> keys and rules). SPECs use only *, ":PORT", "*:PORT", "IP:PORT".
VARIANTS = {
    "norules": {
        "top": {"idle": 41, "interval": 7, "count": 4},
        "rules": [],
        "programs": {
            "redis-server": {"keys": {"idle": 42}, "rules": []},
            "sshd": {"keys": {"idle": 43, "count": 3}, "rules": []},
        },
    },
    "rules": {
        "top": {"idle": 41, "interval": 7, "count": 4},
        "rules": [
            ("listen", ":5432", {"idle": 51}),
            ("listen", ":22", {"idle": 52, "count": 3}),
            ("destination", ":8081", {"idle": 53}),
            ("destination", "127.0.0.1:6379", {"idle": 54, "interval": 5}),
        ],
        "programs": {
            "redis-server": {"keys": {"idle": 42},
                             "rules": [("listen", "*:6379", {"keepalive": False})]},
            "nginx": {"keys": {}, "rules": [("listen", "127.0.0.1:8080", {"idle": 55})]},
        },
    },
}


def _value(v):
    return ("true" if v else "false") if isinstance(v, bool) else str(v)


def _keys(keys, indent):
    return "".join("%s%s = %s\n" % (indent, k, _value(v)) for k, v in keys.items())


def _rules(rules, indent):
    return "".join('%s%s "%s" {\n%s%s}\n' % (indent, kind, spec, _keys(keys, indent + "\t"), indent)
                   for kind, spec, keys in rules)


def text(variant):
    v = VARIANTS[variant]
    out = "# keepalive.conf of the soak, variant %s (soak/conf.py)\n" % variant
    out += _keys(v["top"], "") + _rules(v["rules"], "")
    for name, p in v["programs"].items():
        out += 'program "%s" {\n%s%s}\n' % (name, _keys(p["keys"], "\t"), _rules(p["rules"], "\t"))
    return out


def _spec_match(spec, addr):
    """addr is "IP:PORT" or "[IP6]:PORT" as ka-status prints it."""
    host, _, port = addr.rpartition(":")
    host = host.strip("[]")
    if host.startswith("::ffff:"):
        host = host[7:]
    want_host, _, want_port = spec.rpartition(":") if ":" in spec else (spec, "", "")
    if want_port and int(want_port) != int(port):
        return False
    return want_host in ("", "*") or want_host == host


def expect(variant, comm, kind, local, remote, untouched, own):
    """What a socket of process @comm must read: kind is "listen",
    "accepted" or "connected"; @untouched the kernel's values of an
    untouched socket; @own the fields the program set itself (from the
    control run). Returns (dict of FIELDS, why)."""
    v = VARIANTS[variant]
    prog = v["programs"].get(comm, {"keys": {}, "rules": []})
    s = dict(DEFAULTS)
    s.update(v["top"])
    s.update(prog["keys"])
    why = "program %s" % comm if comm in v["programs"] else "top level"
    want_kind, addr = ("destination", remote) if kind == "connected" else ("listen", local)
    for rkind, spec, keys in prog["rules"] + v["rules"]:
        if rkind == want_kind and _spec_match(spec, addr):
            s.update(keys)
            why = '%s "%s"' % (rkind, spec)
            break
    if s["keepalive"] is False:
        s = dict(untouched)
        why += " (keepalive = false: as the program made it)"
    s = {f: int(s[f]) for f in FIELDS}
    s.update(own)
    if own:
        why += "; the program set %s itself" % ",".join(sorted(own))
    return s, why


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "write" or sys.argv[2] not in VARIANTS:
        sys.stderr.write("usage: conf.py write %s FILE\n" % "|".join(VARIANTS))
        sys.exit(2)
    with open(sys.argv[3], "w") as f:
        f.write(text(sys.argv[2]))
