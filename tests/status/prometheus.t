#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# prometheus.t - ka-status --all --prometheus, read by a real node_exporter
# (Debian's prometheus-node-exporter, textfile collector) and checked by
# promtool (Debian's prometheus). Clients with names of their own: one
# under the shim (configured_by="preload"), one without it (keepalive off,
# configured_by="nobody"), one that turns keepalive on itself ("program"),
# and one whose name holds a double quote, a backslash and a newline, which
# must reach the scrape escaped (control: a plain name, verbatim).
source "$(dirname "$0")/../lib/common.sh"
PEERS=$KASHIM_ROOT/tests/status/peers.py
NODE_EXPORTER=/usr/bin/prometheus-node-exporter

t_clean_env
for tool in promtool "$NODE_EXPORTER" curl "$KA_STATUS" "$KASHIM_LIB"; do
	if ! command -v "$tool" >/dev/null && [ ! -e "$tool" ]; then
		fail "prometheus setup" "$tool is missing (make; scripts/install-deps test)"
		finish
	fi
done
t_tmpdir tmp prom
PIDS=()
t_on_exit 'for p in "${PIDS[@]}"; do kill "$p"; done; wait'
text=$tmp/textfile
mkdir -p "$text"

# Names of at most 15 bytes (comm), unique to this run.
SHIMMED=ks$$ PLAIN=kp$$ OWN=ko$$ ODD=$'k"\\\n'$$
port=$(t_free_port)
"$PYTHON" "$PEERS" echo-server "$port" "$tmp/srv.ready" &
PIDS+=($!)
t_wait_file "$tmp/srv.ready" || { fail "prometheus setup" "echo server did not start"; finish; }
env LD_PRELOAD="$KASHIM_LIB" KASHIM_CONFIG=/dev/null KASHIM_KEEPALIVE=on \
	"$PYTHON" "$PEERS" hold "$tmp/shimmed" --name "$SHIMMED" "127.0.0.1:$port" &
PIDS+=($!)
"$PYTHON" "$PEERS" hold "$tmp/plain" --name "$PLAIN" "127.0.0.1:$port" &
PIDS+=($!)
"$PYTHON" "$PEERS" hold "$tmp/own" --name "$OWN" --keepalive "127.0.0.1:$port" &
PIDS+=($!)
"$PYTHON" "$PEERS" hold "$tmp/odd" --name "$ODD" "127.0.0.1:$port" &
PIDS+=($!)
for f in shimmed plain own odd; do
	t_wait_file "$tmp/$f" || { fail "prometheus setup" "client $f did not connect"; finish; }
done

# --- the file ------------------------------------------------------------------
"$KA_STATUS" --all --prometheus --output "$text/kashim.prom" 2>"$tmp/err"
expect_eq "--output: exit status 0" 0 "$?"
expect_eq "--output: only the .prom file is left (the temporary file was renamed)" "kashim.prom" \
	"$(ls -A "$text")"
expect_eq "--output: the file is readable by node_exporter's user (0644)" 644 \
	"$(stat -c %a "$text/kashim.prom")"
out=$(promtool check metrics <"$text/kashim.prom" 2>&1)
expect_eq "promtool check metrics accepts the file" "0 " "$? $out"
# Control: promtool does refuse a label value with its quote unescaped.
printf '# TYPE x gauge\nx{program="k"q"} 1\n' >"$tmp/bad.prom"
check "control: promtool refuses an unescaped quote" \
	bash -c '! promtool check metrics <"$1" >/dev/null 2>&1' _ "$tmp/bad.prom"
for m in kashim_tcp_connections kashim_processes_read kashim_processes_unreadable \
	kashim_scrape_duration_seconds; do
	check "$m has HELP and TYPE gauge lines" bash -c \
		'grep -q "^# HELP $1 " "$2" && grep -q "^# TYPE $1 gauge$" "$2"' _ "$m" "$text/kashim.prom"
done
check "the odd name is written escaped: \\\" \\\\ \\n" \
	grep -qF "program=\"k\\\"\\\\\\n$$\"" "$text/kashim.prom"
check "control: the plain name is written verbatim" grep -qF "program=\"$PLAIN\"" "$text/kashim.prom"
check "no series is per pid (no pid label)" bash -c '! grep -q "pid=" "$1"' _ "$text/kashim.prom"

# --- node_exporter's scrape ----------------------------------------------------
nport=$(t_free_port)
"$NODE_EXPORTER" --web.listen-address="127.0.0.1:$nport" --collector.disable-defaults \
	--collector.textfile --collector.textfile.directory="$text" >"$tmp/ne.log" 2>&1 &
PIDS+=($!)
t_wait_until 10 curl -sf -o "$tmp/scrape" "http://127.0.0.1:$nport/metrics" ||
	{ fail "node_exporter scrape" "no answer: $(tail -3 "$tmp/ne.log")"; finish; }
# series NAME: "keepalive configured_by value" of program NAME in the
# scrape, label values unescaped, one line per series.
series() {
	"$PYTHON" - "$1" "$tmp/scrape" <<-'EOF'
		import re, sys
		want, path = sys.argv[1], sys.argv[2]
		label = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
		unescape = lambda v: re.sub(r'\\(.)', lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), v)
		for line in open(path, encoding="utf-8"):
		    m = re.match(r'kashim_tcp_connections\{(.*)\} (\S+)$', line.strip())
		    if not m:
		        continue
		    labels = {k: unescape(v) for k, v in label.findall(m.group(1))}
		    if labels.get("program") == want:
		        print(labels["keepalive"], labels["configured_by"], m.group(2))
	EOF
}
expect_eq "scrape: the shimmed client, keepalive on by the preload" "on preload 1" "$(series "$SHIMMED")"
expect_eq "scrape: the unshimmed client (control), keepalive off, by nobody" "off nobody 1" \
	"$(series "$PLAIN")"
expect_eq "scrape: the client that sets keepalive itself, by the program" "on program 1" \
	"$(series "$OWN")"
expect_eq "scrape: the name with a quote, a backslash and a newline comes back whole" \
	"off nobody 1" "$(series "$ODD")"
check "scrape: node_exporter read the file without error" \
	grep -q '^node_textfile_scrape_error 0$' "$tmp/scrape"
check "scrape: the scrape's duration is there" \
	grep -Eq '^kashim_scrape_duration_seconds [0-9.e+-]+$' "$tmp/scrape"

# --- cardinality: --max-programs names at most, the rest under "(other)" ---
# Five more clients of names of their own. Names are kept in /proc's order
# and the machine's older processes come first, so with room for one name
# these five can only be counted as "(other)".
for i in 1 2 3 4 5; do
	"$PYTHON" "$PEERS" hold "$tmp/many.$i" --name "c$$-$i" "127.0.0.1:$port" &
	PIDS+=($!)
done
for i in 1 2 3 4 5; do
	t_wait_file "$tmp/many.$i" || { fail "cardinality setup" "client c$$-$i did not connect"; finish; }
done
# program_names FILE: the distinct program label values, as written.
program_names() { grep -o '^kashim_tcp_connections{program="\([^"\\]\|\\.\)*"' "$1" | sort -u; }
"$KA_STATUS" --all --prometheus --max-programs 1 >"$tmp/capped.prom"
expect_eq "--max-programs 1: one name and (other), no more" 2 "$(program_names "$tmp/capped.prom" | wc -l)"
expect_eq "--max-programs 1: none of the five newest names has a series" 0 \
	"$(grep -c "program=\"c$$-" "$tmp/capped.prom")"
n=$(awk '/^kashim_tcp_connections\{program="\(other\)",keepalive="off",configured_by="nobody"\}/ { print $NF }' \
	"$tmp/capped.prom")
check "--max-programs 1: their connections are counted under (other) (${n:-none})" test "${n:-0}" -ge 5
check "--max-programs 1: the output still passes promtool" \
	bash -c 'promtool check metrics <"$1" >/dev/null 2>&1' _ "$tmp/capped.prom"
"$KA_STATUS" --all --prometheus >"$tmp/uncapped.prom"
expect_eq "control, the default cap (500): each of the five has its series" 5 \
	"$(grep -c "^kashim_tcp_connections{program=\"c$$-[1-5]\",keepalive=\"off\"" "$tmp/uncapped.prom")"
expect_eq "control, the default cap: no (other)" 0 "$(grep -c 'program="(other)"' "$tmp/uncapped.prom")"

# --- processes that could not be read --------------------------------------
unreadable() { awk -F' ' '/^kashim_processes_unreadable\{reason="permission"\}/ { print $2 }'; }
if need_root && command -v setpriv >/dev/null; then
	n=$(cd / && setpriv --reuid=nobody --regid=nogroup --clear-groups "$KA_STATUS" --all --prometheus |
		unreadable)
	check "as nobody: root's processes are counted as unreadable (permission)" test "${n:-0}" -ge 4
	check "as nobody: none of the clients is in the output" bash -c \
		'! setpriv --reuid=nobody --regid=nogroup --clear-groups "$1" --all --prometheus |
			grep -q "program=\"$2\""' _ "$KA_STATUS" "$PLAIN"
	expect_eq "control, as root: no process is unreadable for want of permission" 0 \
		"$("$KA_STATUS" --all --prometheus | unreadable)"
else
	skip "unreadable processes" "needs root and setpriv (clients owned by root, read as nobody)"
fi

# --- refusals --------------------------------------------------------------------
"$KA_STATUS" --all --prometheus --output "$tmp/no/such/dir/kashim.prom" 2>"$tmp/err"
expect_eq "--output into a missing directory: exit status 1" 1 "$?"
check "--output into a missing directory: says which file" grep -q "no/such/dir/kashim.prom" "$tmp/err"
"$KA_STATUS" --prometheus 1 2>"$tmp/err"
expect_eq "--prometheus without --all: usage error (2)" 2 "$?"
"$KA_STATUS" --all --json --prometheus 2>"$tmp/err"
expect_eq "--prometheus with --json: usage error (2)" 2 "$?"
"$KA_STATUS" --all --prometheus --max-programs 0 2>"$tmp/err"
expect_eq "--max-programs 0: usage error (2)" 2 "$?"
check "--max-programs 0: names the option and the range" grep -q "max-programs takes a number from 1" "$tmp/err"
finish
