# SPDX-License-Identifier: MIT
# glibc.t - the config readers (build/kashim/libkashim-conf.so and the
# portable one, libconfuse linked in) bind no glibc symbol version newer
# than GLIBC_2.17, so that they load on every glibc from 2.17 on (Debian 11,
# RHEL 8, Amazon Linux 2...): the check auditwheel makes for manylinux
# wheels, on objdump -T's version column. The control is a library built
# here that calls fstat(): the same check must see GLIBC_2.33 in it, or it
# could not see anything. tests/package/roots-*.t load them for real.
source "$(dirname "$0")/../lib/common.sh"
cd "$KASHIM_ROOT"
command -v objdump >/dev/null || { skip glibc "objdump (binutils) is not installed"; finish; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
MAX=2.17

# too_new FILE: FILE's imported GLIBC_ versions newer than $MAX, with the
# symbols that need them ("fstat@GLIBC_2.33"), one a line.
too_new() {
	objdump -T "$1" | awk -v max="$MAX" '
		function newer(v, m,   a, b, i) {
			split(v, a, "."); split(m, b, ".")
			for (i = 1; i <= 3; i++) if (a[i] + 0 != b[i] + 0) return a[i] + 0 > b[i] + 0
			return 0
		}
		/\*UND\*/ && match($0, /GLIBC_[0-9.]+/) {
			v = substr($0, RSTART + 6, RLENGTH - 6)
			if (newer(v, max)) print $NF "@GLIBC_" v
		}' | sort -u | paste -sd' '
}

printf '#include <sys/stat.h>\nint f(int fd) { struct stat st; return fstat(fd, &st); }\n' >"$tmp/f.c"
if gcc -shared -fPIC -o "$tmp/libf.so" "$tmp/f.c" 2>"$tmp/cc.log"; then
	expect_eq "control: the check sees fstat@GLIBC_2.33 in a library built here" \
		"fstat@GLIBC_2.33" "$(too_new "$tmp/libf.so")"
else
	fail "control library" "$(cat "$tmp/cc.log")"
fi

for f in build/kashim/libkashim-conf.so build-portable/kashim/libkashim-conf.so; do
	if [ -f "$f" ]; then
		expect_eq "$f binds nothing newer than GLIBC_$MAX" "" "$(too_new "$f")"
	else
		fail "$f" "missing: run make all portable (make check does)"
	fi
done
finish
