# SPDX-License-Identifier: MIT
# daemonset.t - the Kubernetes DaemonSet of doc/deploying.md parses as YAML
# and has what the node agent relies on: the image make image names, a
# privileged container, the host's bpffs, cgroup tree, keepalive.conf
# (read-only) and textfile directory mounted where the agent reads them
# (its own defaults, read from scripts/node-agent), arguments it accepts;
# the podman unit runs the same container.
# Controls: a copy with a YAML syntax error, and one without its bpffs
# mount, are caught. image.t runs the image with this manifest's mounts.
source "$(dirname "$0")/../lib/common.sh"
cd "$KASHIM_ROOT" || exit 1
t_tmpdir tmp
if ! "$PYTHON" -c 'import yaml' 2>/dev/null; then
	fail "python3-yaml" "python3 has no yaml module (scripts/install-deps test installs python3-yaml)"
	finish
fi
DS=("$PYTHON" tests/lib/daemonset.py)
VERSION=$(sed -n 's/^VERSION *:= *//p' Makefile)
IMAGE=$(sed -n 's/^IMAGE *?= *//p' mk/image.mk)
IMAGE=${IMAGE//\$(VERSION)/$VERSION}

"${DS[@]}" fields doc/deploying.md >"$tmp/fields" 2>"$tmp/err"
expect_eq "the manifest parses (python3-yaml safe_load)" "0:" "$?:$(cat "$tmp/err")"
field() { sed -n "s|^$1=||p" "$tmp/fields"; }
expect_eq "a DaemonSet of apps/v1" "apps/v1 DaemonSet" "$(field apiVersion) $(field kind)"
expect_eq "its selector matches its pods' labels" True "$(field selector_matches)"
expect_eq "the image make image builds ($IMAGE)" "$IMAGE" "$(field image)"
expect_eq "never pulled (loaded on each node)" Never "$(field imagePullPolicy)"
expect_eq "the image's entrypoint (no command)" "" "$(field command)"
expect_eq "privileged (it loads BPF programs)" True "$(field privileged)"
expect_eq "on every node, tainted or not" Exists "$(field tolerations)"
agent_config=$(sed -n 's/^config=//p' scripts/node-agent)
agent_metrics=$(sed -n 's/^metrics=//p' scripts/node-agent)
expect_eq "the host's bpffs at /sys/fs/bpf" "/sys/fs/bpf Directory ro=False" "$(field "mount /sys/fs/bpf")"
expect_eq "the host's cgroup tree at /sys/fs/cgroup" "/sys/fs/cgroup Directory ro=False" "$(field "mount /sys/fs/cgroup")"
expect_eq "the host's keepalive.conf, read-only, where the agent reads it" "/etc/keepalive.conf File ro=True" \
	"$(field "mount $agent_config")"
expect_eq "the host's textfile directory where the agent writes" \
	"/var/lib/prometheus/node-exporter DirectoryOrCreate ro=False" "$(field "mount ${agent_metrics%/*}")"
usage=$(scripts/node-agent --help | grep -m1 'node-agent \[')
for arg in $(field args); do
	case $arg in
	-*) check "the agent takes $arg" grep -qF -- "[$arg" <<<"$usage" ;;
	*) ;;
	esac
done

# The podman unit (scripts/systemd/kashim-node-agent.service) runs the same
# container: its podman run has the manifest's privileges, mounts, image
# and arguments, in that order, and it verifies (with the man page it
# names found).
UNIT=scripts/systemd/kashim-node-agent.service
unit_args=$(sed -n '/^ExecStart=/,/[^\\]$/p' "$UNIT" | tr -d '\\' | tr -s ' \t\n' '\n' |
	sed -n '/^--network=none$/,$p' | sed 1d | paste -sd' ')
expect_eq "the podman unit runs the manifest's container" "$("${DS[@]}" podman doc/deploying.md | paste -sd' ')" "$unit_args"
if command -v systemd-analyze >/dev/null && [ -x /usr/bin/podman ]; then
	mkdir -p "$tmp/units" "$tmp/man/man8" && cp "$UNIT" "$tmp/units/" && cp man/kashim-bpf.8 "$tmp/man/man8/"
	err=$(cd "$tmp/units" && MANPATH=$tmp/man systemd-analyze verify kashim-node-agent.service 2>&1)
	expect_eq "the podman unit passes systemd-analyze verify, nothing on stderr" "" "$err"
	sed 's/^ExecStop=/ExecStopp=/' "$UNIT" >"$tmp/units/kashim-node-agent.service"
	err=$(cd "$tmp/units" && MANPATH=$tmp/man systemd-analyze verify kashim-node-agent.service 2>&1)
	check "control: a misspelt directive is reported" test -n "$err"
else
	fail "the podman unit verifies" "systemd-analyze or /usr/bin/podman missing (scripts/install-deps test installs them)"
fi

# Controls: the same reading catches a broken manifest.
sed 's/^  selector:$/  selector: [/' doc/deploying.md >"$tmp/broken.md"
"${DS[@]}" fields "$tmp/broken.md" >/dev/null 2>"$tmp/broken.err"
expect_eq "control: a YAML syntax error fails (exit 1)" 1 "$?"
check "saying it does not parse" grep -q "does not parse" "$tmp/broken.err"
# The container's bpffs mount (its first "- name: bpffs" and the next line)
# taken out; the manifest still parses.
sed '0,/- name: bpffs$/{/- name: bpffs$/{N;d}}' doc/deploying.md >"$tmp/nobpf.md"
"${DS[@]}" fields "$tmp/nobpf.md" >"$tmp/nobpf" 2>&1
expect_eq "control: without the bpffs mount it still parses, and has no such mount" "0 0" \
	"$? $(grep -c '^mount /sys/fs/bpf=' "$tmp/nobpf")"
finish
