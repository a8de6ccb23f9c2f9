# SPDX-License-Identifier: MIT
# container.t - kashim injected into containers from outside, the way a
# Kubernetes user would: a read-only volume holding libkashim.so and its
# config reader (kashim/), LD_PRELOAD and KASHIM_* in the environment, a
# config file mounted at /etc/keepalive.conf with its compiled form
# (kashim-compile, keepalive.conf.cache) beside it. Stock programs run inside
# (Debian's python3: a http.server and a client, in a debootstrap minbase
# root filesystem), then the musl build in a musl root filesystem (musl's
# loader and the musl probe, nothing else). ka-status on the host reads the
# containers' sockets. Each run has its control without LD_PRELOAD.
# Engines: podman with runc (the flags this machine needs), and unshare +
# chroot (the fallback when podman is missing); both run when they can, and
# every line names the engine it used.
# The Debian root filesystem is made once and cached outside the tree in
# $KASHIM_TEST_CACHE (default /var/cache/kashim-test), and imported into
# podman once.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/rootfs.sh"
cd "$KASHIM_ROOT"
if ! need_root; then skip containers "needs root (podman, unshare, mounts)"; finish; fi
for f in build-portable/libkashim.so build-portable/kashim/libkashim-conf.so build-musl/libkashim.so \
         build-musl/kashim/libkashim-conf.so build-musl/tests/probe; do
	[ -f "$f" ] || { fail containers "$f is missing: run make portable musl (make check does)"; finish; }
done

PODMAN=(podman --runtime runc --cgroup-manager=cgroupfs)
RUN_FLAGS=(--ulimit nofile=4096:4096 --ulimit nproc=4096:4096 --network=none)
tmp=$(mktemp -d /tmp/kashim-container.$$.XXXXXX)
NAME=kashim-test-$$
MUSL_IMAGE=localhost/kashim-test-musl:$$
cleanup() {
	if command -v podman >/dev/null; then
		"${PODMAN[@]}" rm -f -t 0 "$NAME" >/dev/null 2>&1
		podman rmi -f "$MUSL_IMAGE" >/dev/null 2>&1
	fi
	stop_chroot
	rm -rf "$tmp"
}
CHROOT_PID=
stop_chroot() {
	[ -n "$CHROOT_PID" ] || return 0
	stop_netns "$CHROOT_PID"
	CHROOT_PID=
}
trap cleanup EXIT
trap 'exit 1' INT TERM
elapsed() { echo $(( $(date +%s%N) / 1000000 - $1 )); }
now() { date +%s%N | cut -c1-13; }

# The volume: what an init container or a host path would provide. For
# glibc images, the portable build: the image has no libconfuse, so the
# reader of a plain build would fail to load and the file be ignored.
mkdir -p "$tmp/vol-glibc/kashim" "$tmp/vol-musl/kashim" "$tmp/ctmp"
cp build-portable/libkashim.so "$tmp/vol-glibc/" && cp build-portable/kashim/libkashim-conf.so "$tmp/vol-glibc/kashim/"
cp build-musl/libkashim.so "$tmp/vol-musl/" && cp build-musl/kashim/libkashim-conf.so "$tmp/vol-musl/kashim/"
# The config: a program section for each program, so the reader is proven
# found and loaded; KASHIM_COUNT comes from the environment.
cat >"$tmp/keepalive.conf" <<'CONF'
idle = 50
program "python3*" {
	idle = 42
}
program "probe" {
	idle = 43
}
CONF
chmod 644 "$tmp/keepalive.conf"
# Programs read only the compiled form, mounted beside the file.
build/kashim-compile "$tmp/keepalive.conf" >/dev/null
kernel_idle=$(cat /proc/sys/net/ipv4/tcp_keepalive_time)
kernel_count=$(cat /proc/sys/net/ipv4/tcp_keepalive_probes)

# ---- root filesystems ------------------------------------------------------
debian_ok=
if debian_root bookworm python3 "$tmp/debootstrap.log"; then
	debian_ok=1
else
	skip "debian rootfs" "$ROOTFS_WHY"
fi

# Imported once per root filesystem: the tag is the tree's making time.
[ -n "$debian_ok" ] && IMAGE=localhost/kashim-test-bookworm:python3-$(stat -c %Y "$ROOTFS")

# The musl root filesystem: musl's loader (which is its libc) and the probe.
MUSLROOT=$tmp/muslroot
mkdir -p "$MUSLROOT/lib" "$MUSLROOT/bin" "$MUSLROOT/tmp" "$MUSLROOT/etc" "$MUSLROOT/opt/kashim"
loader=$(ls /lib/ld-musl-*.so.1 | head -1)
cp -L "$loader" "$MUSLROOT/lib/"
cp build-musl/tests/probe "$MUSLROOT/bin/probe"
touch "$MUSLROOT/etc/keepalive.conf" "$MUSLROOT/etc/keepalive.conf.cache"

# ---- engine: podman --------------------------------------------------------
# podman_debian yes|no: python3's http.server and a client inside; prints
# the host PID of the container's first process.
CLIENT='import socket, time
for i in range(100):
    try:
        conn = socket.create_connection(("127.0.0.1", 8000)); break
    except OSError:
        time.sleep(0.05)
time.sleep(120)'
INSIDE='python3 -m http.server --bind 127.0.0.1 8000 >/dev/null 2>&1 & exec python3 -c "$CLIENT"'

podman_debian() {
	local env=(-e KASHIM_COUNT=4 -e "CLIENT=$CLIENT")
	[ "$1" = yes ] && env+=(-e LD_PRELOAD=/opt/kashim/libkashim.so)
	"${PODMAN[@]}" rm -f -t 0 "$NAME" >/dev/null 2>&1
	"${PODMAN[@]}" run -d --name "$NAME" "${RUN_FLAGS[@]}" \
		-v "$tmp/vol-glibc:/opt/kashim:ro" -v "$tmp/keepalive.conf:/etc/keepalive.conf:ro" \
		-v "$tmp/keepalive.conf.cache:/etc/keepalive.conf.cache:ro" "${env[@]}" "$IMAGE" sh -c "$INSIDE" >/dev/null || return 1
	"${PODMAN[@]}" inspect -f '{{.State.Pid}}' "$NAME"
}
podman_musl() {
	local env=(-e KASHIM_COUNT=4)
	[ "$1" = yes ] && env+=(-e LD_PRELOAD=/opt/kashim/libkashim.so)
	rm -f "$tmp/ctmp/port"
	"${PODMAN[@]}" rm -f -t 0 "$NAME" >/dev/null 2>&1
	"${PODMAN[@]}" run -d --name "$NAME" "${RUN_FLAGS[@]}" \
		-v "$tmp/vol-musl:/opt/kashim:ro" -v "$tmp/keepalive.conf:/etc/keepalive.conf:ro" \
		-v "$tmp/keepalive.conf.cache:/etc/keepalive.conf.cache:ro" -v "$tmp/ctmp:/tmp" "${env[@]}" "$MUSL_IMAGE" /bin/probe listen /tmp/port 120 >/dev/null || return 1
	for _ in $(seq 100); do [ -s "$tmp/ctmp/port" ] && break; sleep 0.05; done
	"${PODMAN[@]}" exec -d "$NAME" /bin/probe connect "$(cat "$tmp/ctmp/port")" 120 >/dev/null || return 1
	"${PODMAN[@]}" inspect -f '{{.State.Pid}}' "$NAME"
}

# ---- engine: unshare + chroot ----------------------------------------------
# chroot_run ROOT VOLUME yes|no COMMAND...: COMMAND in ROOT (an overlay on
# it, so the cached tree is never written) in new network and mount
# namespaces, with the volume and the config bound read-only; the
# environment is set by execve after chroot, so nothing on the host side
# is preloaded. Sets CHROOT_PID.
chroot_run() {
	local root=$1 vol=$2 preload=$3; shift 3
	local m=$tmp/chroot.$RANDOM
	mkdir -p "$m/up" "$m/work" "$m/merged"
	CHROOT_ROOT=$m/merged
	local envs=(KASHIM_COUNT=4 PATH=/usr/sbin:/usr/bin:/sbin:/bin "CLIENT=$CLIENT")
	[ "$preload" = yes ] && envs+=(LD_PRELOAD=/opt/kashim/libkashim.so)
	unshare --net --mount bash -c '
		set -e
		ip link set lo up
		mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/up,workdir=$2/work" "$2/merged"
		mkdir -p "$2/merged/opt/kashim" "$2/merged/tmp"
		touch "$2/merged/etc/keepalive.conf" "$2/merged/etc/keepalive.conf.cache"
		mount --bind "$3" "$2/merged/opt/kashim" && mount -o remount,bind,ro "$2/merged/opt/kashim"
		mount --bind "$4" "$2/merged/etc/keepalive.conf" && mount -o remount,bind,ro "$2/merged/etc/keepalive.conf"
		mount --bind "$4.cache" "$2/merged/etc/keepalive.conf.cache"
		mount --bind "$5" "$2/merged/tmp"
		exec "$6" -c "$CHROOT_EXEC" "$2/merged" "${@:7}"
	' bash "$root" "$m" "$vol" "$tmp/keepalive.conf" "$tmp/ctmp" "$PYTHON" "${#envs[@]}" "${envs[@]}" "$@" \
		>"$m.log" 2>&1 &
	CHROOT_PID=$!
}
chroot_debian() { chroot_run "$ROOTFS" "$tmp/vol-glibc" "$1" /bin/sh -c "$INSIDE"; }
chroot_musl() {
	rm -f "$tmp/ctmp/port"
	chroot_run "$MUSLROOT" "$tmp/vol-musl" "$1" /bin/probe listen /tmp/port 120
	local server=$CHROOT_PID
	for _ in $(seq 100); do [ -s "$tmp/ctmp/port" ] && break; sleep 0.05; done
	# The client joins the server's namespaces, as podman exec would.
	local envs=(KASHIM_COUNT=4)
	[ "$1" = yes ] && envs+=(LD_PRELOAD=/opt/kashim/libkashim.so)
	nsenter --net --mount -t "$server" "$PYTHON" -c "$CHROOT_EXEC" "$CHROOT_ROOT" \
		"${#envs[@]}" "${envs[@]}" /bin/probe connect "$(cat "$tmp/ctmp/port")" 120 >/dev/null 2>&1 &
	CHROOT_PID=$server
}

# ---- the runs ---------------------------------------------------------------
# scenario ENGINE FLAVOUR EXPECTED-IDLE: the shimmed run, then its control.
scenario() {
	local engine=$1 flavour=$2 idle=$3 pid t0 side want
	for side in yes no; do
		t0=$(now)
		if [ "$engine" = podman ]; then
			pid=$(podman_$flavour $side) || { fail "$engine $flavour" "could not start the container"; return; }
		else
			chroot_$flavour $side
			pid=$CHROOT_PID
		fi
		if [ $side = yes ]; then
			want=$(printf 'on %s 4\non %s 4' "$idle" "$idle")
			name="$engine $flavour: both ends inside get idle $idle (program section) and count 4 (KASHIM_COUNT)"
		else
			want=$(printf 'off %s %s\noff %s %s' "$kernel_idle" "$kernel_count" "$kernel_idle" "$kernel_count")
			name="$engine $flavour: control without LD_PRELOAD: keepalive off"
		fi
		await_sockets "$pid" 2
		echo "# $engine $flavour preload=$side: started and two connections read by ka-status in $(elapsed "$t0") ms"
		expect_eq "$name" "$want" "$(sockets "$pid")"
		t0=$(now)
		if [ "$engine" = podman ]; then
			"${PODMAN[@]}" rm -f -t 0 "$NAME" >/dev/null 2>&1
		else
			stop_chroot
		fi
		echo "# $engine $flavour preload=$side: stopped in $(elapsed "$t0") ms"
	done
}

if command -v podman >/dev/null && command -v runc >/dev/null; then
	echo "# engine: podman $(podman --version | awk '{print $3}') with runc"
	if [ -n "$debian_ok" ]; then
		if ! podman image exists "$IMAGE"; then
			t0=$(now)
			tar -C "$ROOTFS" -c . | podman import -q - "$IMAGE" >/dev/null
			echo "# podman import of the debian rootfs: $(elapsed "$t0") ms"
		fi
		# The images of earlier root filesystems (other tags) are replaced:
		# one is made here (an older tag) so that the removal is seen.
		podman tag "$IMAGE" "${IMAGE%:*}:python3-1" >/dev/null 2>&1
		images() { podman images --format '{{.Repository}}:{{.Tag}}' "${IMAGE%:*}" | sort; }
		for old in $(images); do [ "$old" = "$IMAGE" ] || podman rmi -f "$old" >/dev/null 2>&1; done
		expect_eq "podman holds one image of the debian rootfs: the current one" "$IMAGE" "$(images)"
		scenario podman debian 42
	fi
	t0=$(now)
	tar -C "$MUSLROOT" -c . | podman import -q - "$MUSL_IMAGE" >/dev/null
	echo "# podman import of the musl rootfs: $(elapsed "$t0") ms"
	scenario podman musl 43
else
	skip podman "podman or runc is not installed: unshare + chroot only"
fi
echo "# engine: unshare + chroot"
[ -n "$debian_ok" ] && scenario chroot debian 42
scenario chroot musl 43
finish
