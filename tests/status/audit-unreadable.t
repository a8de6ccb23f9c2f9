#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ka-status --all run by a user who can read no process with a connection
# never claims that no process has one: it says how many could not be read,
# on stdout, and exits 1. Control: root, reading the same processes, lists
# the connection.
source "$(dirname "$0")/../lib/common.sh"

if ! need_root; then
	skip "ka-status --all unreadable" "needs root (a root-owned connection, then setpriv to nobody)"
	finish
fi
if [ ! -x "$KA_STATUS" ] || ! command -v setpriv >/dev/null; then
	fail "ka-status --all unreadable" "$KA_STATUS or setpriv is missing"
	finish
fi
tmp=$(mktemp -d /tmp/kashim-st.XXXXXX)
trap 'kill $srv 2>/dev/null; rm -rf "$tmp"' EXIT
"$PYTHON" -c '
import socket, sys, time
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)
c = socket.create_connection(l.getsockname()); a, _ = l.accept()
open(sys.argv[1], "w").close(); time.sleep(60)' "$tmp/up" &
srv=$!
for _ in $(seq 100); do [ -e "$tmp/up" ] && break; sleep 0.05; done

out=$(cd / && setpriv --reuid=nobody --regid=nogroup --clear-groups "$KA_STATUS" --all 2>"$tmp/err")
rc=$?
expect_eq "ka-status --all as nobody: exit status 1" 1 "$rc"
check "ka-status --all as nobody: says processes could not be read, never that none has a connection" \
	bash -c "grep -q 'could not be read' <<<\"\$1\" && ! grep -q '^No process has' <<<\"\$1\"" _ "$out"
out=$("$KA_STATUS" --all)
check "ka-status --all control as root: the connection is listed" grep -Eq "^ *$srv +python3" <<<"$out"
finish
