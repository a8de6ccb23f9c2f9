# SPDX-License-Identifier: MIT
# common.sh - sourced by every shell test (tests/*/*.t). Each check prints
# one TAP line: "ok N - name", "not ok N - name # why" or
# "ok N - name # SKIP reason"; finish prints the plan and sets the exit
# status. tests/run runs the files with prove. A SKIP is never a PASS.
#
# Also here, for every test folder: temporary directories removed at exit
# (t_tmpdir, t_on_exit), a scrubbed environment (t_clean_env), bounded waits
# (t_wait_for, t_wait_file, t_wait_until) and socket readings with ka-status
# (t_ka_status, t_socket, t_wait_socket).
set -u
KASHIM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KASHIM_LIB=$KASHIM_ROOT/build/libkashim.so
KA_RUN=$KASHIM_ROOT/build/ka-run
KA_STATUS=$KASHIM_ROOT/build/ka-status
# Debian's interpreter, not a version manager's shim in front of it.
PYTHON=/usr/bin/python3
T_FAILURES=0
# A file run again by itself (t_nested) continues its parent's numbering.
T_COUNT=${T_NESTED_COUNT:-0}
T_PLANNED=0

# t_name TEXT: TEXT as a TAP description: one line, '#' escaped (a bare '#'
# would start a directive).
t_name() { local s=${1//$'\n'/ }; printf '%s' "${s//#/\\#}"; }

pass() { T_COUNT=$((T_COUNT + 1)); echo "ok $T_COUNT - $(t_name "$1")"; }
# fail NAME [WHY]: the first line of WHY follows the '#'; more lines follow
# as TAP comments. "failed:" keeps a WHY that starts with "skip" or "todo"
# from being read as a directive.
fail() {
	local why=${2:-} first rest=
	T_COUNT=$((T_COUNT + 1)) T_FAILURES=$((T_FAILURES + 1))
	first=${why%%$'\n'*}
	[ "$first" != "$why" ] && rest=${why#*$'\n'}
	case ${first,,} in skip* | todo*) first="failed: $first" ;; esac
	echo "not ok $T_COUNT - $(t_name "$1")${first:+ # $first}"
	[ -z "$rest" ] || printf '%s\n' "$rest" | sed 's/^/#   /'
}
skip() { T_COUNT=$((T_COUNT + 1)); echo "ok $T_COUNT - $(t_name "$1") # SKIP $(t_name "$2")"; }
# check NAME CONDITION-COMMAND...: ok when the command succeeds.
check() { local n=$1; shift; if "$@"; then pass "$n"; else fail "$n" "failed: $*"; fi; }
# expect_eq NAME EXPECTED ACTUAL
expect_eq() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected '$2', got '$3'"; fi; }
# todo_expect NAME WHY WANT GOT: a known failure another change fixes,
# reported as TAP "# TODO" (tests/run counts it apart) and not counted.
todo_expect() {
	T_COUNT=$((T_COUNT + 1))
	if [ "$3" = "$4" ]; then
		echo "ok $T_COUNT - $(t_name "$1") # TODO $(t_name "$2") (passes now: remove the flag)"
	else
		echo "not ok $T_COUNT - $(t_name "$1") # TODO $(t_name "$2")"
		echo "#   expected '$3', got '$4'"
	fi
}
need_root() { [ "$(id -u)" = 0 ]; }
# t_require NAME WHY FILE...: unless every FILE exists (what make check
# builds for the test), fail NAME with WHY and end the file.
t_require() {
	local name=$1 why=$2 f
	shift 2
	for f in "$@"; do [ -e "$f" ] || { fail "$name" "$why"; finish; }; done
}
# t_plan: print the plan once (finish does; a file that ends early without
# finish gets one from tests/lib/tap-run).
t_plan() { [ "$T_PLANNED" = 1 ] || { T_PLANNED=1; echo "1..$T_COUNT"; }; }
# Exit status of a test file: non-zero when any check failed. Under
# t_nested the counts go back to the parent instead of a plan.
finish() {
	if [ -n "${T_NESTED_OUT:-}" ]; then
		echo "$T_COUNT $T_FAILURES" >"$T_NESTED_OUT"
	else
		t_plan
	fi
	exit $((T_FAILURES > 0))
}
# t_nested COMMAND...: run COMMAND, a test file run again (in a namespace,
# say), whose checks continue this file's numbering and count as its own.
# Returns COMMAND's status.
t_nested() {
	local out rc n=$T_COUNT f=0
	out=$(mktemp "${TMPDIR:-/tmp}/kashim-nested.XXXXXX") || return 1
	T_NESTED_COUNT=$T_COUNT T_NESTED_OUT=$out "$@"
	rc=$?
	read -r n f <"$out" 2>/dev/null
	rm -f "$out"
	T_COUNT=${n:-$T_COUNT} T_FAILURES=$((T_FAILURES + ${f:-0}))
	return $rc
}

# ---- cleanup ---------------------------------------------------------------
# One EXIT trap for every test: it runs what t_on_exit registered, last
# first. A test (or a folder's lib) that sets its own EXIT trap replaces it.
T_CLEANUP=()
# t_on_exit COMMAND: run COMMAND (a string, eval'ed) at exit.
t_on_exit() { T_CLEANUP+=("$1"); }
t_cleanup() {
	local i
	for ((i = ${#T_CLEANUP[@]} - 1; i >= 0; i--)); do eval "${T_CLEANUP[i]}" 2>/dev/null; done
}
trap t_cleanup EXIT
# tests/run's timeout sends TERM: exit through the EXIT trap, so namespaces,
# mounts and programs started by the test are cleaned up.
trap 'exit 143' TERM
trap 'exit 130' INT

# t_tmpdir VAR [NAME]: make a private directory, removed at exit, and store
# its path in VAR (not printed: a $(...) subshell could not register it).
t_tmpdir() {
	local d
	d=$(mktemp -d "${TMPDIR:-/tmp}/kashim-${2:-test}.XXXXXX") || return 1
	t_on_exit "rm -rf '$d'"
	printf -v "$1" %s "$d"
}

# t_clean_env [KEEP...]: unset LD_PRELOAD and every variable kashim reads
# (KASHIM_*, libkeepalive's), so that the caller's environment cannot change
# an outcome. The test's own paths (KASHIM_ROOT, KASHIM_LIB), the sanitizer
# runs' KASHIM_LIB_UNDER_TEST and KASHIM_PRELOAD_FIRST, and KEEP stay.
t_clean_env() {
	local v k
	unset LD_PRELOAD
	for v in ${!KASHIM_@} KEEPALIVE KEEPIDLE KEEPINTVL KEEPCNT; do
		case $v in KASHIM_ROOT | KASHIM_LIB | KASHIM_LIB_UNDER_TEST | KASHIM_PRELOAD_FIRST) continue ;; esac
		for k in "$@"; do [ "$v" = "$k" ] && continue 2; done
		unset "$v"
	done
}

# t_free_port: print a TCP port free on 127.0.0.1 now, picked at random
# below the ephemeral range (net.ipv4.ip_local_port_range), so no connection
# made meanwhile (by the suite's other files, say) is given it before the
# server under test binds it, as a port just handed out by bind(0) could be.
t_free_port() {
	"$PYTHON" -c '
import random, socket
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
for _ in range(1000):
    port = random.randrange(max(1024, low - 12000), low)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break'
}

# ---- bounded waits ---------------------------------------------------------
# t_wait_until SECONDS COMMAND...: poll COMMAND every 0.05 s until it
# succeeds; false after SECONDS.
t_wait_until() {
	local i limit=$(($1 * 20))
	shift
	for ((i = 0; i < limit; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}
# t_wait_for FILE PATTERN [SECONDS]: wait until FILE has a line matching
# PATTERN (grep), 10 s by default.
t_wait_for() { t_wait_until "${3:-10}" grep -q -- "$2" "$1" 2>/dev/null; }
# t_wait_file FILE [SECONDS]: wait until FILE exists and is not empty.
t_wait_file() { t_wait_until "${2:-10}" test -s "$1"; }

# ---- ka-status -------------------------------------------------------------
# t_ka_status PID: one reading of PID's TCP sockets as ka-status --json
# prints it (stderr, if any, to the file T_KA_STATUS_ERR names).
t_ka_status() { "$KA_STATUS" --json "$1" 2>>"${T_KA_STATUS_ERR:-/dev/null}"; }
# t_socket PID FILTER...: the keepalive options of PID's first TCP socket
# matching FILTER (state=LISTEN, local=PORT, remote=PORT, fd=N), read with
# ka-status: "on|off IDLE INTERVAL COUNT USER_TIMEOUT". False when none
# matches (see tests/lib/sockq.py).
t_socket() {
	local pid=$1
	shift
	t_ka_status "$pid" | "$PYTHON" "$KASHIM_ROOT/tests/lib/sockq.py" "$@"
}
# t_wait_socket SECONDS PID FILTER...: poll t_socket until a socket matches
# (or PID exits); prints its options.
t_wait_socket() {
	local limit=$(($1 * 10)) pid=$2 i out
	shift 2
	for ((i = 0; i < limit; i++)); do
		if out=$(t_socket "$pid" "$@"); then
			echo "$out"
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
