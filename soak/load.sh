#!/bin/bash
# SPDX-License-Identifier: MIT
# load.sh WORKLOAD SECONDS - one bounded burst of client load inside a soak
# container, on loopback. Prints one line "rate=R errors=E" (R per second,
# E failed requests or clients) and the tool's output after it. Every
# workload is bounded in count and in time (timeout).
#   redis-ka    redis-benchmark GET, 8 kept-alive connections
#   redis-new   redis-benchmark PING, a new connection per request
#   pg-ka       pgbench -S, 2 kept-alive connections
#   pg-new      pgbench -S -C, a new connection (a forked backend) per transaction
#   http-ka     wrk through nginx to its upstream, kept-alive connections on both legs
#   http-new    Connection: close, and nginx connects to the upstream per request
#   ssh         key logins running true (sshd re-executes itself for each)
#   spawn       /bin/true started in a loop (the cost of loading the library)
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C
w=$1 t=$2
lim=$((t + 20))
out=$(mktemp)
now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", n / (b - a) }'; }
case $w in
redis-ka | redis-new)
	if [ "$w" = redis-ka ]; then args=(-c 8 -n 20000 -t get); else args=(-c 4 -n 2000 -k 0 -t ping_inline); fi
	timeout "$lim" redis-benchmark -h 127.0.0.1 -q --csv "${args[@]}" >"$out" 2>&1
	rc=$?
	r=$(awk -F'"' '$2 ~ /^(GET|PING_INLINE)$/ { print $4 }' "$out")
	# timeout ends the run early by design (rc 124): the rate of what ran
	# is printed only at the end, so a timed-out run counts as an error.
	echo "rate=${r:-0} errors=$([ -n "$r" ] && [ "$rc" = 0 ] && echo 0 || echo 1)"
	;;
pg-ka | pg-new)
	args=(-S -c 2 -T "$t")
	[ "$w" = pg-new ] && args+=(-C)
	timeout "$lim" su postgres -c "pgbench -n -h 127.0.0.1 ${args[*]} postgres" >"$out" 2>&1
	rc=$?
	r=$(awk '$1 == "tps" { print $3; exit }' "$out")
	f=$(awk '/number of failed transactions:/ { print $5 }' "$out")
	e=${f:-0}
	[ "$rc" = 0 ] && [ -n "$r" ] || e=$((e + 1))
	echo "rate=${r:-0} errors=$e"
	;;
http-ka | http-new)
	args=(-t 1 -c 4 -d "${t}s") url=http://127.0.0.1:8080/
	[ "$w" = http-new ] && args+=(-H "Connection: close") url=http://127.0.0.1:8080/new
	timeout "$lim" wrk "${args[@]}" "$url" >"$out" 2>&1
	rc=$?
	r=$(awk '$1 == "Requests/sec:" { print $2 }' "$out")
	# wrk counts a close after a Connection: close response as a read
	# error; only connect errors, timeouts and non-2xx answers count here.
	e=$(awk '/Socket errors:/ { gsub(",", ""); print $4 + $10 } /Non-2xx/ { print $5 }' "$out" |
		awk '{ s += $1 } END { print s + 0 }')
	[ "$rc" = 0 ] && [ -n "$r" ] || e=$((e + 1))
	echo "rate=${r:-0} errors=$e"
	;;
ssh)
	n=0 e=0 a=$(now)
	end=$(( $(date +%s) + t ))
	while [ "$(date +%s)" -lt "$end" ] && [ $n -lt 200 ]; do
		timeout 20 ssh -n -o BatchMode=yes root@127.0.0.1 true >>"$out" 2>&1 || e=$((e + 1))
		n=$((n + 1))
	done
	echo "rate=$(rate $n "$a" "$(now)") errors=$e"
	;;
spawn)
	n=0 a=$(now)
	end=$(( $(date +%s) + t ))
	while [ "$(date +%s)" -lt "$end" ] && [ $n -lt 20000 ]; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do /bin/true; done
		n=$((n + 10))
	done
	echo "rate=$(rate $n "$a" "$(now)") errors=0"
	;;
*)
	echo "load.sh: unknown workload $w" >&2
	exit 2
	;;
esac
cat "$out"
rm -f "$out"
