#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# man.t - kashim-bpf(8) lints clean (mandoc -T lint, groff -ww), renders,
# and documents every option and command kashim-bpf --help lists;
# keepalive.conf(5) documents cgroup sections.
source "$(dirname "$0")/../lib/common.sh"
cd "$KASHIM_ROOT" || exit 1
page=man/kashim-bpf.8
kb=build/kashim-bpf
if ! command -v mandoc >/dev/null || ! command -v man >/dev/null; then
	skip "$page lints clean" "mandoc or man not installed (scripts/install-deps test)"
	finish
fi
out=$(mandoc -T lint "$page" 2>&1) && rc=0 || rc=$?
expect_eq "$page: mandoc -T lint reports nothing" "0:" "$rc:$out"
expect_eq "$page: groff -ww reports nothing" "" "$(groff -man -ww -z "$page" 2>&1)"
expect_eq "$page: man -l renders without a message" "" "$(MANWIDTH=80 man -l "$page" 2>&1 >/dev/null)"
# keepalive.conf(5) documents the cgroup sections kashim-bpf reads.
conf5=$(MANWIDTH=80 man -l man/keepalive.conf.5 2>/dev/null | sed -n '/^CGROUP SECTIONS/,/^[A-Z]/p')
check "keepalive.conf(5) has a CGROUP SECTIONS section" grep -q "^CGROUP SECTIONS" <<<"$conf5"
for what in 'kashim-bpf(8)' 'path below the cgroup2 mount' 'systemd unit name' 'first in the file applies' \
	'the shim accepts them and ignores them' 'keepalive = false'; do
	check "keepalive.conf(5), CGROUP SECTIONS: says '$what'" grep -qF "$what" <<<"$(tr -s ' \n' ' ' <<<"$conf5")"
done
check "control: the section text does not have what it does not say" eval '! grep -qF "no such words here" <<<"$conf5"'
if [ ! -x "$kb" ]; then
	skip "$page documents kashim-bpf --help" "$kb not built (needs clang, bpftool, libbpf-dev)"
	finish
fi
documented() { grep -qF -- "$(sed 's/-/\\-/g' <<<"$1")" "$page"; }
opts=$("$kb" --help | grep -oE '(^|[ ,])--[a-z][a-z-]*' | sed 's/^[ ,]//' | sort -u)
cmds=$("$kb" --help | sed -n 's/^ *\(usage:\)\? *kashim-bpf \([a-z]*\).*/\2/p' | sort -u)
missing=
for o in $opts $cmds; do documented "$o" || missing="$missing $o"; done
expect_eq "$page documents every option and command of --help ($(wc -w <<<"$opts $cmds"))" "" "$missing"
if documented --no-such-option; then fail "control: an undocumented option is noticed" "it was found"
else pass "control: an undocumented option is noticed"; fi
finish
