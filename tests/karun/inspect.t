#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ka-run warns on stderr, and still runs COMMAND, when the preload cannot
# reach it: statically linked (no PT_INTERP), a Go program (own system
# calls), set-user-ID/set-group-ID for the user running it. Each against the
# same program built or copied without the property.
. "$(dirname "$0")/../lib/common.sh"

t_tmpdir tmp
chmod 755 "$tmp"
export -n KASHIM_LIB

cat >"$tmp/hello.c" <<'C'
#include <stdio.h>
int main(void) { puts("hello"); return 3; }
C
if ! gcc -o "$tmp/dynamic" "$tmp/hello.c"; then
	fail "build a test program" "gcc failed"
	finish
fi

# warned NAME PATTERN PROGRAM: ka-run warns (PATTERN on stderr), the program
# still runs (its output and exit status), and the warning is one line.
warned() {
	local out rc
	out=$("$KA_RUN" "$3" 2>"$tmp/err")
	rc=$?
	if [ "$out" = hello ] && [ "$rc" = 3 ] && grep -q "^ka-run: warning: .*$2" "$tmp/err"; then
		pass "$1"
	else
		fail "$1" "out=$out rc=$rc stderr: $(cat "$tmp/err")"
	fi
}
# not_warned NAME PROGRAM: the control: runs, nothing on stderr.
not_warned() {
	local out rc
	out=$("$KA_RUN" "$2" 2>"$tmp/err")
	rc=$?
	if [ "$out" = hello ] && [ "$rc" = 3 ] && [ ! -s "$tmp/err" ]; then pass "$1"
	else fail "$1" "out=$out rc=$rc stderr: $(cat "$tmp/err")"; fi
}

not_warned "control: a dynamic program gets no warning" "$tmp/dynamic"

# Statically linked: libc.a comes with libc6-dev.
if gcc -static -o "$tmp/static" "$tmp/hello.c" 2>/dev/null; then
	check "the static build really has no PT_INTERP" eval '! readelf -l "$tmp/static" | grep -q INTERP'
	warned "statically linked: warned, still runs" "statically linked" "$tmp/static"
	# Found through PATH, the warning names the file that runs.
	mkdir -p "$tmp/bin"
	cp "$tmp/static" "$tmp/bin/static-prog"
	out=$(PATH=$tmp/bin:$PATH "$KA_RUN" static-prog 2>&1 >/dev/null)
	check "found through PATH: the warning names the file" grep -q "$tmp/bin/static-prog is statically linked" <<<"$out"
else
	skip "statically linked" "gcc -static failed (no libc.a: install libc6-dev)"
fi

# A Go program is recognised by the Go toolchain's sections.
: >"$tmp/empty"
if objcopy --add-section .note.go.buildid="$tmp/empty" "$tmp/dynamic" "$tmp/golike" 2>/dev/null; then
	warned "Go program: warned, still runs" "Go program" "$tmp/golike"
else
	skip "Go program" "objcopy could not add a section"
fi


# Set-ID only matters when it changes the id: a copy owned by another user.
if need_root; then
	mnt_opts=$(findmnt -n -o OPTIONS --target "$tmp" 2>/dev/null)
	if [[ ,$mnt_opts, == *,nosuid,* ]]; then
		skip "set-user-ID" "$tmp is on a nosuid mount, where set-ID bits do nothing"
	else
		cp "$tmp/dynamic" "$tmp/setuid"
		chown nobody "$tmp/setuid"
		chmod 4755 "$tmp/setuid"
		warned "set-user-ID to another user: warned, still runs" "set-user-ID" "$tmp/setuid"
		cp "$tmp/dynamic" "$tmp/setgid"
		chgrp nogroup "$tmp/setgid"
		chmod 2755 "$tmp/setgid"
		warned "set-group-ID to another group: warned, still runs" "set-group-ID" "$tmp/setgid"
		cp "$tmp/dynamic" "$tmp/plain-nobody"
		chown nobody "$tmp/plain-nobody"
		not_warned "control: the same copy without the bit" "$tmp/plain-nobody"
		cp "$tmp/dynamic" "$tmp/setuid-self"
		chmod 4755 "$tmp/setuid-self"
		not_warned "control: set-user-ID to the running user changes nothing" "$tmp/setuid-self"
		# The warning is right: the preload really does not reach it. The
		# program's own view: is libkashim.so mapped?
		cat >"$tmp/maps.c" <<'C'
#include <stdio.h>
#include <string.h>
int main(void) {
	char line[512]; FILE *f = fopen("/proc/self/maps", "r"); int found = 0;
	while (f && fgets(line, sizeof line, f)) found |= strstr(line, "libkashim.so") != NULL;
	puts(found ? "mapped" : "absent"); return 0;
}
C
		gcc -o "$tmp/maps" "$tmp/maps.c" && cp "$tmp/maps" "$tmp/maps-setuid" &&
			chown nobody "$tmp/maps-setuid" && chmod 4755 "$tmp/maps-setuid"
		expect_eq "control: the preload reaches a plain program" mapped "$("$KA_RUN" "$tmp/maps" 2>/dev/null)"
		expect_eq "the preload does not reach the set-user-ID one" absent "$("$KA_RUN" "$tmp/maps-setuid" 2>/dev/null)"
	fi
else
	skip "set-user-ID" "needs root to give a copy to another user"
fi

# The same inspection in ka-run --check: no warning for reachable programs,
# scripts and files that are no ELF at all.
: >"$tmp/empty.conf"
printf '#!/bin/sh\necho hi\n' >"$tmp/script"
printf 'not an executable format\n' >"$tmp/text"
printf '\177ELF\002\001\001' >"$tmp/truncated"
chmod +x "$tmp/script" "$tmp/text" "$tmp/truncated"
for f in dynamic script text truncated; do
	out=$(KASHIM_CONFIG=$tmp/empty.conf "$KA_RUN" --check "$tmp/$f" 2>&1)
	rc=$?
	if [ "$rc" = 0 ] && ! grep -q warning <<<"$out"; then pass "--check: no warning for $f"
	else fail "--check: no warning for $f" "exit $rc: $out"; fi
done

finish
