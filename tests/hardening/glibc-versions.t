#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The shim binds no glibc symbol version newer than GLIBC_2.17, so that
# distributions with an older glibc can preload it (a preload that needs a
# newer version stops every program from starting there). It imports none
# of libdl's functions (dlopen, dlsym, dladdr, dlerror, dlclose...) at any
# version: before glibc 2.34 they live in libdl.so.2 only, which a program
# need not have loaded ("undefined symbol: dladdr, version GLIBC_2.2.5" in
# a Debian 11 root, tests/package/roots-bullseye.t); the shim finds them by
# its own symbol walk when it needs them. Controls: the same checks find the
# newer versions /bin/true binds (glibc 2.34's __libc_start_main, on a
# Debian 12 or later build) and python3's dlopen import.
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
# libdl FILE: the libdl functions FILE imports.
libdl() { objdump -T "$1" | awk '$2 == "DF" && $3 == "*UND*" && $NF ~ /^dl(open|mopen|sym|vsym|addr|addr1|error|close|info)$/ { print $NF }'; }
expect_eq "libkashim.so: imports none of libdl's functions" "" "$(libdl "$HX_LIB" | tr '\n' ' ')"
py=$(readlink -f /usr/bin/python3)
check "glibc-versions control: the libdl check finds python3's dlopen" test -n "$(libdl "$py")"
case $(newest /bin/true) in
2.1[89]* | 2.[2-9]*)
	check "glibc-versions control: the check finds /bin/true's newer versions" test -n "$(above /bin/true)" ;;
*)
	skip "glibc-versions control" "/bin/true binds nothing newer than $MAX on this system" ;;
esac
finish
