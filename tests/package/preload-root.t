# SPDX-License-Identifier: MIT
# preload-root.t - kashim-preload add --root DIR checks the library against
# DIR's glibc, not this machine's: a library that needs a symbol version
# DIR's libc.so.6 does not define is refused (the root's every program
# would fail to start), and DIR/etc/ld.so.preload is left as it was.
# Run as nobody, so that no chroot is possible and only the comparison of
# versions can decide. The roots are made here: an "old" libc.so.6 that
# defines this machine's GLIBC_ versions up to 2.31 (a stand-in for Debian
# 11's), and a copy of this machine's libc.so.6. Two libraries: one needing
# fstat@GLIBC_2.33, one needing nothing newer than GLIBC_2.2.5 (its control).
source "$(dirname "$0")/../lib/common.sh"
cd "$KASHIM_ROOT"
if ! need_root; then skip preload-root "needs root (runs as nobody in a tree made for it)"; finish; fi
command -v objdump >/dev/null || { skip preload-root "objdump (binutils) is not installed"; finish; }
tmp=$(mktemp -d /tmp/kashim-preload-root.$$.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
ma=$(gcc -print-multiarch)
host_libc=$(gcc -print-file-name=libc.so.6)
host_libc=$(readlink -f "$host_libc")

# The old libc: each of the machine's GLIBC_ versions up to 2.31 as a
# version node holding one symbol.
objdump -p "$host_libc" | awk '/^Version definitions:/ { d = 1; next } /^$/ { d = 0 }
	d && $4 ~ /^GLIBC_2\./ { split(substr($4, 7), v, "."); if (v[2] + 0 <= 31) print $4 }' |
	sort -u >"$tmp/versions"
n=0
: >"$tmp/old.map" && : >"$tmp/old.c"
while read -r v; do
	n=$((n + 1))
	echo "int kashim_v$n;" >>"$tmp/old.c"
	echo "$v { global: kashim_v$n; };" >>"$tmp/old.map"
done <"$tmp/versions"
for r in old new; do mkdir -p "$tmp/$r/etc" "$tmp/$r/lib/$ma" "$tmp/$r/opt"; done
gcc -shared -nostdlib -Wl,-soname,libc.so.6 -Wl,--version-script="$tmp/old.map" -o "$tmp/old/lib/$ma/libc.so.6" \
	"$tmp/old.c" || { fail "old libc" "could not build it"; finish; }
cp "$host_libc" "$tmp/new/lib/$ma/libc.so.6"
check "premise: the old root's libc defines GLIBC_2.31 and not GLIBC_2.33" bash -c \
	'objdump -p "$1" | grep -qw GLIBC_2.31 && ! objdump -p "$1" | grep -qw GLIBC_2.33' _ "$tmp/old/lib/$ma/libc.so.6"

printf '#include <sys/stat.h>\nint f(int fd) { struct stat st; return fstat(fd, &st); }\n' >"$tmp/needs233.c"
printf '#include <unistd.h>\nint f(void) { return getpid(); }\n' >"$tmp/plain.c"
for l in needs233 plain; do
	gcc -shared -fPIC -o "$tmp/$l.so" "$tmp/$l.c"
	for r in old new; do cp "$tmp/$l.so" "$tmp/$r/opt/"; done
done
check "premise: needs233.so needs GLIBC_2.33" bash -c 'objdump -p "$1" | grep -qw GLIBC_2.33' _ "$tmp/needs233.so"
# nobody runs a copy of the script: the tree may be in a folder only root
# can enter (make distcheck's).
cp scripts/kashim-preload "$tmp/kashim-preload"
chown -R nobody "$tmp/old" "$tmp/new"
chmod 755 "$tmp" "$tmp/kashim-preload"

# add ROOT LIB: kashim-preload add --root ROOT /opt/LIB as nobody; prints
# its exit status, then what ROOT/etc/ld.so.preload holds ("none").
add() {
	local rc out
	out=$(cd / && runuser -u nobody -- "$tmp/kashim-preload" add --root "$tmp/$1" "/opt/$2" 2>&1)
	rc=$?
	echo "$out" >"$tmp/out"
	echo "$rc $(cat "$tmp/$1/etc/ld.so.preload" 2>/dev/null || echo none)"
	rm -f "$tmp/$1/etc/ld.so.preload"
}
expect_eq "a library needing GLIBC_2.33 is refused for a root whose glibc stops at 2.31" "1 none" \
	"$(add old needs233.so)"
check "the refusal names the missing version and the root's libc" \
	grep -q "needs GLIBC_2.33, which /lib/$ma/libc.so.6 in $tmp/old does not define" "$tmp/out"
expect_eq "control: the same library is taken for a root with this machine's glibc" \
	"0 /opt/needs233.so" "$(add new needs233.so)"
expect_eq "control: a library needing only GLIBC_2.2.5 is taken for the old root" "0 /opt/plain.so" \
	"$(add old plain.so)"
rm "$tmp/old/lib/$ma/libc.so.6"
expect_eq "a root with no glibc at all: refused" "1 none" "$(add old plain.so)"
check "saying so" grep -q "has no glibc (libc.so.6)" "$tmp/out"
finish
