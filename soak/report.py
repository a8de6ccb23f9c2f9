#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# report.py OUT VARIANT... - the soak's report from what soak.sh collected
# in OUT/VARIANT/ (K: the kashim container, C: the control). Prints, per
# run: client errors, every established and listening TCP socket against
# keepalive.conf, kashim's log lines, crashes, fd and RSS per daemon at
# start and end, the paired throughput ratio; then one verdict line per
# run. Exit status 1 when any run shows something kashim caused, else 0.
import glob
import json
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import conf  # noqa: E402

PROBE = "soak-logprobe"  # the value of the log probe's bad KASHIM_IDLE
DAEMONS = {  # name: a regular expression on the command line
    "rsyslogd": r"^rsyslogd", "sshd": r"^sshd: /usr/sbin/sshd|^/usr/sbin/sshd",
    "redis-server": r"^redis-server", "postgres": r"^/usr/lib/postgresql/\d+/bin/postgres",
    "nginx": r"^nginx: master", "cron": r"^cron", "closer": r"closer\.py",
}
CRASH = re.compile(r"segfault|signal 11|SIGSEGV|SIGABRT|core dumped|terminated by signal|exited on signal")


def lines(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except OSError:
        return []


def snapshots(d, name):
    """Every (comm, pid, socket) ka-status read in the snapshots @name
    (a glob: "K-*" is every reading of the kashim container)."""
    out = []
    for path in sorted(glob.glob(os.path.join(d, "snap", name + ".json"))):
        try:
            with open(path) as f:
                data = json.load(f)
        except (OSError, ValueError):
            continue
        for p in data.get("processes", []):
            for s in p.get("sockets", []):
                if s.get("protocol") == "tcp":
                    s["snapshot"] = path
                    out.append((p["command"], p["pid"], s))
    return out


def port(addr):
    return int(addr.rpartition(":")[2]) if addr else 0


def classify(obs):
    """(comm, kind, port, socket) for LISTEN and ESTABLISHED sockets."""
    listening = {port(s["local"]) for _, _, s in obs if s["state"] == "LISTEN"}
    out = []
    for comm, pid, s in obs:
        if s["state"] == "LISTEN":
            out.append((comm, pid, "listen", port(s["local"]), s))
        elif s["state"] == "ESTABLISHED":
            if port(s["local"]) in listening:
                out.append((comm, pid, "accepted", port(s["local"]), s))
            else:
                out.append((comm, pid, "connected", port(s["remote"]), s))
    return out


def values(s):
    return {"keepalive": int(bool(s["keepalive"])), "idle": s["idle"], "interval": s["interval"],
            "count": s["count"], "user_timeout": s["user_timeout"]}


def own_choices(control, untouched):
    """What each (comm, kind, port), and each (comm, kind), set itself in
    the control run: the fields that differ from an untouched socket."""
    seen = {}
    for comm, _, kind, p, s in control:
        v = values(s)
        own = tuple(sorted((f, v[f]) for f in conf.FIELDS if v[f] != untouched[f]))
        for key in ((comm, kind, p), (comm, kind)):
            seen.setdefault(key, {}).setdefault(own, 0)
            seen[key][own] += 1
    return {k: dict(max(c.items(), key=lambda kv: kv[1])[0]) for k, c in seen.items()}


def recheck(s, want):
    """The same socket (process, fd, addresses) in the reading taken right
    after the one that found it wrong: "right" when it has been configured
    since (a connect() that returned to kashim but not yet to the program:
    with rules, kashim configures a socket just after the connect system
    call, and a reading can fall in between), "wrong" when it still reads
    wrong, "gone" when it no longer exists."""
    try:
        with open(s["snapshot"] + ".recheck") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return "gone"
    for p in data.get("processes", []):
        if p["pid"] != s["pid"]:
            continue
        for t in p.get("sockets", []):
            if (t["fd"], t["local"], t["remote"], t["state"]) == (s["fd"], s["local"], s["remote"], s["state"]):
                return "right" if values(t) == want else "wrong"
    return "gone"


def check_sockets(variant, d, untouched, problems, out):
    K, C = classify(snapshots(d, "K-*")), classify(snapshots(d, "C-*"))
    own = own_choices(C, untouched)
    wrong, seen, unpaired, control_differs, control_n = [], set(), set(), 0, 0
    sources = {}
    for comm, pid, kind, p, s in K:
        o = own.get((comm, kind, p), own.get((comm, kind)))
        if o is None:
            unpaired.add("%s %s %d" % (comm, kind, p))
        want, why = conf.expect(variant, comm, kind, s["local"], s["remote"], untouched, o or {})
        got = values(s)
        seen.add((pid, s["fd"], s["local"], s["remote"]))
        src = why.split(";")[0]
        sources[src] = sources.get(src, 0) + 1
        if got != want:
            s["pid"] = pid
            again = recheck(s, want)
            wrong.append((again, "%s[%d] %s %s %s->%s: read %s, file says %s (%s); read again: %s" % (
                comm, pid, kind, s["state"], s["local"], s["remote"] or "", fmt(got), fmt(want), why,
                {"right": "right (configured after the first reading)", "wrong": "still wrong",
                 "gone": "gone"}[again])))
    for comm, pid, kind, p, s in C:
        control_n += 1
        want, _ = conf.expect(variant, comm, kind, s["local"], s["remote"], untouched, {})
        if values(s) != want:
            control_differs += 1
    kinds = {}
    for _, _, kind, _, _ in K:
        kinds[kind] = kinds.get(kind, 0) + 1
    confirmed = [w for a, w in wrong if a == "wrong"]
    out.append("sockets: %d readings of %d sockets (%s) compared with the file: %d wrong (%d still wrong when "
               "read again, %d right by then, %d gone)%s" % (
        len(K), len(seen), ", ".join("%s %d" % kv for kv in sorted(kinds.items())), len(wrong),
        len(confirmed), sum(1 for a, _ in wrong if a == "right"), sum(1 for a, _ in wrong if a == "gone"),
        "; no control reading of the same program and kind for: %s" % ", ".join(sorted(unpaired))
        if unpaired else ""))
    out.append("  readings by what decides them: " + ", ".join("%s %d" % kv for kv in sorted(sources.items())))
    out.append("  control: %d of %d readings differ from what the file says (the comparison can fail)" % (
        control_differs, control_n))
    uniq = sorted(set(wrong))
    for a, w in uniq[:20]:
        out.append("  %s %s" % ("WRONG" if a == "wrong" else "wrong once", w))
    if len(uniq) > 20:
        out.append("  ... %d more" % (len(uniq) - 20))
    # Only a socket read wrong twice is kashim's fault for sure; one read
    # wrong and then gone is listed, and counted separately below.
    if confirmed:
        problems.append("%d socket readings still wrong when read again" % len(confirmed))
    gone = sum(1 for a, _ in wrong if a == "gone")
    if gone > max(1, len(K) // 100):
        problems.append("%d socket readings wrong, then gone before a second reading (over 1%%)" % gone)
    if not K:
        problems.append("no socket read in the kashim container")


def norm(addr):
    host, _, p = (addr or "").rpartition(":")
    host = host.strip("[]")
    return (host[7:] if host.startswith("::ffff:") else host) + ":" + p


def check_ss(d, problems, out):
    """ss inside the kashim container against ka-status from the host, at
    the end: the same established sockets with keepalive on."""
    ss = set()
    for line in lines(os.path.join(d, "K", "ss-end")):
        f = line.split()
        if len(f) >= 4 and "timer:(keepalive" in line:
            ss.add((norm(f[2]), norm(f[3])))
    ka = {(norm(s["local"]), norm(s["remote"])) for _, _, s in snapshots(d, "K-end")
          if s["state"] == "ESTABLISHED" and s["keepalive"]}
    n = len(lines(os.path.join(d, "K", "ss-end")))
    out.append("ss inside vs ka-status outside, at the end: %d established, %d with a keepalive timer (ss), "
               "%d with SO_KEEPALIVE (ka-status), %d differ" % (n, len(ss), len(ka), len(ss ^ ka)))
    for x in sorted(ss ^ ka)[:10]:
        out.append("  DIFFER %s %s->%s" % ("ss only" if x in ss else "ka-status only", x[0], x[1]))
    if ss ^ ka:
        problems.append("ss and ka-status disagree on %d sockets" % len(ss ^ ka))


def fmt(v):
    return "%s/%d/%d/%d/%d" % ("on" if v["keepalive"] else "off", v["idle"], v["interval"], v["count"],
                               v["user_timeout"])


def check_load(d, problems, out):
    res = {}
    for line in lines(os.path.join(d, "results")):
        f = line.split()
        if len(f) < 6:
            continue
        kv = dict(x.split("=", 1) for x in f[4:] if "=" in x)
        res.setdefault(f[2], {}).setdefault(f[3], []).append(
            (int(f[1]), float(kv.get("rate", 0)), int(kv.get("errors", 1))))
    out.append("load (mean rate per second; ratio = kashim / control over the run, median and range of the")
    out.append("      per-round ratios, each round loading both in turns; client errors kashim/control):")
    out.append("  %-10s %7s %12s %12s %7s %7s %13s %7s" % ("workload", "rounds", "kashim", "control", "ratio",
                                                            "median", "round range", "errors"))
    for w, sides in res.items():
        k, c = sides.get("K", []), sides.get("C", [])
        ks, cs = sum(r for _, r, _ in k), sum(r for _, r, _ in c)
        ke, ce = sum(e for _, _, e in k), sum(e for _, _, e in c)
        cr = dict((n, r) for n, r, _ in c)
        per = [r / cr[n] for n, r, _ in k if cr.get(n)]
        out.append("  %-10s %7d %12.1f %12.1f %7.3f %7.3f %6.2f-%-6.2f %4d/%d" % (
            w, len(k), ks / max(len(k), 1), cs / max(len(c), 1), ks / cs if cs else 0,
            statistics.median(per) if per else 0, min(per, default=0), max(per, default=0), ke, ce))
        if ke > ce:
            problems.append("%s: %d client errors with kashim, %d in the control" % (w, ke, ce))
    rel = {}
    for line in lines(os.path.join(d, "reloads")):
        f = line.split()
        rel.setdefault(f[3], []).append(f[4])
    kr = sum(1 for x in rel.get("K", []) if x != "rc=0")
    cr_ = sum(1 for x in rel.get("C", []) if x != "rc=0")
    out.append("reloads (nginx, postgres, rsyslog, kashim-compile if built): %d, failed %d/%d" % (
        len(rel.get("K", [])), kr, cr_))
    if kr > cr_:
        problems.append("%d reloads failed with kashim" % kr)


def check_logs(d, problems, out):
    for side in ("K", "C"):
        log = lines(os.path.join(d, side, "syslog"))
        ka = [x for x in log if "kashim" in x]
        probe = [x for x in ka if PROBE in x]
        other = [x for x in ka if PROBE not in x]
        out.append("log %s: %d syslog lines, %d from kashim (+%d from the log probe)" % (
            "kashim " if side == "K" else "control", len(log), len(other), len(probe)))
        for x in other[:10]:
            out.append("  LOG " + x)
        if side == "K":
            if other:
                problems.append("%d kashim log lines" % len(other))
            if not probe:
                problems.append("the log probe's line is not in syslog: log capture does not work")
        crashes = [x for x in lines(os.path.join(d, side, "daemon.log")) + lines(
            os.path.join(d, side, "console.log")) if CRASH.search(x)]
        for x in crashes[:10]:
            out.append("  CRASH %s %s" % (side, x))
        if side == "K" and crashes:
            problems.append("%d crash lines in the daemons' logs" % len(crashes))


def procs(path):
    out = {}
    for line in lines(path):
        f = line.split(None, 3)
        if len(f) == 4:
            out[int(f[0])] = (int(f[1]), int(f[2]), f[3])
    return out


def name_of(cmd):
    for n, rx in DAEMONS.items():
        if re.search(rx, cmd):
            return n
    return re.sub(r"[\d.:()]+", "", cmd).strip()[:40]


def growth(d, side):
    """name -> [fds start, fds end, rss start, rss end] over the processes
    alive at both times."""
    a, b = procs(os.path.join(d, side, "procs-start")), procs(os.path.join(d, side, "procs-end"))
    g = {}
    for pid in a.keys() & b.keys():
        n = name_of(a[pid][2])
        x = g.setdefault(n, [0, 0, 0, 0])
        x[0] += a[pid][0]
        x[1] += b[pid][0]
        x[2] += a[pid][1]
        x[3] += b[pid][1]
    alive = {name_of(c) for _, _, c in b.values()}
    return g, alive


def check_procs(d, problems, out):
    gk, ak = growth(d, "K")
    gc, ac = growth(d, "C")
    out.append("processes alive at start and end: fds start->end, RSS kB start->end (kashim | control):")
    for n in sorted(gk):
        k, c = gk[n], gc.get(n)
        out.append("  %-30s %4d->%-4d %7d->%-7d | %s" % (
            n, k[0], k[1], k[2], k[3],
            "%4d->%-4d %7d->%-7d" % tuple(c) if c else "(none)"))
        if c is None:
            continue
        if k[1] - k[0] > max(c[1] - c[0], 0):
            problems.append("%s: fds grew %d->%d with kashim, %d->%d in the control" % (n, k[0], k[1], c[0], c[1]))
        if (k[3] - k[2]) - max(c[3] - c[2], 0) > max(2048, k[2] // 10):
            problems.append("%s: RSS grew %d->%d kB with kashim, %d->%d in the control" % (
                n, k[2], k[3], c[2], c[3]))
    for n in DAEMONS:
        if n not in ak and n in ac:
            problems.append("%s is gone at the end with kashim (alive in the control)" % n)
    missing = [n for n in DAEMONS if n not in ak]
    out.append("daemons alive at the end with kashim: %d of %d%s" % (
        len(DAEMONS) - len(missing), len(DAEMONS), " (missing: %s)" % " ".join(missing) if missing else ""))


def check_closer_cron(d, problems, out):
    st = {}
    for side in ("K", "C"):
        line = " ".join(lines(os.path.join(d, side, "closer.status")))
        m = re.search(r"rounds=(\d+) errors=(\d+) last=(\S+)", line)
        st[side] = (int(m.group(1)), int(m.group(2)), m.group(3)) if m else (0, 0, "no status")
        cron = lines(os.path.join(d, side, "cron.log"))
        st[side] += (sum(1 for x in cron if x.strip() == "PONG"), sum(1 for x in cron if x.strip() != "PONG"))
    out.append("fd-closing daemon: %d rounds, %d errors (last: %s) | control %d rounds, %d errors" % (
        st["K"][0], st["K"][1], st["K"][2], st["C"][0], st["C"][1]))
    out.append("cron job (redis-cli ping every minute): %d ok, %d bad | control %d ok, %d bad" % (
        st["K"][3], st["K"][4], st["C"][3], st["C"][4]))
    if st["K"][0] == 0:
        problems.append("the fd-closing daemon did not run")
    if st["K"][1] > st["C"][1]:
        problems.append("the fd-closing daemon saw %d errors with kashim (%s)" % (st["K"][1], st["K"][2]))
    if st["K"][4] > st["C"][4]:
        problems.append("the cron job failed %d times with kashim" % st["K"][4])


def report(out_dir, variant):
    d = os.path.join(out_dir, variant)
    out, problems = [], []
    u = [int(x) for x in " ".join(lines(os.path.join(d, "untouched"))).split()]
    if len(u) != 3:
        return ["run %s: no data (%s)" % (variant, d)], ["the run did not complete"]
    untouched = {"keepalive": 0, "idle": u[0], "interval": u[1], "count": u[2], "user_timeout": 0}
    rounds = " ".join(lines(os.path.join(d, "rounds")))
    compiled = " ".join(lines(os.path.join(d, "K", "etc-files")))
    out.append("== run %s: %s rounds; files in the kashim root: %s" % (variant, rounds, compiled))
    check_load(d, problems, out)
    check_sockets(variant, d, untouched, problems, out)
    check_ss(d, problems, out)
    check_logs(d, problems, out)
    check_closer_cron(d, problems, out)
    check_procs(d, problems, out)
    return out, problems


def main():
    if len(sys.argv) < 3:
        sys.stderr.write("usage: report.py OUT VARIANT...\n")
        return 2
    bad = False
    verdicts = []
    for v in sys.argv[2:]:
        out, problems = report(sys.argv[1], v)
        print("\n".join(out))
        verdicts.append("soak %s: %s" % (v, "FAIL: " + "; ".join(problems) if problems else "PASS"))
        bad = bad or bool(problems)
        print()
    print("\n".join(verdicts))
    return 1 if bad else 0


sys.exit(main())
