# SPDX-License-Identifier: MIT
# test-timeout: 1800
# image.t - the node-agent image, for real: `make image` (the Debian
# packages of this tree on a debootstrap bookworm base, imported into
# podman), run by podman as a privileged container with exactly the mounts,
# privileges and arguments of the DaemonSet in doc/deploying.md (read from
# it by tests/lib/daemonset.py; only the host side of the config and
# textfile mounts is the test's own, the image is the test's tag, and
# --interval 1 is added). Checked, each against its control:
# - a static client in a host cgroup named by a cgroup section gets the
#   section's values; the same client outside it the kernel's defaults;
# - a cgroup made after the agent started is configured at its next round;
# - the metrics file holds the counters and passes promtool check metrics;
# - stopping the container leaves the attachment in force (what the
#   documentation promises) and removes the metrics file; with
#   --detach-on-stop the attachment goes and new connections get the
#   kernel's defaults;
# - without the host's bpffs, or with a bad keepalive.conf, the agent
#   exits 1 or 2, saying why, and nothing is in force.
# The base root is cached in $KASHIM_TEST_CACHE (default
# /var/cache/kashim-test); the packages are built without their unit tests
# (make check runs those).
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../bpf/lib.sh"
cd "$KASHIM_ROOT"
if ! need_root; then skip image "needs root (podman, cgroups, BPF)"; finish; fi
if [ ! -d debian ] || ! git rev-parse --git-dir >/dev/null 2>&1; then
	skip image "not a git checkout with debian/ (make deb takes debian/ from git)"; finish
fi
for tool in podman runc debootstrap dpkg-buildpackage promtool; do
	command -v $tool >/dev/null || { fail image "$tool is not installed (scripts/install-deps test installs it)"; finish; }
done
kb_init image

PODMAN=(podman --runtime runc --cgroup-manager=cgroupfs)
RUN_FLAGS=(--ulimit nofile=4096:4096 --ulimit nproc=4096:4096 --network=none)
IMAGE=localhost/kashim-node-agent-test:$$
NAME=kashim-agent-test-$$
tmp=$KB_TMP
image_cleanup() {
	local c
	for c in "$NAME" "$NAME-detach" "$NAME-once"; do "${PODMAN[@]}" rm -f -t 0 "$c" >/dev/null 2>&1; done
	podman rmi -f "$IMAGE" >/dev/null 2>&1
	[ -z "${CONF:-}" ] || "$KASHIM_BPF" detach --all -c "$CONF" >/dev/null 2>&1
}
trap 'image_cleanup; kb_cleanup' EXIT

start=$(date +%s)
if DEB_BUILD_OPTIONS=nocheck make -s image IMAGE="$IMAGE" IMAGE_OUT="$tmp/image" \
	IMAGE_CACHE="${KASHIM_TEST_CACHE:-/var/cache/kashim-test}" >"$tmp/build.log" 2>&1; then
	pass "make image builds ($(( $(date +%s) - start )) s)"
else
	fail "make image" "$(tail -20 "$tmp/build.log")"; finish
fi
grep -E '^(# bookworm|image )' "$tmp/build.log"
expect_eq "its entrypoint is the node agent" '[/usr/local/sbin/kashim-node-agent]' \
	"$(podman image inspect -f '{{.Config.Entrypoint}}' "$IMAGE")"
VERSION=$(sed -n 's/^VERSION *:= *//p' Makefile)
expect_eq "kashim-bpf in it is this tree's package, installed by dpkg" "install ok installed $VERSION-1" \
	"$("${PODMAN[@]}" run --rm "${RUN_FLAGS[@]}" --entrypoint dpkg-query "$IMAGE" -W -f '${Status} ${Version}' kashim-bpf 2>&1)"
check "the OCI archive for other engines" test -s "$tmp/image/kashim-node-agent.oci.tar"

kb_hold srv 127.0.0.1 || { fail image-setup "server did not start"; finish; }
kb_mkcg CG agent || { fail image-setup "cannot create a cgroup"; finish; }
LATE=$KB_MOUNT/kbtest-$$-late
CONF=$tmp/keepalive.conf
cat >"$CONF" <<EOF
cgroup "${CG#"$KB_MOUNT"/}" {
	idle = 41
	interval = 7
	count = 3
}
cgroup "${LATE#"$KB_MOUNT"/}" {
	idle = 43
}
EOF
mkdir -p "$tmp/textfile"
mapfile -t ARGS < <("$PYTHON" tests/lib/daemonset.py podman doc/deploying.md \
	"/etc/keepalive.conf=$CONF" "/var/lib/prometheus/node-exporter=$tmp/textfile" "image=$IMAGE")
echo "# podman run ${ARGS[*]} --interval 1"
expect_eq "the manifest gives a privileged container with the host's bpffs and cgroup tree" \
	"--privileged -v /sys/fs/bpf:/sys/fs/bpf -v /sys/fs/cgroup:/sys/fs/cgroup" "${ARGS[*]:0:5}"

# logs_have NAME PATTERN: container NAME's log has a line matching PATTERN.
logs_have() { "${PODMAN[@]}" logs "$1" 2>&1 | grep -q -- "$2"; }
# agent NAME [ARG...]: the agent started as the manifest says; waits for
# its first status table; prints its start time in ms.
agent() {
	local name=$1 t0
	shift
	t0=$(date +%s%N)
	"${PODMAN[@]}" run -d --name "$name" "${RUN_FLAGS[@]}" "${ARGS[@]}" --interval 1 "$@" >/dev/null || return 1
	t_wait_until 30 logs_have "$name" "^CGROUP " || return 1
	echo $(( ($(date +%s%N) - t0) / 1000000 ))
}
ms=$(agent "$NAME") && pass "the agent starts (${ms} ms to its status table)" ||
	fail "the agent starts" "$("${PODMAN[@]}" logs "$NAME" 2>&1 | tail -5)"
"${PODMAN[@]}" logs "$NAME" 2>&1 | sed 's/^/# agent: /'
check "its log says the section's cgroup is attached" grep -q "^attached $CG: keepalive idle 41 s, interval 7 s, count 3" \
	<("${PODMAN[@]}" logs "$NAME" 2>&1)
conn_in "$CG"
expect_eq "a static client in the section's cgroup gets its values" "ka=1 idle=41 intvl=7 cnt=3 uto=0" "$got"
conn_in -
expect_eq "control: the same client outside it gets the kernel's defaults" \
	"ka=0 idle=$(cat /proc/sys/net/ipv4/tcp_keepalive_time)" "$(cut -d' ' -f1-2 <<<"$got")"

mkdir "$LATE" && KB_CGROUPS+=("$LATE")
t_wait_until 10 logs_have "$NAME" "^attached $LATE:"
conn_in "$LATE"
expect_eq "a cgroup made after the agent started gets its section's values at the next round" \
	"ka=1 idle=43" "$(cut -d' ' -f1-2 <<<"$got")"

PROM=$tmp/textfile/kashim-bpf.prom
series="kashim_bpf_connections_total{cgroup=\"$CG\",cgroup_id=\"$(stat -c %i "$CG")\",outcome=\"configured\"} 1"
t_wait_until 10 grep -qF "$series" "$PROM"
check "the metrics file counts the configured connection" grep -qF "$series" "$PROM"
check "and says the last attach --all succeeded" grep -qx 'kashim_bpf_agent_attach_exit_status 0' "$PROM"
out=$(promtool check metrics <"$PROM" 2>&1)
expect_eq "promtool check metrics passes it" "0:" "$?:$out"
sed 's/^kashim_bpf_agent_attach_exit_status 0/kashim_bpf_agent_attach_exit_status{bad="x} 0/' "$PROM" |
	promtool check metrics >/dev/null 2>&1
expect_eq "control: promtool fails a broken line" 1 "$?"

# Stopping: the attachment stays, the metrics file goes.
"${PODMAN[@]}" stop -t 10 "$NAME" >/dev/null
expect_eq "podman stop: the agent exits 0 on SIGTERM" 0 "$("${PODMAN[@]}" inspect -f '{{.State.ExitCode}}' "$NAME")"
check "saying the attachments stay in force" grep -q "stopping: the attachments stay in force" <("${PODMAN[@]}" logs "$NAME" 2>&1)
check "the metrics file is removed" test ! -e "$PROM"
conn_in "$CG"
expect_eq "after the stop, a new connection in the cgroup still gets the section's values" "ka=1 idle=41" \
	"$(cut -d' ' -f1-2 <<<"$got")"
check "kashim-bpf status on the host lists it" grep -q "^$CG " <("$KASHIM_BPF" status)

# --detach-on-stop: the attachments go with the agent.
agent "$NAME-detach" --detach-on-stop >/dev/null || fail "the agent starts again" "$("${PODMAN[@]}" logs "$NAME-detach" 2>&1 | tail -5)"
"${PODMAN[@]}" stop -t 10 "$NAME-detach" >/dev/null
"${PODMAN[@]}" logs "$NAME-detach" 2>&1 | tail -3 | sed 's/^/# agent: /'
check "with --detach-on-stop, stopping detaches the section's cgroup" grep -q "^detached $CG$" <("${PODMAN[@]}" logs "$NAME-detach" 2>&1)
conn_in "$CG"
expect_eq "and a new connection there gets the kernel's defaults" "ka=0" "$(cut -d' ' -f1 <<<"$got")"
check "kashim-bpf status on the host no longer lists it" sh -c '! "$1" status | grep -q "^$2 "' sh "$KASHIM_BPF" "$CG"

# Refusals: they exit, saying why, and put nothing in force.
once() { "${PODMAN[@]}" run --rm --name "$NAME-once" "${RUN_FLAGS[@]}" "$@" >"$tmp/once.log" 2>&1; }
NOBPF=()
for ((i = 0; i < ${#ARGS[@]}; i++)); do
	[ "${ARGS[i]}" = -v ] && [ "${ARGS[i + 1]}" = /sys/fs/bpf:/sys/fs/bpf ] && { i=$((i + 1)); continue; }
	NOBPF+=("${ARGS[i]}")
done
once "${NOBPF[@]}"
expect_eq "without the host's bpffs the agent exits 1" 1 "$?"
check "saying to bind the host's bpffs" grep -q "this is a container.*bind the host's bpffs" "$tmp/once.log"
conn_in "$CG"
expect_eq "and nothing is in force" "ka=0" "$(cut -d' ' -f1 <<<"$got")"
printf 'cgroup "%s" {\n\tidle = 0\n}\n' "${CG#"$KB_MOUNT"/}" >"$tmp/bad.conf"
mapfile -t BAD < <("$PYTHON" tests/lib/daemonset.py podman doc/deploying.md \
	"/etc/keepalive.conf=$tmp/bad.conf" "/var/lib/prometheus/node-exporter=$tmp/textfile" "image=$IMAGE")
once "${BAD[@]}"
expect_eq "with a bad keepalive.conf the agent exits 2" 2 "$?"
check "naming the file and line" grep -q "/etc/keepalive.conf:2: idle = 0 is out of range" "$tmp/once.log"
conn_in "$CG"
expect_eq "and nothing is in force" "ka=0" "$(cut -d' ' -f1 <<<"$got")"
finish
