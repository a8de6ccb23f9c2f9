#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ka-run -c FILE compiles FILE (FILE.cache beside it) before it runs the
# command, so the program reads the compiled form and never loads the
# config plugin or libconfuse (strace); ka-run --check says whether the
# form is up to date. Control: where FILE.cache cannot be written (a
# directory the user may not write), the command still gets FILE's values,
# parsed when it starts.
. "$(dirname "$0")/../lib/common.sh"

t_tmpdir tmp
t_clean_env
PROBE=$KASHIM_ROOT/build/tests/hardening/hx-probe
if [ ! -x "$PROBE" ] || ! command -v strace >/dev/null; then
	fail compile "hx-probe or strace is missing (make check builds and installs them)"
	finish
fi
printf 'idle = 33\nprogram "hx-*" {\n\tinterval = 3\n}\n' >"$tmp/k.conf"

# opened [setpriv ARGS... --] ARGS...: ka-run ARGS hx-probe under strace;
# the probe's values and whether the probe (after ka-run's execve of it:
# ka-run itself links libconfuse) opened the plugin or libconfuse.
opened() {
	local as=() st=$tmp/st.$RANDOM
	[ "$1" != setpriv ] || while as+=("$1") && shift && [ "${as[-1]}" != -- ]; do :; done
	"${as[@]}" strace -f -qq -e trace=execve,openat,open -o "$st" "$KA_RUN" "$@" "$PROBE" >"$tmp/out" 2>&1
	echo "$(sed -n 's/.* keepalive=\([0-9]*\) idle=\([0-9]*\) interval=\([0-9]*\).*/\1 \2 \3/p' "$tmp/out")" \
		"$(awk '/ execve\(/ { n = 0 } { line[n++] = $0 } END { for (i = 0; i < n; i++) print line[i] }' "$st" |
			grep -Eq 'libkashim-conf\.so|libconfuse' && echo plugin || echo no-plugin)"
}

expect_eq "ka-run -c FILE: the section's values, no plugin, no libconfuse" "1 33 3 no-plugin" \
	"$(opened -c "$tmp/k.conf")"
check "ka-run -c FILE wrote FILE.cache" test -s "$tmp/k.conf.cache"
check "ka-run --check: the compiled form is up to date" \
	grep -q "^compiled: $tmp/k.conf.cache: up to date" <<<"$(KASHIM_CONFIG=$tmp/k.conf "$KA_RUN" --check 2>&1)"
echo '# edited' >>"$tmp/k.conf"
check "ka-run --check after an edit: programs parse it when they start; run kashim-compile" \
	grep -q "^compiled: $tmp/k.conf.cache: changed since compiled: programs parse $tmp/k.conf when they start; run kashim-compile $tmp/k.conf" \
	<<<"$(KASHIM_CONFIG=$tmp/k.conf "$KA_RUN" --check 2>&1)"
expect_eq "ka-run -c FILE after an edit: compiled again, no plugin" "1 33 3 no-plugin" "$(opened -c "$tmp/k.conf")"

if need_root && command -v setpriv >/dev/null; then
	mkdir -p "$tmp/ro" && cp "$tmp/k.conf" "$tmp/ro/" && chmod 755 "$tmp/ro" && chmod 644 "$tmp/ro/k.conf"
	chmod 1777 "$tmp"
	expect_eq "control: a directory ka-run may not write: FILE's values, parsed when the command starts" \
		"1 33 3 plugin" "$(opened setpriv --reuid=65534 --regid=65534 --clear-groups -- -c "$tmp/ro/k.conf")"
	check "control: and no FILE.cache was written there" test ! -e "$tmp/ro/k.conf.cache"
else
	skip "compile: an unwritable directory" "needs root and setpriv to run as nobody"
fi
finish
