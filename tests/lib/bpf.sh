# SPDX-License-Identifier: MIT
# bpf.sh - checks shared by the kernel backend's tests of rules and of a
# program's own calls (tests/bpf/rules.t, cgroup-rules.t, app-choice.t,
# app-errors.t); sourced after tests/bpf/lib.sh, whose cgroups, kb_start,
# kb_wait and kb_sockopts they use.

# kb_env_args [ENV...] -- ARGS...: split a helper's arguments: KB_ENVS gets
# the VAR=VALUE words before "--" (for env), KB_ARGS the rest.
kb_env_args() {
	KB_ENVS=()
	while [ "$1" != -- ]; do KB_ENVS+=("$1"); shift; done
	shift
	KB_ARGS=("$@")
}

# kb_expect_listen CHECK CGROUP PORT WANT: a python3 server in CGROUP
# listening on 127.0.0.1:PORT accepts one connection from a client outside
# the test cgroups; CHECK expects WANT, the first four of the accepted
# connection's options (ka= idle= intvl= cnt=). CHECK fails when the server
# does not start.
kb_expect_listen() {
	local check=$1 cg=$2 port=$3 want=$4 name=listen$3 pid_var=PID_listen$3
	kb_start "$name" "$cg" "$PYTHON" -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
print("ready", sys.argv[1], flush=True)
c, _ = s.accept()
print("accepted x", flush=True)
time.sleep(60)' "$port"
	if kb_wait "$name" ready; then
		kb_start "$name-client" - "$KBT/kb-client" 127.0.0.1 "$port"
		kb_wait "$name" accepted
		expect_eq "$check" "$want" "$(kb_sockopts "${!pid_var}" "$port" | cut -d' ' -f1-4)"
	else
		fail "$check" "the listener on $port did not start"
	fi
}

# kb_explain_to CONF CGROUP HOST:PORT CHECK RULE CONNECTION: kashim-bpf
# explain -c CONF --to HOST:PORT CGROUP exits 0, its "rule" line matches
# RULE (the check CHECK) and its "connection" line CONNECTION (basic
# regular expressions, from the value on); ka-run --check --cgroup --to
# prints the same, byte for byte. Five checks; the output stays in
# $KB_TMP/explain.out.
kb_explain_to() {
	local conf=$1 cg=$2 to=$3
	"$KASHIM_BPF" explain -c "$conf" --to "$to" "$cg" >"$KB_TMP/explain.out" 2>&1
	expect_eq "explain --to: exit 0" 0 "$?"
	check "$4" grep -q "^rule  *$5" "$KB_TMP/explain.out"
	check "and what the connection gets" grep -q "^connection  *$6" "$KB_TMP/explain.out"
	"$KA_RUN" -c "$conf" --check --cgroup "$cg" --to "$to" >"$KB_TMP/karun.out" 2>&1
	expect_eq "ka-run --check --cgroup --to: exit 0" 0 "$?"
	check "ka-run --check --cgroup --to says what kashim-bpf explain --to says" \
		cmp -s "$KB_TMP/karun.out" "$KB_TMP/explain.out"
}
