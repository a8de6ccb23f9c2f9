#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# metrics-units.t - scripts/systemd/kashim-metrics.service and .timer: they
# pass systemd-analyze verify (with ka-status(1) found for their
# Documentation= line), the timer runs the service every minute, and the
# service's own command line, run as written (with this tree's ka-status and
# a temporary directory in place of node_exporter's), writes metrics that
# promtool accepts. systemd is not PID 1 here, so the timer is not started.
source "$(dirname "$0")/../lib/common.sh"
UNITS=$KASHIM_ROOT/scripts/systemd
TEXTFILE_DIR=/var/lib/prometheus/node-exporter

t_clean_env
t_tmpdir tmp units
mkdir -p "$tmp/units" "$tmp/man/man1" "$tmp/textfile"
ln -s "$KASHIM_ROOT/man/ka-status.1" "$tmp/man/man1/ka-status.1"
sed "s|/usr/local/bin/ka-status|$KA_STATUS|" "$UNITS/kashim-metrics.service" \
	>"$tmp/units/kashim-metrics.service"
cp "$UNITS/kashim-metrics.timer" "$tmp/units/"

if ! command -v systemd-analyze >/dev/null; then
	skip "units verify" "systemd-analyze is not installed"
else
	# verify exits 0 on most mistakes and only warns: stderr must be empty.
	err=$(cd "$tmp/units" && MANPATH=$tmp/man systemd-analyze verify kashim-metrics.timer \
		kashim-metrics.service 2>&1)
	expect_eq "service and timer verify with nothing on stderr" "" "$err"
	# Control: the same check sees a misspelt key.
	sed 's/^OnUnitActiveSec=/OnUnitActivSec=/' "$UNITS/kashim-metrics.timer" >"$tmp/units/kashim-metrics.timer"
	err=$(cd "$tmp/units" && MANPATH=$tmp/man systemd-analyze verify kashim-metrics.timer 2>&1)
	check "control: a misspelt key in the timer is reported" grep -q "OnUnitActivSec" <<<"$err"
fi

expect_eq "the timer starts the service every minute" "OnUnitActiveSec=1min" \
	"$(grep -x 'OnUnitActiveSec=.*' "$UNITS/kashim-metrics.timer")"
check "the service writes where Debian's node_exporter reads textfiles" \
	grep -q "^ExecStart=.* --all --prometheus --output $TEXTFILE_DIR/kashim.prom$" \
	"$UNITS/kashim-metrics.service"
check "the service may write there and nowhere else" \
	grep -qx "ReadWritePaths=$TEXTFILE_DIR" "$UNITS/kashim-metrics.service"

# The service's command line as written, into a directory of our own.
cmd=$(sed -n 's/^ExecStart=//p' "$tmp/units/kashim-metrics.service")
cmd=${cmd//$TEXTFILE_DIR/$tmp/textfile}
read -ra argv <<<"$cmd"
"${argv[@]}" 2>"$tmp/err"
expect_eq "ExecStart as written: exit status 0" 0 "$?"
if command -v promtool >/dev/null; then
	out=$(promtool check metrics <"$tmp/textfile/kashim.prom" 2>&1)
	expect_eq "ExecStart as written: promtool accepts what it wrote" "0 " "$? $out"
else
	fail "ExecStart as written: promtool" "promtool is missing (scripts/install-deps test)"
fi
finish
