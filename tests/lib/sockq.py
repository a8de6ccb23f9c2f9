# SPDX-License-Identifier: MIT
"""sockq.py - pick one socket out of `ka-status --json PID` (on stdin).

    sockq.py FILTER...   FILTER is state=NAME, local=PORT, remote=PORT or fd=N

Prints the keepalive settings of the first matching socket on one line,
"on IDLE INTERVAL COUNT USER_TIMEOUT" or "off IDLE INTERVAL COUNT
USER_TIMEOUT", and exits 0; exits 1 when no socket matches, 3 when the
input is not ka-status's JSON (so a broken ka-status fails the test loudly
instead of looking like a socket that has not appeared yet).
"""
import json
import sys


def port_of(address):
    return None if address is None else address.rsplit(":", 1)[1]


def matches(sock, filters):
    for key, value in filters:
        if key == "state" and sock["state"] != value:
            return False
        if key == "local" and port_of(sock["local"]) != value:
            return False
        if key == "remote" and port_of(sock["remote"]) != value:
            return False
        if key == "fd" and str(sock["fd"]) != value:
            return False
    return True


def main():
    filters = [arg.split("=", 1) for arg in sys.argv[1:]]
    try:
        doc = json.load(sys.stdin)
        sockets = [s for p in doc["processes"] for s in p["sockets"]]
    except (ValueError, KeyError, TypeError) as e:
        print("sockq: not ka-status JSON: %s" % e, file=sys.stderr)
        return 3
    for sock in sockets:
        if matches(sock, filters):
            print("%s %d %d %d %d" % ("on" if sock["keepalive"] else "off", sock["idle"],
                                      sock["interval"], sock["count"], sock["user_timeout"]))
            return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
