#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# compile-path.t - the example units that recompile keepalive.conf on change
# (scripts/systemd/kashim-compile.path and .service) pass systemd-analyze
# verify with nothing on stderr, with the service's command pointed at this
# tree's kashim-compile; control: the same check reports a misspelt key.
# The service's command itself, run as the unit runs it, compiles a file
# (and refuses a bad one with exit 2).
source "$(dirname "$0")/../lib/common.sh"
EXAMPLES=$KASHIM_ROOT/scripts/systemd
COMPILE=$KASHIM_ROOT/build/kashim-compile
t_tmpdir tmp

if ! command -v systemd-analyze >/dev/null; then
	skip "kashim-compile.path and .service verify" "systemd-analyze not installed"
	finish
fi
units=$tmp/units
mkdir -p "$units"
cp "$EXAMPLES/kashim-compile.path" "$units/"
sed "s|/usr/local/bin/kashim-compile|$COMPILE|" "$EXAMPLES/kashim-compile.service" >"$units/kashim-compile.service"
# Documentation=man:kashim-compile(8) is looked up: this tree's page.
mkdir -p "$tmp/man/man8" && cp "$KASHIM_ROOT/man/kashim-compile.8" "$tmp/man/man8/"
export MANPATH=$tmp/man
err=$(cd "$units" && systemd-analyze verify kashim-compile.path kashim-compile.service 2>&1)
expect_eq "kashim-compile.path and .service verify with nothing on stderr" "" "$err"
check "the path unit watches the system file and starts the service" \
	grep -qx "PathChanged=/etc/keepalive.conf" "$units/kashim-compile.path"
sed -i 's/^PathChanged=/PathChaged=/' "$units/kashim-compile.path"
err=$(cd "$units" && systemd-analyze verify kashim-compile.path 2>&1)
check "control: a misspelt key in the path unit is reported" grep -q "PathChaged" <<<"$err"

# The service's ExecStart=, on a file of ours.
cmd=$(sed -n 's/^ExecStart=//p' "$units/kashim-compile.service" | sed "s|/etc/keepalive.conf|$tmp/k.conf|")
printf 'idle = 21\n' >"$tmp/k.conf"
$cmd >/dev/null
check "its command compiles the file" test -s "$tmp/k.conf.cache"
printf 'idle = 0\n' >"$tmp/k.conf"
$cmd >/dev/null 2>&1 && rc=0 || rc=$?
expect_eq "its command refuses a bad file (exit 2: the unit fails, the journal has file:line)" 2 "$rc"
finish
