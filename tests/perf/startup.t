#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# startup.t - a process that makes no TCP socket pays for the preload and
# nothing else: /bin/true under libkashim.so makes exactly
# the system calls it makes under an empty preloaded library
# (build/bench/libempty.so), and never touches the config file or the
# config reader (kashim/libkashim-conf.so, which brings libconfuse); measured
# without KASHIM_CONFIG, as every process of a system-wide preload starts.
# Control: a program that does make a TCP socket (kabench socket 1) reads
# the compiled config (KASHIM_CONFIG's FILE.cache), so the trace would
# show it; and, compiled, it opens neither the reader nor libconfuse.
source "$(dirname "$0")/../lib/common.sh"
for v in $(compgen -e | grep -E '^(KASHIM_|KEEP)'); do unset "$v"; done
unset LD_PRELOAD

EMPTY=$KASHIM_ROOT/build/bench/libempty.so
KABENCH=$KASHIM_ROOT/build/bench/kabench

if ! command -v strace >/dev/null; then
	skip "startup-no-extra-calls" "strace is not installed (scripts/install-deps test)"
	finish
fi
for f in "$EMPTY" "$KABENCH" "$KASHIM_LIB"; do
	[ -e "$f" ] || { fail "startup-no-extra-calls" "$f missing: run make check"; finish; }
done

t_tmpdir tmp perf
printf 'keepalive = true\nidle = 45\n' >"$tmp/keepalive.conf"
"$KASHIM_ROOT/build/kashim-compile" "$tmp/keepalive.conf" >/dev/null
export KASHIM_LOG=$tmp/kashim.log

# calls PRELOAD CMD...: the system call count of CMD, one line per call name.
calls() {
	local preload=$1
	shift
	strace -f -qq -c -U name,calls -o "$tmp/count" -E "LD_PRELOAD=$preload" "$@" >/dev/null 2>&1
	awk 'NF == 2 && $2 ~ /^[0-9]+$/ && $1 != "total" { print $1, $2 }' "$tmp/count" | sort
}
# files PRELOAD CMD...: every path CMD opens, checks or maps, one a line.
files() {
	local preload=$1
	shift
	strace -f -qq -e trace=%file -o "$tmp/files" -E "LD_PRELOAD=$preload" "$@" >/dev/null 2>&1
	sed -n 's/^[0-9]* *[a-z0-9_]*([^"]*"\([^"]*\)".*/\1/p' "$tmp/files"
}

empty=$(calls "$EMPTY" /bin/true)
kashim=$(calls "$KASHIM_LIB" /bin/true)
if [ -n "$empty" ] && [ "$empty" = "$kashim" ]; then
	pass "startup-same-calls-as-an-empty-preload ($(awk '{ s += $2 } END { print s }' <<<"$kashim") calls)"
else
	fail "startup-same-calls-as-an-empty-preload" \
		"$(diff <(echo "$empty") <(echo "$kashim") | grep '^[<>]' | tr '\n' ' ')"
fi

touched=$(files "$KASHIM_LIB" /bin/true | grep -E 'keepalive\.conf|libkashim-conf|libconfuse' | tr '\n' ' ')
expect_eq "startup-no-config-read-without-a-tcp-socket" "" "$touched"

touched=$(KASHIM_CONFIG=$tmp/keepalive.conf files "$KASHIM_LIB" "$KABENCH" socket 1 |
	grep -E 'keepalive\.conf|libkashim-conf|libconfuse' | sort -u | tr '\n' ' ')
if [[ $touched == *keepalive.conf.cache* && $touched != *libkashim-conf* && $touched != *libconfuse* ]]; then
	pass "startup-control-a-tcp-socket-reads-the-compiled-config"
else
	fail "startup-control-a-tcp-socket-reads-the-compiled-config" "saw: '$touched'"
fi
finish
