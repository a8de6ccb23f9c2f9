# SPDX-License-Identifier: MIT
# roots.sh - sourced by roots-bullseye.t and roots-trixie.t (one suite a
# file: each takes minutes), with SUITE set: the shim and config reader built here (build/, on this
# machine's glibc) loaded for real into an older and a newer Debian: a
# debootstrap minbase root filesystem of bullseye (glibc 2.31) and one of
# trixie (glibc 2.41), with python3, curl and libconfuse2 (the plain
# reader's only dependency). In each, Debian's python3 serves and Debian's
# curl (--no-keepalive: it sets nothing itself) connects, in a network
# namespace of their own; the host's ka-status reads both ends. Four ways
# in, each with its control:
#   LD_PRELOAD + KASHIM_IDLE            control: no LD_PRELOAD
#   /etc/ld.so.preload inside the root, written by kashim-preload add
#   --root (which checks the library against the root's glibc)
#                                       control: no ld.so.preload
#   a program section for curl          control: a section for another program
#   a destination rule for the server   control: a rule for another port
# The roots are made once and cached in $KASHIM_TEST_CACHE (default
# /var/cache/kashim-test); each run is on an overlay of the cached tree,
# which is never written.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/rootfs.sh"
cd "$KASHIM_ROOT"
if ! need_root; then skip roots "needs root (chroot, unshare, mounts)"; finish; fi
for f in build/libkashim.so build/kashim/libkashim-conf.so "$KA_STATUS"; do
	[ -f "$f" ] || { fail roots "$f is missing: run make"; finish; }
done
tmp=$(mktemp -d /tmp/kashim-roots.$$.XXXXXX)
RUN_PID=
cleanup() {
	[ -z "$RUN_PID" ] || stop_netns "$RUN_PID"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
kernel_idle=$(cat /proc/sys/net/ipv4/tcp_keepalive_time)

# The volume, bound read-only at /opt/kashim: the library, its reader
# beside it, and the config files of the cases.
VOL=$tmp/vol
mkdir -p "$VOL/kashim" "$VOL/conf"
cp build/libkashim.so "$VOL/" && cp build/kashim/libkashim-conf.so "$VOL/kashim/"
conf() { printf 'idle = 50\n%s {\n\tidle = %s\n}\n' "$2" "$3" >"$VOL/conf/$1.conf"; }
conf section 'program "curl"' 43
conf section-other 'program "other"' 43
conf dest 'destination "127.0.0.1:8080"' 44
conf dest-other 'destination "127.0.0.1:9090"' 44
chmod -R a+rX "$VOL"

SERVER='import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 8080)); s.listen(1)
open("/tmp/ready", "w").close()
c, _ = s.accept()
time.sleep(60)'
INSIDE='python3 -c "$SERVER" &
i=0; while [ ! -e /tmp/ready ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
exec curl --no-keepalive -s -m 60 -o /dev/null http://127.0.0.1:8080/'

# in_root ROOT PRELOAD-FILE VAR=VALUE...: the server and curl in ROOT (an
# overlay on it) in new network and mount namespaces, with exactly those
# variables (set by execve after chroot: nothing on the host side is
# preloaded); with PRELOAD-FILE yes, kashim-preload add --root first puts
# /opt/kashim/libkashim.so in the overlay's /etc/ld.so.preload. Sets
# RUN_PID and RUN_LOG.
in_root() {
	local root=$1 preload_file=$2; shift 2
	local m=$tmp/run.$RANDOM
	mkdir -p "$m/up" "$m/work" "$m/merged"
	RUN_LOG=$m.log
	unshare --net --mount bash -c '
		set -e
		ip link set lo up
		mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/up,workdir=$2/work" "$2/merged"
		mkdir -p "$2/merged/opt/kashim"
		mount --bind "$3" "$2/merged/opt/kashim" && mount -o remount,bind,ro "$2/merged/opt/kashim"
		[ "$4" != yes ] || "$5" add --root "$2/merged" /opt/kashim/libkashim.so
		exec "$6" -c "$CHROOT_EXEC" "$2/merged" "${@:7}"
	' bash "$root" "$m" "$VOL" "$preload_file" "$KASHIM_ROOT/scripts/kashim-preload" "$PYTHON" \
		$(($# + 2)) PATH=/usr/sbin:/usr/bin:/sbin:/bin "SERVER=$SERVER" "$@" /bin/sh -c "$INSIDE" \
		>"$RUN_LOG" 2>&1 &
	RUN_PID=$!
}

# expect_ends NAME WANT ROOT PRELOAD-FILE VAR=VALUE...: both ends of the
# connection, "curl on|off IDLE, python3 on|off IDLE", read from the host,
# are WANT; the run's output (ld.so's and kashim-preload's lines) when not.
expect_ends() {
	local name=$1 want=$2 got; shift 2
	in_root "$@"
	await_sockets "$RUN_PID" 2
	got=$(sockets "$RUN_PID" 'p["command"], "on" if s["keepalive"] else "off", s["idle"]' |
		paste -sd, | sed 's/,/, /g')
	stop_netns "$RUN_PID"
	RUN_PID=
	if [ "$want" = "$got" ]; then
		pass "$name"
	else
		fail "$name" "expected '$want', got '$got'
$(head -c 2000 "$RUN_LOG")"
	fi
}

both() { echo "curl $1 $2, python3 $1 $2"; }
P=LD_PRELOAD=/opt/kashim/libkashim.so
suite=$SUITE
if ! debian_root "$suite" python3,curl,socat,libconfuse2 "$tmp/debootstrap-$suite.log"; then
	skip "$suite" "$ROOTFS_WHY"
else
	glibc=$(chroot "$ROOTFS" /usr/bin/ldd --version 2>/dev/null | awk 'NR == 1 { print $NF }')
	echo "# $suite: glibc $glibc"
	expect_ends "$suite: LD_PRELOAD: both ends get KASHIM_IDLE=31" "$(both on 31)" \
		"$ROOTFS" no "$P" KASHIM_IDLE=31
	expect_ends "$suite: control: without LD_PRELOAD keepalive is off" "$(both off "$kernel_idle")" \
		"$ROOTFS" no KASHIM_IDLE=31
	expect_ends "$suite: /etc/ld.so.preload in the root: both ends get KASHIM_IDLE=32" "$(both on 32)" \
		"$ROOTFS" yes KASHIM_IDLE=32
	expect_ends "$suite: control: without ld.so.preload keepalive is off" "$(both off "$kernel_idle")" \
		"$ROOTFS" no KASHIM_IDLE=32
	expect_ends "$suite: program \"curl\" gives curl idle 43, python3 the top level's 50" \
		"curl on 43, python3 on 50" "$ROOTFS" no "$P" KASHIM_CONFIG=/opt/kashim/conf/section.conf
	expect_ends "$suite: control: program \"other\" does not apply" "$(both on 50)" \
		"$ROOTFS" no "$P" KASHIM_CONFIG=/opt/kashim/conf/section-other.conf
	expect_ends "$suite: destination 127.0.0.1:8080 gives curl's connection idle 44" \
		"curl on 44, python3 on 50" "$ROOTFS" no "$P" KASHIM_CONFIG=/opt/kashim/conf/dest.conf
	expect_ends "$suite: control: a rule for port 9090 does not apply" "$(both on 50)" \
		"$ROOTFS" no "$P" KASHIM_CONFIG=/opt/kashim/conf/dest-other.conf
fi
finish
