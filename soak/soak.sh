#!/bin/bash
# SPDX-License-Identifier: MIT
# soak.sh - make soak: kashim preloaded system-wide (/etc/ld.so.preload) in a
# Debian bookworm container of real daemons under bounded loopback load,
# against a control container without it, run side by side and loaded in
# turns so that the throughput ratio is paired within one run. One run per
# keepalive.conf variant (soak/conf.py: without rules, with rules). The
# report (soak/report.py) goes to stdout and $SOAK_OUT/report.txt; the exit
# status is 1 when kashim caused a client error, a wrong socket, a log
# line, a crash or fd/RSS growth, 2 on bad usage or a missing build.
#
# Environment: SOAK_SECONDS (load time per run, default 90), SOAK_VARIANTS
# (default "norules rules"), SOAK_OUT (default build/soak), B (build dir,
# default build), KASHIM_TEST_CACHE (default /var/cache/kashim-test),
# KASHIM_DEBIAN_MIRROR. Needs root (namespaces, mounts, chroot).
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
B=${B:-build}
SOAK_SECONDS=${SOAK_SECONDS:-90}
VARIANTS=${SOAK_VARIANTS:-norules rules}
OUT=${SOAK_OUT:-$B/soak}
CACHE=${KASHIM_TEST_CACHE:-/var/cache/kashim-test}
ROOTFS=$CACHE/soak/bookworm-minbase
WORKLOADS="redis-ka redis-new pg-ka pg-new http-ka http-new ssh spawn"
BURST=${SOAK_BURST:-3}

die() { echo "soak: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "needs root (network, PID and mount namespaces, chroot)"
case $SOAK_SECONDS in '' | *[!0-9]*) die "SOAK_SECONDS=$SOAK_SECONDS: not a number of seconds" ;; esac
[ "$SOAK_SECONDS" -ge 20 ] || die "SOAK_SECONDS=$SOAK_SECONDS: at least 20"
for c in debootstrap unshare nsenter chroot ip python3; do
	command -v "$c" >/dev/null || die "$c is not installed (scripts/install-deps test installs what the tests need)"
done
for f in "$B/libkashim.so" "$B/kashim/libkashim-conf.so" "$B/ka-status"; do
	[ -f "$f" ] || die "$f is missing: run make first"
done
for v in $VARIANTS; do
	python3 soak/conf.py write "$v" /dev/null 2>/dev/null || die "SOAK_VARIANTS: unknown variant $v"
done

if [ ! -f "$ROOTFS/etc/kashim-soak-rootfs" ]; then
	echo "soak: making the root filesystem $ROOTFS (debootstrap + apt, a few minutes)"
	soak/rootfs.sh "$ROOTFS" "${KASHIM_DEBIAN_MIRROR:-http://deb.debian.org/debian}" || exit 1
fi

rm -rf "$OUT" && mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
PIDS=()
cleanup() {
	local p
	# unshare --fork ignores SIGTERM while it waits; --kill-child takes
	# the container with it when it dies.
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	PIDS=()
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# layer DIR VARIANT kashim|control: the files the container adds to the
# cached root: the soak's scripts, the library (in both, preloaded only
# in the kashim one), kashim-compile when this tree builds it, the file.
layer() {
	local d=$1
	mkdir -p "$d/soak" "$d/etc" "$d/usr/local/lib/kashim" "$d/usr/local/sbin"
	cp soak/inside.sh soak/load.sh soak/closer.py "$d/soak/"
	cp "$B/libkashim.so" "$d/usr/local/lib/"
	cp "$B/kashim/libkashim-conf.so" "$d/usr/local/lib/kashim/"
	[ -x "$B/kashim-compile" ] && cp "$B/kashim-compile" "$d/usr/local/sbin/"
	cp scripts/kashim-preload "$d/usr/local/sbin/"
	python3 soak/conf.py write "$2" "$d/etc/keepalive.conf"
	[ "$3" = kashim ] && echo /usr/local/lib/libkashim.so >"$d/etc/ld.so.preload"
	chmod -R a+rX "$d"
}

# start DIR: the container, its root an overlay of DIR/layer on the cached
# tree; sets CPID (the host PID of its first process).
start() {
	local d=$1
	mkdir -p "$d/up" "$d/work" "$d/root"
	unshare --net --mount --pid --fork --kill-child bash -c '
		set -e
		ip link set lo up
		r=$1/root
		mount -t overlay overlay -o "lowerdir=$1/layer:$2,upperdir=$1/up,workdir=$1/work" "$r"
		mount -t proc proc "$r/proc"
		mount -t tmpfs -o mode=755 tmpfs "$r/dev"
		for n in null zero full random urandom tty; do touch "$r/dev/$n"; mount --bind "/dev/$n" "$r/dev/$n"; done
		mkdir "$r/dev/shm" "$r/dev/pts" && mount -t tmpfs -o mode=1777 tmpfs "$r/dev/shm"
		mount -t tmpfs -o mode=755 tmpfs "$r/run"
		mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"
		exec chroot "$r" env -i /soak/inside.sh "$3"
	' bash "$d" "$ROOTFS" 86400 >"$d/console.log" 2>&1 &
	PIDS+=($!)
	local u=$!
	CPID=
	for _ in $(seq 50); do
		CPID=$(cat "/proc/$u/task/$u/children" 2>/dev/null | awk '{ print $1 }')
		[ -n "$CPID" ] && break
		sleep 0.1
	done
	[ -n "$CPID" ] || { echo "soak: container in $d did not start: $(cat "$d/console.log")" >&2; return 1; }
	echo "$CPID" >"$d/pid"
}

# cin CPID COMMAND...: COMMAND inside the container (its namespaces and root).
cin() {
	local p=$1
	shift
	nsenter -t "$p" -n -m -p -r -w env -i PATH=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"
}

# ready DIR CPID: wait (at most 180 s) for the daemons.
ready() {
	for _ in $(seq 1800); do
		cin "$2" test -e /run/soak/failed 2>/dev/null && break
		cin "$2" test -e /run/soak/ready 2>/dev/null && return 0
		sleep 0.1
	done
	echo "soak: container $1 not ready: $(cin "$2" cat /run/soak/failed 2>/dev/null) $(tail -5 "$1/console.log")" >&2
	return 1
}

# pids CPID: the host PIDs of the container's processes.
pids() {
	python3 soak/ps.py pids "$1"
}

# sockets CPID FILE: ka-status, run on the host, over every process; then
# again at once into FILE.recheck, for the report to tell a socket read
# between its connect() and kashim's setsockopt() from a wrong one.
sockets() {
	local p
	p=$(pids "$1")
	# shellcheck disable=SC2086
	"$B/ka-status" --json $p >"$2" 2>/dev/null
	# shellcheck disable=SC2086
	"$B/ka-status" --json $p >"$2.recheck" 2>/dev/null
	true
}

# procs CPID FILE: "pid fds rss_kb cmdline" of every process.
procs() {
	python3 soak/ps.py procs "$1" >"$2"
}

# reload CPID kashim|control: what an administrator does during the day;
# with kashim also its own reload (kashim-preload reload where it has one,
# else kashim-compile), when this tree builds kashim-compile.
reload() {
	cin "$1" bash -c '
		e=0
		nginx -s reload || e=1
		pg_ctlcluster $(ls /etc/postgresql) main reload || e=1
		pkill -HUP -x rsyslogd || e=1
		if [ "$1" = kashim ] && command -v kashim-compile >/dev/null; then
			if grep -q "reload)" /usr/local/sbin/kashim-preload; then
				kashim-preload reload || e=1
			else
				kashim-compile /etc/keepalive.conf || e=1
			fi
		fi
		exit $e' bash "$2" >/dev/null 2>&1
}

# run VARIANT: one paired run.
run() {
	local v=$1 dir=$OUT/$1 K C round=0 order s
	mkdir -p "$dir/K" "$dir/C" "$dir/snap"
	layer "$dir/K/layer" "$v" kashim
	layer "$dir/C/layer" "$v" control
	start "$dir/K" || return 1
	K=$CPID
	start "$dir/C" || return 1
	C=$CPID
	ready "$dir/K" "$K" && ready "$dir/C" "$C" || return 1
	cin "$K" cat /proc/sys/net/ipv4/tcp_keepalive_time /proc/sys/net/ipv4/tcp_keepalive_intvl \
		/proc/sys/net/ipv4/tcp_keepalive_probes | tr '\n' ' ' >"$dir/untouched"
	sleep 2
	procs "$K" "$dir/K/procs-start"; procs "$C" "$dir/C/procs-start"
	sockets "$K" "$dir/snap/K-start.json"; sockets "$C" "$dir/snap/C-start.json"
	local end=$(( $(date +%s) + SOAK_SECONDS )) next_reload=$(( $(date +%s) + 10 ))
	while [ "$(date +%s)" -lt "$end" ] || [ $round -lt 1 ]; do
		round=$((round + 1))
		for w in $WORKLOADS; do
			if [ $((round % 2)) = 1 ]; then order="K C"; else order="C K"; fi
			for s in $order; do
				local p=$K
				[ $s = C ] && p=$C
				# The burst in the background, its sockets read a second in;
				# its end is a file, not a wait on a job.
				local mark=$dir/$s/done-$round-$w
				(cin "$p" /soak/load.sh "$w" "$BURST" >"$dir/$s/load-$round-$w.log" 2>&1; touch "$mark") &
				sleep 1
				sockets "$p" "$dir/snap/$s-$round-$w.json"
				while [ ! -e "$mark" ]; do sleep 0.2; done
				echo "$v $round $w $s $(head -1 "$dir/$s/load-$round-$w.log")" >>"$dir/results"
			done
			if [ "$(date +%s)" -ge "$next_reload" ]; then
				reload "$K" kashim; echo "$v $round reload K rc=$?" >>"$dir/reloads"
				reload "$C" control; echo "$v $round reload C rc=$?" >>"$dir/reloads"
				next_reload=$(( $(date +%s) + 10 ))
			fi
		done
	done
	sleep 2
	sockets "$K" "$dir/snap/K-end.json"; sockets "$C" "$dir/snap/C-end.json"
	cin "$K" ss -tnoH state established >"$dir/K/ss-end" 2>&1
	procs "$K" "$dir/K/procs-end"; procs "$C" "$dir/C/procs-end"
	# The log probe: a bad KASHIM_IDLE makes kashim log one line, which
	# must reach the container's syslog (else its absence proves nothing).
	for p in $K $C; do
		cin "$p" env KASHIM_IDLE=soak-logprobe python3 -c 'import socket; socket.socket()'
	done
	sleep 2
	for s in K C; do
		local p=$K
		[ $s = C ] && p=$C
		cin "$p" cat /run/soak/closer.status >"$dir/$s/closer.status" 2>/dev/null
		cin "$p" bash -c 'cat /var/log/syslog /var/log/messages /var/log/user.log 2>/dev/null' >"$dir/$s/syslog"
		cin "$p" bash -c 'cat /var/log/soak-cron.log 2>/dev/null' >"$dir/$s/cron.log"
		cin "$p" bash -c 'cat /var/log/postgresql/*.log /var/log/nginx/error.log /var/log/redis-soak.log 2>/dev/null' \
			>"$dir/$s/daemon.log"
		cin "$p" bash -c 'ls /etc/keepalive.conf*' >"$dir/$s/etc-files" 2>&1
	done
	echo "$round" >"$dir/rounds"
	cleanup
}

status=0
for v in $VARIANTS; do
	echo "soak: run $v: $SOAK_SECONDS s of load, kashim and control in turns"
	run "$v" || { echo "soak: run $v could not run" >&2; status=2; }
done
python3 soak/report.py "$OUT" $VARIANTS | tee "$OUT/report.txt"
rc=${PIPESTATUS[0]}
[ $status = 0 ] || exit $status
exit "$rc"
