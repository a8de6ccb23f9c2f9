#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The shim binds no glibc symbol version newer than GLIBC_2.17, so that
# distributions with an older glibc can preload it (a preload that needs a
# newer version stops every program from starting there). On x86_64 the
# dl* functions, whose default version became GLIBC_2.34 when libdl moved
# into libc, are bound at their base version GLIBC_2.2.5, which glibc still
# exports. Control: the same check finds the newer versions /bin/true binds
# (glibc 2.34's __libc_start_main, on a Debian 12 or later build).
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

MAX=2.17
# newest FILE: the newest GLIBC_ version FILE's dynamic symbols require.
newest() { objdump -T "$1" | grep -o '(GLIBC_[0-9.]*)' | tr -d '()' | sed 's/GLIBC_//' | sort -uV | tail -n 1; }
# above FILE: the symbols FILE binds at a version newer than MAX.
above() {
	objdump -T "$1" | awk -v max="$MAX" '
		match($0, /\(GLIBC_[0-9.]+\)/) {
			v = substr($0, RSTART + 7, RLENGTH - 8)
			split(v, a, "."); split(max, m, ".")
			if (a[1] > m[1] || (a[1] == m[1] && a[2] + 0 > m[2] + 0)) print $NF "@GLIBC_" v
		}'
}

if [ ! -e "$HX_LIB" ]; then
	fail glibc-versions "$HX_LIB is not built"
	finish
fi
expect_eq "libkashim.so: no symbol bound at a glibc version newer than $MAX (newest: $(newest "$HX_LIB"))" \
	"" "$(above "$HX_LIB" | tr '\n' ' ')"
if [ "$(uname -m)" = x86_64 ]; then
	expect_eq "libkashim.so: the dl* functions it imports are bound at GLIBC_2.2.5" "" \
		"$(objdump -T "$HX_LIB" | grep -E ' dl[a-z_]+$' | grep -v '(GLIBC_2.2.5)')"
fi
case $(newest /bin/true) in
2.1[89]* | 2.[2-9]*)
	check "glibc-versions control: the check finds /bin/true's newer versions" test -n "$(above /bin/true)" ;;
*)
	skip "glibc-versions control" "/bin/true binds nothing newer than $MAX on this system" ;;
esac
finish
