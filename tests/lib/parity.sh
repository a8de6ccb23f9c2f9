# SPDX-License-Identifier: MIT
# parity.sh - the table of cases tests/parity/cases.tsv, for the two tests
# that run its rows: tests/parity/parity.t (the shim, ka-run --check,
# kashim-bpf explain) and tests/bpf/rules-parity.t (a cgroup kashim-bpf
# attached the file to). Sourced after common.sh. A row is read into
# ID FLAG BACKENDS ENVS OPTS ROLE STEPS EXPECT CONTROL CONF; the probe
# (tests/parity/probe.py) prints the options of its socket on a line
# "opts ON/IDLE/INTERVAL/COUNT/USER_TIMEOUT".
CASES=$KASHIM_ROOT/tests/parity/cases.tsv
PROBE=$KASHIM_ROOT/tests/parity/probe.py

# parity_app DIR: APP, the probe's interpreter under a name of its own in
# DIR, for program sections: argv[0] is parity-app, the executable python3.N.
parity_app() {
	APP=$1/parity-app
	ln -s "$PYTHON" "$APP"
}

# K in a value: the kernel's default for that option.
KERNEL=("" "$(cat /proc/sys/net/ipv4/tcp_keepalive_time)" "$(cat /proc/sys/net/ipv4/tcp_keepalive_intvl)"
	"$(cat /proc/sys/net/ipv4/tcp_keepalive_probes)" "")
# kernel_values VALUE: VALUE (ON/IDLE/INTERVAL/COUNT/USER_TIMEOUT) with
# each K replaced by the kernel's default.
kernel_values() {
	local IFS=/ v out=() i=0
	for v in $1; do
		[ "$v" = K ] && v=${KERNEL[i]}
		out+=("$v") i=$((i + 1))
	done
	echo "${out[*]}"
}

# write_conf FILE PORT SECTION OTHER: the row's CONF into FILE, with @PORT@,
# @SECTION@ and @OTHER@ replaced (CONF "-": an empty file).
write_conf() {
	local text=$CONF
	if [ "$text" = - ]; then : >"$1"; return; fi
	text=${text//@PORT@/$2}
	text=${text//@SECTION@/$3}
	printf '%b' "${text//@OTHER@/$4}" >"$1"
}

# host_port HOST PORT: HOST:PORT, an IPv6 HOST in brackets.
host_port() { if [[ $1 == *:* ]]; then echo "[$1]:$2"; else echo "$1:$2"; fi; }

# parity_target ROLE HOST PORT: TARGET gets what ka-run --check and
# kashim-bpf explain are asked about for a probe in ROLE: --listen
# HOST:PORT for accept, else --to HOST:PORT.
parity_target() {
	if [ "$1" = accept ]; then TARGET=(--listen); else TARGET=(--to); fi
	TARGET+=("$(host_port "$2" "$3")")
}

# opts_of FILE: the options the probe printed in FILE (- : stdin), its
# "opts" line.
opts_of() { awk '$1 == "opts" { print $2 }' "$1"; }
