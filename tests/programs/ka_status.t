# SPDX-License-Identifier: MIT
# ka_status.t - ka-status itself, against an oracle it does not share: a
# python process (target.py) that sets its sockets' options with its own
# setsockopt() calls and reports its own getsockopt() readings. The other
# harness tests trust ka-status's readings; this file is why they may.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"
h_ready || finish

h_listen_peer PEER || { fail ka-status-peer "peer did not start"; finish; }
h_start target "$PYTHON" "$H_DIR/target.py" "$PEER" "$H_TMP"
if ! h_wait_file "$H_TMP/fds"; then
	fail ka-status-target "target.py did not start ($(h_diag target))"
	finish
fi
fd_of() { awk -v n="$1" '$1 == n { print $2 }' "$H_TMP/fds"; }
port_of() { awk -v n="$1" '$1 == n { print $3 }' "$H_TMP/fds"; }
# self_dump N: ask the target for its own reading, into self.N.
self_dump() {
	kill -USR1 "$target" && h_wait_file "$H_TMP/self.$1"
}
self_of() { awk -v n="$1" '$1 == n { $1 = ""; print substr($0, 2) }' "$H_TMP/self.$2"; }

self_dump 1 || fail ka-status-self-dump "target did not answer SIGUSR1"

# The readings ka-status gives equal what the process reads itself.
expect_eq ka-status-configured "on 123 45 6 7890" "$(h_query "$target" fd="$(fd_of configured)")"
expect_eq ka-status-configured-matches-self "$(self_of configured 1)" \
	"$(h_query "$target" fd="$(fd_of configured)")"
got=$(h_query "$target" fd="$(fd_of plain)")
expect_eq ka-status-plain-off off "${got%% *}"
expect_eq ka-status-plain-matches-self "$(self_of plain 1)" "$got"
expect_eq ka-status-listener "LISTEN on 99" \
	"LISTEN $(h_query "$target" state=LISTEN local="$(port_of listener)" | cut -d' ' -f1-2)"

json=$("$KA_STATUS" --json "$target")
# Exactly the three TCP sockets: not the UDP or the Unix socket.
expect_eq ka-status-only-tcp "$(fd_of configured) $(fd_of plain) $(fd_of listener)" \
	"$("$PYTHON" -c 'import json,sys; print(*sorted(s["fd"] for p in json.load(sys.stdin)["processes"] for s in p["sockets"]))' <<<"$json")"
expect_eq ka-status-json-fields "ESTABLISHED 127.0.0.1:$PEER python3" \
	"$("$PYTHON" -c 'import json,sys
p = json.load(sys.stdin)["processes"][0]
s = [s for s in p["sockets"] if s["fd"] == int(sys.argv[1])][0]
print(s["state"], s["remote"], p["command"])' "$(fd_of configured)" <<<"$json")"

# Reading changed nothing: the target's own view and its descriptor count
# are the same after several ka-status runs.
"$KA_STATUS" "$target" >/dev/null
"$KA_STATUS" --all >/dev/null 2>&1
self_dump 2 || fail ka-status-self-dump-2 "target did not answer SIGUSR1"
expect_eq ka-status-changes-nothing "$(cat "$H_TMP/self.1")" "$(cat "$H_TMP/self.2")"

# Every descriptor it borrows is closed again.
if command -v strace >/dev/null; then
	strace -qq -e trace=pidfd_getfd,close -o "$H_TMP/strace" "$KA_STATUS" "$target" >/dev/null
	got=$(awk '/^pidfd_getfd\(.*= [0-9]+$/ { open[$NF]++ } /^close\(/ { fd = $1; sub(/close\(/, "", fd); sub(/\)/, "", fd); if (open[fd] > 0) open[fd]-- }
		END { n = 0; for (f in open) n += open[f]; print n }' "$H_TMP/strace")
	dups=$(grep -c '^pidfd_getfd(.*= [0-9]*$' "$H_TMP/strace")
	check ka-status-borrows-sockets test "$dups" -ge 3
	expect_eq ka-status-closes-borrowed-fds 0 "$got"
else
	skip ka-status-closes-borrowed-fds "strace is not installed"
fi

# Table: a header, one line per socket, columns aligned (the last column is
# right-aligned, so every line has the same length).
table=$("$KA_STATUS" "$target")
check ka-status-table-header grep -q '^ *PID  COMMAND  FD  PROTO  STATE  *LOCAL  *REMOTE  *KEEPALIVE  *IDLE(s)  *INTVL(s)  *CNT  *USER_TIMEOUT(ms)$' <<<"$table"
expect_eq ka-status-table-rows 4 "$(wc -l <<<"$table")"
expect_eq ka-status-table-aligned 1 "$(awk '{ print length($0) }' <<<"$table" | sort -u | wc -l)"
check ka-status-table-configured grep -Eq "^ *$target +python3 +$(fd_of configured) +tcp +ESTABLISHED +127\.0\.0\.1:[0-9]+ +127\.0\.0\.1:$PEER +on +123 +45 +6 +7890$" <<<"$table"

# A process that cannot be read: a message naming it, exit 1, the others
# still printed.
true &
gone=$!
wait "$gone"
out=$("$KA_STATUS" "$target" "$gone" 2>"$H_TMP/err")
expect_eq ka-status-gone-exit 1 "$?"
check ka-status-gone-message grep -q "pid $gone: no such process" "$H_TMP/err"
check ka-status-gone-others-printed grep -q "ESTABLISHED" <<<"$out"
out=$("$KA_STATUS" --json "$gone" "$target" 2>/dev/null)
expect_eq ka-status-gone-json "$gone no such process 3" "$("$PYTHON" -c 'import json,sys
d = json.load(sys.stdin)
print(d["errors"][0]["pid"], d["errors"][0]["error"], len(d["processes"][0]["sockets"]))' <<<"$out")"
if need_root && command -v setpriv >/dev/null; then
	"$KA_STATUS" "$target" >/dev/null 2>&1
	expect_eq ka-status-root-reads 0 "$?"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$KA_STATUS" "$target" >/dev/null 2>"$H_TMP/err"
	expect_eq ka-status-denied-exit 1 "$?"
	check ka-status-denied-message grep -q "pid $target: permission denied" "$H_TMP/err"
else
	skip ka-status-denied "needs root (to read the target as an unprivileged user)"
fi

# Bad arguments: exit 2 and a message; help and version exit 0.
for args in "" "abc" "12x" "0" "-5" "--bogus" "--all $target"; do
	# shellcheck disable=SC2086
	"$KA_STATUS" $args >/dev/null 2>"$H_TMP/err"
	rc=$?
	if [ "$rc" = 2 ] && [ -s "$H_TMP/err" ]; then pass "ka-status-bad-args '$args'"
	else fail "ka-status-bad-args '$args'" "exit $rc, stderr: $(cat "$H_TMP/err")"; fi
done
check ka-status-help sh -c "'$KA_STATUS' --help | grep -q '^usage: ka-status'"
check ka-status-version sh -c "'$KA_STATUS' -V | grep -q '^ka-status (kashim) [0-9]'"

# --all: the target has 2 established connections, 1 with keepalive off
# and 1 with idle 123; a process with only a listener is not listed.
h_start listener_only "$PYTHON" -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); time.sleep(60)'
h_wait "$listener_only" state=LISTEN >/dev/null
out=$("$KA_STATUS" --all --json 2>/dev/null)
expect_eq ka-status-all-target "2 1 123/45/6/7890" "$("$PYTHON" -c 'import json,sys
d = json.load(sys.stdin)
p = [p for p in d["processes"] if p["pid"] == int(sys.argv[1])][0]
g = p["keepalive_on"][0]
print(p["established"], p["keepalive_off"], "%d/%d/%d/%d" % (g["idle"], g["interval"], g["count"], g["user_timeout"]))' "$target" <<<"$out")"
expect_eq ka-status-all-skips-listeners "" "$("$PYTHON" -c 'import json,sys
print(*[p["pid"] for p in json.load(sys.stdin)["processes"] if p["pid"] == int(sys.argv[1])])' "$listener_only" <<<"$out")"
check ka-status-all-summary "$PYTHON" -c 'import json,sys
s = json.load(sys.stdin)["summary"]
sys.exit(not (s["processes"] >= 1 and s["processes_with_keepalive_off"] >= 1 and s["keepalive_off"] >= 1))' <<<"$out"
out=$("$KA_STATUS" --all 2>/dev/null)
check ka-status-all-table grep -Eq "^ *$target +python3 +2 +1 +1 x idle=123 intvl=45 cnt=6 user_timeout=7890$" <<<"$out"
check ka-status-all-summary-line grep -Eq "^Keepalive off: [0-9]+ process(es)? \([0-9]+ connections?\): run (it|them) under kashim\.$" <<<"$out"
finish
