#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# apply.t - ka-status --apply on stock python3 echo servers that never touch
# a keepalive option: a dry run changes nothing; --yes gives the listener
# and an established idle connection kashim's values, the next accepted
# connection inherits them, and data keeps flowing byte-identical, while an
# untouched server (control) keeps the kernel's defaults. The decision is
# the shim's: program sections by name, listen rules by the listener's
# address (also for connections it accepted), destination rules by the
# peer, override, keepalive = false. Refusals have their exit status.
source "$(dirname "$0")/../lib/common.sh"
PEERS=$KASHIM_ROOT/tests/status/peers.py

t_clean_env
[ -x "$KA_STATUS" ] || { fail "apply setup" "$KA_STATUS is not built (make)"; finish; }
t_tmpdir tmp apply
PIDS=()
t_on_exit 'for p in "${PIDS[@]}"; do kill "$p"; done; wait'

# start NAME PEERS-ARGS...: run peers.py in the background; its pid in $NAME.
start() {
	local name=$1
	shift
	"$PYTHON" "$PEERS" "$@" 2>>"$tmp/peers.err" &
	PIDS+=($!)
	printf -v "$name" %s $!
}
# server NAME [HOST]: an echo server on a free port; pid in $NAME, port in
# ${NAME}_PORT.
server() {
	local port
	port=$(t_free_port)
	start "$1" echo-server "$port" "$tmp/$1.ready" ${2:+"$2"}
	t_wait_file "$tmp/$1.ready" || { fail "apply setup" "server $1 did not start"; finish; }
	printf -v "${1}_PORT" %s "$port"
}
# hold NAME TARGET...: a client idle on connections to TARGETs; pid in $NAME,
# its first local port in ${NAME}_LPORT.
hold() {
	local name=$1
	shift
	start "$name" hold "$tmp/$name.ready" "$@"
	t_wait_file "$tmp/$name.ready" || { fail "apply setup" "client $name did not connect"; finish; }
	printf -v "${name}_LPORT" %s "$(awk 'NR == 1 { print $1 }' "$tmp/$name.ready")"
}
opts() { t_socket "$@" || echo none; }
# The kernel's defaults, as ka-status shows a socket nobody configured.
KDEF="off $(sysctl -n net.ipv4.tcp_keepalive_time) $(sysctl -n net.ipv4.tcp_keepalive_intvl)"
KDEF="$KDEF $(sysctl -n net.ipv4.tcp_keepalive_probes) 0"

printf 'idle = 41\ninterval = 7\ncount = 4\n' >"$tmp/plain.conf"

# --- a server fixed from outside, and its control ---------------------------
server fixed
server control
mkdir "$tmp/chat"
start chat chat "127.0.0.1:$fixed_PORT" "$tmp/chat"
t_wait_file "$tmp/chat/ready" || { fail "apply setup" "chat client did not connect"; finish; }
chat_port=$(cat "$tmp/chat/ready")
hold idle1 "127.0.0.1:$control_PORT"
t_wait_socket 5 "$fixed" state=ESTABLISHED remote="$chat_port" >/dev/null &&
	t_wait_socket 5 "$control" state=ESTABLISHED remote="$idle1_LPORT" >/dev/null ||
	{ fail "apply setup" "servers did not accept"; finish; }

# round N: send 256 KiB of random bytes through the chat connection and
# check that the echo is the same bytes.
round() {
	head -c 262144 /dev/urandom >"$tmp/chat/send.$1"
	: >"$tmp/chat/go.$1"
	t_wait_file "$tmp/chat/done.$1" && cmp -s "$tmp/chat/send.$1" "$tmp/chat/recv.$1"
}
check "before: data flows byte-identical through the connection" round 1
expect_eq "before: the listener has the kernel's defaults" "$KDEF" "$(opts "$fixed" state=LISTEN)"
fds_before=$(ls "/proc/$fixed/fd" | wc -l)

out=$("$KA_STATUS" --apply --config "$tmp/plain.conf" "$fixed")
expect_eq "dry run: exit status 0" 0 "$?"
row="^ *$fixed +python3 +[0-9]+"
check "dry run: the listener would be set" grep -Eq \
	"$row +LISTEN +127\.0\.0\.1:$fixed_PORT +- +off +would set +on 41/7/4 +top level$" <<<"$out"
check "dry run: the established connection would be set" grep -Eq \
	"$row +ESTABLISHED +127\.0\.0\.1:$fixed_PORT +127\.0\.0\.1:$chat_port +off +would set +on 41/7/4" <<<"$out"
check "dry run: says how to apply" grep -q "Run again with --yes to apply" <<<"$out"
expect_eq "dry run changes nothing: the listener" "$KDEF" "$(opts "$fixed" state=LISTEN)"
expect_eq "dry run changes nothing: the connection" "$KDEF" "$(opts "$fixed" remote="$chat_port")"

out=$("$KA_STATUS" --apply --yes --config "$tmp/plain.conf" "$fixed")
expect_eq "--yes: exit status 0" 0 "$?"
check "--yes: both rows say set, with the values read back" \
	test "$(grep -Ec ' off +set +on 41/7/4 ' <<<"$out")" = 2
expect_eq "--yes: the listener has the values" "on 41 7 4 0" "$(opts "$fixed" state=LISTEN)"
expect_eq "--yes: the established connection has them" "on 41 7 4 0" \
	"$(opts "$fixed" remote="$chat_port")"
expect_eq "control: the untouched server's listener keeps the kernel's defaults" "$KDEF" \
	"$(opts "$control" state=LISTEN)"
expect_eq "control: the untouched server's connection keeps them" "$KDEF" \
	"$(opts "$control" remote="$idle1_LPORT")"
check "after: data still flows byte-identical through the fixed connection" round 2
expect_eq "after: the server holds as many descriptors as before (copies closed)" \
	"$fds_before" "$(ls "/proc/$fixed/fd" | wc -l)"

hold idle2 "127.0.0.1:$fixed_PORT"
hold idle3 "127.0.0.1:$control_PORT"
expect_eq "the next accepted connection inherits the listener's values" "on 41 7 4 0" \
	"$(t_wait_socket 5 "$fixed" remote="$idle2_LPORT")"
expect_eq "control: the untouched server's next connection has the kernel's defaults" "$KDEF" \
	"$(t_wait_socket 5 "$control" remote="$idle3_LPORT")"
check "the client side, not asked for, is untouched" test "$(opts "$idle2" state=ESTABLISHED)" = "$KDEF"

# --- override: keepalive already on is the owner's choice -------------------
printf 'idle = 42\n' >"$tmp/idle42.conf"
out=$("$KA_STATUS" --apply --yes --config "$tmp/idle42.conf" "$fixed")
check "override off: sockets with keepalive on are left" \
	grep -q "leave (keepalive already on, override off)" <<<"$out"
expect_eq "override off: the listener keeps its values" "on 41 7 4 0" "$(opts "$fixed" state=LISTEN)"
printf 'idle = 42\noverride = true\n' >"$tmp/override.conf"
"$KA_STATUS" --apply --yes --config "$tmp/override.conf" "$fixed" >/dev/null
expect_eq "override on: the listener gets the new values" "on 42 10 5 0" "$(opts "$fixed" state=LISTEN)"
out=$("$KA_STATUS" --apply --config "$tmp/override.conf" "$fixed")
check "values already there: unchanged" grep -q "unchanged (already set)" <<<"$out"

# --- keepalive = false leaves everything -------------------------------------
printf 'keepalive = false\n' >"$tmp/off.conf"
out=$("$KA_STATUS" --apply --yes --config "$tmp/off.conf" "$control")
check "keepalive = false: the sockets are left" grep -q "leave (keepalive = false)" <<<"$out"
expect_eq "keepalive = false: the listener keeps the kernel's defaults" "$KDEF" \
	"$(opts "$control" state=LISTEN)"

# --- the shim's resolver: program sections, listen and destination rules ----
server ruled
server other
hold client "127.0.0.1:$other_PORT" "127.0.0.1:$ruled_PORT"
cat >"$tmp/rules.conf" <<EOF
idle = 11
program "nomatch" {
	idle = 99
}
program "python3*" {
	idle = 55
}
listen "127.0.0.1:$ruled_PORT" {
	interval = 3
}
destination "127.0.0.1:$other_PORT" {
	interval = 6
}
EOF
"$KA_STATUS" --apply --yes --config "$tmp/rules.conf" "$ruled" "$client" >"$tmp/rules.out"
expect_eq "rules: exit status 0" 0 "$?"
expect_eq "listen rule on the listener's address (on the program section's idle)" "on 55 3 5 0" \
	"$(opts "$ruled" state=LISTEN)"
expect_eq "listen rule for the connection that listener accepted" "on 55 3 5 0" \
	"$(opts "$ruled" state=ESTABLISHED)"
expect_eq "destination rule by the peer's address" "on 55 6 5 0" \
	"$(opts "$client" remote="$other_PORT")"
expect_eq "control: another peer gets the program section's settings" "on 55 10 5 0" \
	"$(opts "$client" remote="$ruled_PORT")"
check "FROM names the rule and its line" grep -q "listen \"127.0.0.1:$ruled_PORT\" at line 8" "$tmp/rules.out"

# A dual-stack listener on [::] and an IPv4 client: the accepted connection
# (local ::ffff:127.0.0.1) is its listener's, so the listen rule applies to
# it, not the destination rule that matches its peer's address.
if "$PYTHON" -c 'import socket; socket.socket(socket.AF_INET6).bind(("::", 0))' 2>/dev/null; then
	server dual ::
	hold dclient "127.0.0.1:$dual_PORT"
	t_wait_socket 5 "$dual" state=ESTABLISHED remote="$dclient_LPORT" >/dev/null
	printf 'listen "*:%s" {\n\tinterval = 3\n}\ndestination "127.0.0.1" {\n\tinterval = 6\n}\n' \
		"$dual_PORT" >"$tmp/dual.conf"
	"$KA_STATUS" --apply --yes --config "$tmp/dual.conf" "$dual" >"$tmp/dual.out"
	expect_eq "dual-stack: the [::] listener gets its listen rule" "on 60 3 5 0" \
		"$(opts "$dual" state=LISTEN)"
	expect_eq "dual-stack: so does the IPv4 connection it accepted" "on 60 3 5 0" \
		"$(opts "$dual" remote="$dclient_LPORT")"
	expect_eq "control: the client's own connection, to 127.0.0.1, gets the destination rule" \
		"on 60 6 5 0" "$("$KA_STATUS" --apply --yes --config "$tmp/dual.conf" "$dclient" >/dev/null
			opts "$dclient" state=ESTABLISHED)"
else
	skip "dual-stack listener" "no IPv6 here"
fi

# --- --json ---------------------------------------------------------------------
server js
hold jclient "127.0.0.1:$js_PORT"
t_wait_socket 5 "$js" state=ESTABLISHED remote="$jclient_LPORT" >/dev/null
true &
jgone=$!
wait "$jgone"
# jq_apply ARGS...: ka-status --apply --json ARGS, summed up by python:
# "exit STATUS", then one line per socket "STATE ACTION BEFORE-KA WANTED-IDLE
# AFTER-IDLE|-", then "summary CHANGED UNCHANGED FAILED", then "error PID".
jq_apply() {
	local out rc
	out=$("$KA_STATUS" --apply --json --config "$tmp/plain.conf" "$@" 2>/dev/null)
	rc=$?
	echo "exit $rc"
	"$PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
for s in d["sockets"]:
    print(s["state"], s["action"], s["before"]["keepalive"], s["wanted"]["idle"],
          s["after"]["idle"] if "after" in s else "-")
print("summary", d["summary"]["changed"], d["summary"]["unchanged"], d["summary"]["failed"])
for e in d["errors"]:
    print("error", e["pid"])' <<<"$out" || echo "not JSON: $out"
}
expect_eq "--json dry run: valid JSON, one object per socket, the refused pid in errors" \
	"exit 5
LISTEN would_set False 41 -
ESTABLISHED would_set False 41 -
summary 2 0 0
error $jgone" "$(jq_apply "$js" "$jgone")"
expect_eq "--json --yes: the values read back after setting" \
	"exit 0
LISTEN set False 41 41
ESTABLISHED set False 41 41
summary 2 0 0" "$(jq_apply --yes "$js")"
expect_eq "--json again: unchanged" \
	"exit 0
LISTEN unchanged True 41 -
ESTABLISHED unchanged True 41 -
summary 0 2 0" "$(jq_apply "$js")"

# --- a real server that rewrites its command line ---------------------------
# redis-server shows "redis-server 127.0.0.1:PORT" as its command line (it
# sets its process title over argv), and Debian's /usr/bin/redis-server is
# a link to redis-check-rdb: its program section must still apply, as in
# the shim, which read argv[0] before the rewrite.
if command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then
	rport=$(t_free_port)
	redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --tcp-keepalive 0 \
		>"$tmp/redis.log" 2>&1 &
	redis=$!
	PIDS+=($redis)
	t_wait_until 10 redis-cli -p "$rport" ping >/dev/null 2>&1 ||
		{ fail "apply setup" "redis-server did not start"; finish; }
	hold rclient "127.0.0.1:$rport"
	t_wait_socket 5 "$redis" state=ESTABLISHED remote="$rclient_LPORT" >/dev/null
	printf 'idle = 12\nprogram "redis-server" {\n\tidle = 33\n}\n' >"$tmp/redis.conf"
	"$KA_STATUS" --apply --yes --config "$tmp/redis.conf" "$redis" >"$tmp/redis.out"
	expect_eq "redis-server: its program section applies to the listener" "on 33 10 5 0" \
		"$(opts "$redis" state=LISTEN)"
	expect_eq "redis-server: and to its idle client connection" "on 33 10 5 0" \
		"$(opts "$redis" remote="$rclient_LPORT")"
	expect_eq "redis-server: still answers" "PONG" "$(redis-cli -p "$rport" ping)"
	printf 'idle = 12\nprogram "redis-check-rdb" {\n\tidle = 34\n}\n' >"$tmp/redis2.conf"
	"$KA_STATUS" --apply --yes --config "$tmp/redis2.conf" "$redis" >/dev/null
	expect_eq "redis-server: unchanged when a section names its executable (override off)" \
		"on 33 10 5 0" "$(opts "$redis" state=LISTEN)"
	check "redis-server: a section naming its executable matches too" \
		grep -q 'program "redis-check-rdb"' <("$KA_STATUS" --apply --config "$tmp/redis2.conf" "$redis")
else
	skip "redis-server" "redis-server is not installed (scripts/install-deps test)"
fi

# --- refusals -----------------------------------------------------------------
true &
gone=$!
wait "$gone"
"$KA_STATUS" --apply --yes --config "$tmp/plain.conf" "$gone" >/dev/null 2>"$tmp/err"
expect_eq "a process that is gone: exit status 5" 5 "$?"
check "a process that is gone: says so" grep -q "pid $gone: no such process" "$tmp/err"

printf 'idle = 0\n' >"$tmp/bad.conf"
out=$("$KA_STATUS" --apply --yes --config "$tmp/bad.conf" "$control" 2>"$tmp/err")
expect_eq "an invalid file: exit status 2" 2 "$?"
check "an invalid file: named with its line" grep -q "bad.conf:1: idle = 0 is out of range" "$tmp/err"
expect_eq "an invalid file: nothing changed" "$KDEF" "$(opts "$control" state=LISTEN)"
"$KA_STATUS" --apply --config "$tmp/missing.conf" "$control" >/dev/null 2>"$tmp/err"
expect_eq "--config naming a missing file: exit status 2" 2 "$?"
"$KA_STATUS" --yes "$control" >/dev/null 2>&1
expect_eq "--yes without --apply: usage error" 2 "$?"

if need_root && command -v setpriv >/dev/null; then
	chmod 711 "$tmp" # nobody may read the file, so only the process is refused
	(cd / && exec setpriv --reuid=nobody --regid=nogroup --clear-groups "$KA_STATUS" --apply --yes \
		--config "$tmp/plain.conf" "$control") >/dev/null 2>"$tmp/err"
	expect_eq "as nobody, root's server: exit status 3 (permission)" 3 "$?"
	check "as nobody: the message names ptrace rights" grep -q "permission denied.*ptrace" "$tmp/err"
	expect_eq "as nobody: nothing changed" "$KDEF" "$(opts "$control" state=LISTEN)"
	# --all covers the processes the caller may inspect: root's are
	# counted and skipped, which is not a failure.
	out=$(cd / && setpriv --reuid=nobody --regid=nogroup --clear-groups "$KA_STATUS" --apply --all \
		--config "$tmp/plain.conf" 2>"$tmp/err")
	expect_eq "as nobody, --all: exit status 0" 0 "$?"
	check "as nobody, --all: says how many processes could not be read" \
		grep -Eq "[0-9]+ process(es)? could not be read \(permission denied\)" "$tmp/err"
	check "as nobody, --all: root's server is not listed" \
		bash -c '! grep -Eq "^ *$1 " <<<"$2"' _ "$control" "$out"
else
	skip "permission refusal" "needs root (a root-owned server, then setpriv to nobody)"
fi

# A kernel without pidfd_getfd, made with a seccomp filter that fails that
# one system call with ENOSYS; control: the same filter on another call.
seccomp_run() {
	"$PYTHON" - "$@" <<-'EOF'
		import ctypes, os, struct, sys
		nr, argv = int(sys.argv[1]), sys.argv[2:]
		def insn(code, jt, jf, k): return struct.pack("HBBI", code, jt, jf, k)
		prog = b"".join([insn(0x20, 0, 0, 0),                     # ld nr
		                 insn(0x15, 0, 1, nr),                    # jeq nr
		                 insn(0x06, 0, 0, 0x00050000 | 38),       # ret ERRNO(ENOSYS)
		                 insn(0x06, 0, 0, 0x7fff0000)])           # ret ALLOW
		buf = ctypes.create_string_buffer(prog)
		fprog = struct.pack("HxxxxxxQ", len(prog) // 8, ctypes.addressof(buf))
		libc = ctypes.CDLL(None, use_errno=True)
		if libc.prctl(38, 1, 0, 0, 0) or libc.prctl(22, 2, ctypes.c_char_p(fprog), 0, 0):
		    sys.exit("seccomp: %s" % os.strerror(ctypes.get_errno()))
		os.execv(argv[0], argv)
	EOF
}
if [ "$(uname -m)" = x86_64 ] || [ "$(uname -m)" = aarch64 ]; then
	seccomp_run 438 "$KA_STATUS" --apply --config "$tmp/plain.conf" "$control" >/dev/null 2>"$tmp/err"
	expect_eq "no pidfd_getfd (ENOSYS): exit status 4" 4 "$?"
	check "no pidfd_getfd: says what the kernel lacks" grep -q "lacks pidfd_open/pidfd_getfd" "$tmp/err"
	seccomp_run 999 "$KA_STATUS" --apply --config "$tmp/plain.conf" "$control" >/dev/null 2>"$tmp/err"
	expect_eq "control: the same filter on an unused call, exit status 0" 0 "$?"
	# setsockopt() refused (as a kernel refuses an option it lacks): the
	# row says which option failed and why, the exit status is 1.
	case $(uname -m) in x86_64) nr=54 ;; aarch64) nr=208 ;; esac
	out=$(seccomp_run "$nr" "$KA_STATUS" --apply --yes --config "$tmp/plain.conf" "$control" 2>&1)
	expect_eq "setsockopt refused: exit status 1" 1 "$?"
	check "setsockopt refused: the row names the option and the error" \
		grep -Eq "LISTEN .* off +failed: (count|interval|idle|keepalive) [0-9]+: Function not implemented +- " <<<"$out"
	expect_eq "setsockopt refused: the listener keeps what it had" "$KDEF" "$(opts "$control" state=LISTEN)"
else
	skip "ENOSYS refusal" "system call numbers known for x86_64 and aarch64 only"
fi

# --- --all ------------------------------------------------------------------------
# A dry run over the machine changes nothing and lists this test's server;
# --yes over --all runs in a PID namespace of its own, so that only its
# processes can be touched.
out=$("$KA_STATUS" --apply --all --config "$tmp/plain.conf" 2>/dev/null)
check "--all dry run: lists the control server's connection" \
	grep -Eq "^ *$control +python3 .* 127\.0\.0\.1:$idle1_LPORT +off +would set" <<<"$out"
expect_eq "--all dry run: changes nothing" "$KDEF" "$(opts "$control" remote="$idle1_LPORT")"
if need_root && unshare --pid --fork --mount-proc true 2>/dev/null; then
	p=$(t_free_port)
	unshare --pid --fork --mount-proc bash -c '
		"$1" "$2" echo-server "$3" "$4/ns.ready" & s=$!
		for i in $(seq 100); do [ -s "$4/ns.ready" ] && break; sleep 0.05; done
		"$5" --apply --all --yes --config "$4/plain.conf" >"$4/ns.out" 2>&1
		"$5" --json "$s" >"$4/ns.json"
		kill $s' _ "$PYTHON" "$PEERS" "$p" "$tmp" "$KA_STATUS"
	expect_eq "--all --yes in a PID namespace: its server's listener is set" "on 41 7 4 0" \
		"$("$PYTHON" "$KASHIM_ROOT/tests/lib/sockq.py" state=LISTEN <"$tmp/ns.json")"
	expect_eq "control: this namespace's server is untouched by it" "$KDEF" \
		"$(opts "$control" state=LISTEN)"
else
	skip "--all --yes" "needs root and unshare --pid (kept away from the machine's other processes)"
fi
finish
