#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# parity.t - one table of cases (cases.tsv, values written by hand) run
# through every backend that can answer it: the shim on a real socket (with
# the same program without the shim as the control), ka-run --check, and
# kashim-bpf explain for the file-level cases. Each must give the table's
# value. (Backend k, a client in a cgroup kashim-bpf attached to, is run by
# tests/bpf/rules-parity.t.) A case flagged todo: is a known bug another change fixes: it is
# reported as TAP "# TODO", neither a pass nor a failure.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/parity.sh"
t_clean_env
t_tmpdir tmp parity
KB=$KASHIM_ROOT/build/kashim-bpf

[ -e "$KASHIM_LIB" ] && [ -x "$KA_RUN" ] || { fail parity-setup "build/libkashim.so or build/ka-run missing: run make"; finish; }
[ -x "$PYTHON" ] || { skip parity "$PYTHON is not installed"; finish; }
parity_app "$tmp"

# The cgroup kashim-bpf explains: the cgroup2 mount's root (explain only
# reads; nothing is attached).
CGROUP=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
bpf_missing=
if [ ! -x "$KB" ]; then
	bpf_missing="kashim-bpf is not built (it needs clang, bpftool and libbpf-dev)"
elif [ -z "$CGROUP" ]; then
	bpf_missing="no cgroup2 mount in /proc/mounts"
fi

# verdict NAME FLAG WANT GOT: expect_eq, or todo_expect for a flagged case.
verdict() {
	case $2 in
	todo:*) todo_expect "$1" "${2#todo:}" "$3" "$4" ;;
	*) expect_eq "$1" "$3" "$4" ;;
	esac
}

# settings_of FILE: ON/IDLE/INTERVAL/COUNT/USER_TIMEOUT from the field lines
# that ka-run --check and kashim-bpf explain print ("idle  60  default").
settings_of() {
	awk '!($1 in v) && $1 ~ /^(keepalive|idle|interval|count|user_timeout)$/ { v[$1] = $2 }
	     END { printf "%s/%s/%s/%s/%s\n", v["keepalive"] == "on" ? 1 : (v["keepalive"] == "off" ? 0 : "?"),
		   v["idle"], v["interval"], v["count"], v["user_timeout"] }' "$1"
}

# run_case: the current line's fields are in ID FLAG BACKENDS ENVS OPTS ROLE
# STEPS EXPECT CONTROL CONF.
run_case() {
	local host=${ROLE#*:} role=${ROLE%%:*} port conf=$tmp/$ID.conf envs=() opts=() steps=() want got
	port=$(t_free_port)
	write_conf "$conf" "$port" 'program "parity-app"' 'program "no-such-program"'
	[ "$ENVS" = - ] || read -r -a envs <<<"$ENVS"
	[ "$OPTS" = - ] || read -r -a opts <<<"$OPTS"
	[ "$STEPS" = - ] || read -r -a steps <<<"$STEPS"
	want=$(kernel_values "$EXPECT")
	if [[ $BACKENDS == *s* ]]; then
		env -i PATH=/usr/bin:/bin "${envs[@]}" "$KA_RUN" -c "$conf" --log "$tmp/$ID.log" "${opts[@]}" -- \
			"$APP" "$PROBE" "$role" "$host" "$port" "${steps[@]}" >"$tmp/$ID.shim" 2>&1
		got=$(opts_of "$tmp/$ID.shim")
		verdict "$ID: shim on a real socket" "$FLAG" "$want" "$got${got:+}"
		[ -n "$got" ] || sed 's/^/#   /' "$tmp/$ID.shim"
		env -i PATH=/usr/bin:/bin "${envs[@]}" "$APP" "$PROBE" "$role" "$host" "$port" "${steps[@]}" \
			>"$tmp/$ID.plain" 2>&1
		expect_eq "$ID: control, the same program without the shim" "$(kernel_values "$CONTROL")" \
			"$(opts_of "$tmp/$ID.plain")"
		# kashim never changes what a call returns: a refused call is
		# refused alike with and without it.
		if grep -q '^errno' "$tmp/$ID.plain"; then
			expect_eq "$ID: the program's refused calls fail alike with the shim" \
				"$(grep '^errno' "$tmp/$ID.plain")" "$(grep '^errno' "$tmp/$ID.shim")"
		fi
	fi
	if [[ $BACKENDS == *c* ]]; then
		parity_target "$role" "$host" "$port"
		env -i PATH=/usr/bin:/bin "${envs[@]}" "$KA_RUN" -c "$conf" "${opts[@]}" --check "${TARGET[@]}" "$APP" \
			>"$tmp/$ID.check" 2>"$tmp/$ID.check.err"
		got=$(settings_of "$tmp/$ID.check")
		verdict "$ID: ka-run --check" "$FLAG" "$want" "$got"
		[ "$got" = "$want" ] || sed 's/^/#   /' "$tmp/$ID.check" "$tmp/$ID.check.err"
	fi
	if [[ $BACKENDS == *b* ]]; then
		if [ -n "$bpf_missing" ]; then
			skip "$ID: kashim-bpf explain" "$bpf_missing"
		else
			env -i PATH=/usr/bin:/bin "$KB" explain -c "$conf" "${opts[@]}" "$CGROUP" \
				>"$tmp/$ID.bpf" 2>"$tmp/$ID.bpf.err"
			got=$(settings_of "$tmp/$ID.bpf")
			verdict "$ID: kashim-bpf explain" "$FLAG" "$want" "$got"
			[ "$got" = "$want" ] || sed 's/^/#   /' "$tmp/$ID.bpf" "$tmp/$ID.bpf.err"
		fi
	fi
}

n=0
while IFS=$'\t' read -r ID FLAG BACKENDS ENVS OPTS ROLE STEPS EXPECT CONTROL CONF; do
	[[ -z $ID || $ID == \#* ]] && continue
	n=$((n + 1))
	if [ -z "$CONF" ] || [[ $BACKENDS != *[scbk]* ]]; then
		fail "cases.tsv: $ID" "a line needs 10 tab-separated columns and a backend (s, c, b, k)"
		continue
	fi
	run_case
done <"$CASES"
[ "$n" -gt 0 ] || fail "cases.tsv has cases" "none read from $CASES"

# Control for the comparison itself: a case whose table value is wrong is
# caught (the shim gives 60, not 59).
printf '' >"$tmp/control.conf"
got=$(env -i PATH=/usr/bin:/bin "$KA_RUN" -c "$tmp/control.conf" -- "$APP" "$PROBE" connect 127.0.0.1 "$(t_free_port)" |
	opts_of -)
check "control: a wrong table value would be caught" test -n "$got" -a "$got" != "1/59/10/5/0"
finish
