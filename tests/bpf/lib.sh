# SPDX-License-Identifier: MIT
# lib.sh - sourced by tests/bpf/*.t after common.sh: fresh cgroups, programs
# started inside them, and their sockets read from outside with ka-status.
#
# Every cgroup is a child of the cgroup2 mount named kbtest-PID-NAME, so
# parallel runs never meet; the EXIT trap kills what was started in them,
# detaches kashim-bpf and removes them, deepest first.

KASHIM_BPF=$KASHIM_ROOT/build/kashim-bpf
KBT=$KASHIM_ROOT/build/tests/bpf
KB_TMP=""
KB_CGROUPS=()
KB_PIDS=()

kb_cleanup() {
	local pid cg i pin
	# bash reports each killed background job ("Killed ...") on stderr.
	exec 2>/dev/null
	for pid in "${KB_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for ((i = ${#KB_CGROUPS[@]} - 1; i >= 0; i--)); do
		cg=${KB_CGROUPS[i]}
		[ -d "$cg" ] || continue
		for pid in $(cat "$cg/cgroup.procs" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
		"$KASHIM_BPF" detach "$cg" >/dev/null 2>&1
	done
	wait 2>/dev/null
	for ((i = ${#KB_CGROUPS[@]} - 1; i >= 0; i--)); do
		cg=${KB_CGROUPS[i]}
		# A cgroup can be removed only once its last process is reaped.
		for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$cg" 2>/dev/null && break; [ -d "$cg" ] || break; sleep 0.1; done
	done
	if [ "$T_FAILURES" -gt 0 ] && [ -n "$KB_TMP" ]; then
		for f in "$KB_TMP"/*; do [ -f "$f" ] && [ -s "$f" ] && { echo "# --- ${f##*/}"; tail -n 5 "$f" | sed 's/^/#   /'; }; done
	fi
	kb_foreign_cleanup
	for pin in "${KB_MOUNTS[@]}"; do umount "$pin"; done
	[ -n "$KB_TMP" ] && rm -rf "$KB_TMP"
}

# kb_init NAME: SKIP the whole file (exit 0, one line with the reason)
# unless this machine can attach cgroup BPF programs; otherwise set
# KB_MOUNT (the cgroup2 mount), KB_TMP, KB_EMPTY_CONF and the cleanup trap.
kb_init() {
	local name=$1 why="" probe
	KB_MOUNT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	if ! need_root; then
		why="needs root (cgroups, BPF)"
	elif [ -z "$KB_MOUNT" ]; then
		why="no cgroup v2 hierarchy is mounted"
	elif [ ! -x "$KASHIM_BPF" ]; then
		why="build/kashim-bpf is not built (needs clang, bpftool, libbpf-dev: scripts/install-deps)"
	fi
	if [ -z "$why" ]; then
		KB_TMP=$(mktemp -d /tmp/kbtest.XXXXXX)
		chmod 755 "$KB_TMP"
		# Tests that need exact figures read this instead of the
		# machine's /etc/keepalive.conf.
		KB_EMPTY_CONF=$KB_TMP/empty.conf
		: >"$KB_EMPTY_CONF"
		trap 'kb_cleanup' EXIT
		trap 'exit 130' INT TERM
		# The machine's bpffs, mounted as systemd mounts it at boot
		# when nothing has (a machine whose PID 1 is not systemd).
		# kashim-bpf mounts it only where it can tell this is PID 1's
		# mount namespace; here it may not be allowed to look.
		if ! awk '$2 == "/sys/fs/bpf" && $3 == "bpf" { found = 1 } END { exit !found }' /proc/mounts; then
			mount -t bpf -o mode=0700 bpf /sys/fs/bpf ||
				why="no bpffs at /sys/fs/bpf, and mount -t bpf failed"
		fi
		[ -n "$why" ] || kb_mkcg probe probe || why="cannot create a cgroup under $KB_MOUNT"
		if [ -z "$why" ] && ! "$KASHIM_BPF" attach -c "$KB_EMPTY_CONF" -i 30 "$probe" >/dev/null 2>"$KB_TMP/probe.err"; then
			why="the kernel refuses: $(cat "$KB_TMP/probe.err")"
		fi
		"$KASHIM_BPF" detach "$probe" >/dev/null 2>&1
	fi
	if [ -n "$why" ]; then
		skip "$name" "$why"
		exit 0
	fi
}

# kb_mkcg VAR NAME [PARENT]: create a fresh cgroup (under PARENT, default
# the cgroup2 mount), set VAR to its path; removed on exit.
kb_mkcg() {
	local cg=${3:-$KB_MOUNT}/kbtest-$$-$2
	mkdir "$cg" || return 1
	KB_CGROUPS+=("$cg")
	printf -v "$1" %s "$cg"
}

# kb_start NAME CGROUP|- CMD...: run CMD in the background inside CGROUP (or
# outside any test cgroup with -), output in $KB_TMP/NAME; sets PID_NAME.
kb_start() {
	local name=$1 cg=$2
	shift 2
	if [ "$cg" = - ]; then
		"$@" >"$KB_TMP/$name" 2>"$KB_TMP/$name.err" &
	else
		sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg" "$@" \
			>"$KB_TMP/$name" 2>"$KB_TMP/$name.err" &
	fi
	KB_PIDS+=($!)
	printf -v "PID_${name//-/_}" %s $!
}

# kb_wait NAME WORD [SECONDS]: wait until NAME's output has a line starting
# with WORD.
kb_wait() {
	local i
	for ((i = 0; i < ${3:-5} * 20; i++)); do
		grep -q "^$2 " "$KB_TMP/$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# kb_field NAME WORD N: field N of NAME's first line starting with WORD.
kb_field() { grep -m1 "^$2 " "$KB_TMP/$1" | awk -v n="$3" '{ print $n }'; }

# kb_sockopts PID PORT: the keepalive options of PID's established TCP
# socket whose local or remote port is PORT, read from outside by ka-status:
# "ka=K idle=I intvl=N cnt=C uto=U", or "none".
kb_sockopts() {
	"$KA_STATUS" --json "$1" 2>/dev/null | "$PYTHON" -c '
import json, sys
port = sys.argv[1]
for p in json.load(sys.stdin)["processes"]:
    for s in p.get("sockets", []):
        if s["state"] == "ESTABLISHED" and (s["local"].endswith(":" + port) or s["remote"].endswith(":" + port)):
            print("ka=%d idle=%d intvl=%d cnt=%d uto=%d" % (s["keepalive"], s["idle"], s["interval"], s["count"], s["user_timeout"]))
            sys.exit(0)
print("none")' "$2"
}

# kb_hold NAME ADDRESS [report]: a python3 server outside the test cgroups
# holding every connection; sets PORT_NAME.
kb_hold() {
	kb_start "$1" - "$PYTHON" "$KASHIM_ROOT/tests/bpf/kb-hold.py" "$2" ${3:+"$3"}
	kb_wait "$1" ready || return 1
	printf -v "PORT_${1//-/_}" %s "$(kb_field "$1" ready 2)"
}

# conn_in CGROUP|- [FIELDS]: set $got to the options of a new connection a
# static client makes in CGROUP (- : outside any test cgroup) to the server
# started with `kb_hold srv` (the first FIELDS of them, default all 5).
KB_CONN=0
conn_in() {
	local name=n$((KB_CONN++)) pid_var
	kb_start "$name" "$1" "$KBT/kb-client-static" 127.0.0.1 "$PORT_srv"
	pid_var=PID_$name
	got=none
	kb_wait "$name" connected && got=$(kb_sockopts "${!pid_var}" "$PORT_srv" | cut -d' ' -f1-"${2:-5}")
}

# kb_foreign VAR: another vendor's sock_ops program (kb-foreign.bpf.c:
# writes skops->reply on every op, sets TCP_USER_TIMEOUT 4321 on established
# connections) loaded and pinned outside kashim's directory; VAR gets its
# pin. Attach it with `bpftool cgroup attach CG sock_ops pinned PIN FLAG`;
# unpinned on exit (as is anything else a test adds to KB_FOREIGN_PINS).
KB_BPFTOOL=$(command -v bpftool || echo /usr/sbin/bpftool)
KB_FOREIGN_PINS=()
KB_MOUNTS=() # unmounted on exit
kb_foreign() {
	local pin=/sys/fs/bpf/kbtest-$$-foreign${#KB_FOREIGN_PINS[@]}
	"$KB_BPFTOOL" prog load "$KBT/kb-foreign.bpf.o" "$pin" type sockops || return 1
	KB_FOREIGN_PINS+=("$pin")
	printf -v "$1" %s "$pin"
}
kb_foreign_cleanup() {
	local pin
	for pin in "${KB_FOREIGN_PINS[@]}"; do rm -rf "$pin"; done
}

# ---- shared by the tests of rules and of a program's own calls (rules.t,
# cgroup-rules.t, app-choice.t, app-errors.t) ----
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
