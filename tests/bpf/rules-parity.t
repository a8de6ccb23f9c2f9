#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# rules-parity.t - the rows of tests/parity/cases.tsv whose BACKENDS has k,
# run against both backends on real sockets: the probe under the shim
# (ka-run, LD_PRELOAD, the section as `program "parity-app"`), and the same
# probe without the shim in a test cgroup kashim-bpf attached the file to
# (the section as `cgroup "CGROUP"`). Each must give the table's value, the
# two the same; the control is the probe outside the test cgroup without
# the shim (the table's CONTROL: the kernel's defaults). ka-run --check
# --cgroup --to/--listen must explain the kernel's value for the rows where
# the program makes no call of its own.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../lib/parity.sh"

kb_init bpf-rules-parity
kb_mkcg CG parity && kb_mkcg CG_OTHER parity-other || { fail bpf-rules-parity-setup "cannot create the cgroups"; finish; }
parity_app "$KB_TMP"

# explained FILE: ON/IDLE/INTERVAL/COUNT/USER_TIMEOUT from kashim-bpf
# explain's output: the matching rule's "connection" line, else the
# cgroup's own field lines.
explained() {
	awk '$1 == "connection" { gsub(",", ""); printf "%d/%s/%s/%s/%s\n", $3 == "on", $5, $7, $9, $11; found = 1; exit }
	     !($1 in v) && $1 ~ /^(keepalive|idle|interval|count|user_timeout)$/ { v[$1] = $2 }
	     END { if (!found) printf "%s/%s/%s/%s/%s\n", v["keepalive"] == "on" ? 1 : 0, v["idle"], v["interval"],
		   v["count"], v["user_timeout"] }' "$1"
}

# run_case: the current row's fields are in ID BACKENDS ENVS OPTS ROLE
# STEPS EXPECT CONTROL CONF.
run_case() {
	local host=${ROLE#*:} role=${ROLE%%:*} port opts=() steps=() want shim kern ctl got
	local sconf=$KB_TMP/$ID.shim.conf kconf=$KB_TMP/$ID.kernel.conf
	port=$(t_free_port)
	write_conf "$sconf" "$port" 'program "parity-app"' 'program "no-such-program"'
	write_conf "$kconf" "$port" "cgroup \"$CG\"" "cgroup \"$CG_OTHER\""
	[ "$OPTS" = - ] || read -r -a opts <<<"$OPTS"
	[ "$STEPS" = - ] || read -r -a steps <<<"$STEPS"
	want=$(kernel_values "$EXPECT")
	env -i PATH=/usr/bin:/bin "$KA_RUN" -c "$sconf" "${opts[@]}" -- "$APP" "$PROBE" "$role" "$host" "$port" \
		"${steps[@]}" >"$KB_TMP/$ID.shim" 2>&1
	shim=$(opts_of "$KB_TMP/$ID.shim")
	if "$KASHIM_BPF" attach -c "$kconf" "${opts[@]}" "$CG" >/dev/null 2>"$KB_TMP/$ID.attach"; then
		sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$CG" env -i PATH=/usr/bin:/bin \
			"$APP" "$PROBE" "$role" "$host" "$port" "${steps[@]}" >"$KB_TMP/$ID.kernel" 2>&1
		kern=$(opts_of "$KB_TMP/$ID.kernel")
	else
		kern="attach refused: $(head -n 1 "$KB_TMP/$ID.attach")"
	fi
	env -i PATH=/usr/bin:/bin "$APP" "$PROBE" "$role" "$host" "$port" "${steps[@]}" >"$KB_TMP/$ID.plain" 2>&1
	ctl=$(opts_of "$KB_TMP/$ID.plain")
	expect_eq "$ID: kashim-bpf, a client in the cgroup" "$want" "$kern"
	expect_eq "$ID: the shim gives the same" "$kern" "$shim"
	expect_eq "$ID: control, outside the cgroup without the shim" "$(kernel_values "$CONTROL")" "$ctl"
	[ "$STEPS" = - ] || return 0
	parity_target "$role" "$host" "$port"
	env -i PATH=/usr/bin:/bin "$KA_RUN" -c "$kconf" "${opts[@]}" --check --cgroup "$CG" "${TARGET[@]}" \
		>"$KB_TMP/$ID.check" 2>&1
	got=$(explained "$KB_TMP/$ID.check")
	# A connection left alone reads the kernel's defaults; explain says off.
	[ "${want%%/*}" = 0 ] && got=${got%%/*} want=0
	expect_eq "$ID: ka-run --check --cgroup ${TARGET[*]} explains it" "$want" "$got"
}

n=0
while IFS=$'\t' read -r ID FLAG BACKENDS ENVS OPTS ROLE STEPS EXPECT CONTROL CONF; do
	[[ -z $ID || $ID == \#* || $BACKENDS != *k* ]] && continue
	n=$((n + 1))
	if [ "$FLAG" != - ] || [ "$ENVS" != - ] || [ -z "$CONF" ]; then
		fail "cases.tsv: $ID" "a k row has 10 columns, no flag and no ENV (the kernel reads no environment)"
		continue
	fi
	run_case
done <"$CASES"
check "cases.tsv has rows for the kernel backend (k)" test "$n" -ge 10
finish
