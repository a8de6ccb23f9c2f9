# SPDX-License-Identifier: MIT
# confuse-cve.t - the libconfuse built into the portable and musl config
# readers carries the fix for CVE-2022-40320
# (patches/libconfuse-CVE-2022-40320.patch, applied by mk/musl.mk): the
# build's own confuse.c, compiled with AddressSanitizer, expands "~user"
# without reading past the user name's buffer. The control is the same
# file with the patch taken out again: ASan must report the heap over-read
# in getpwnam(), or this test could not see it.
source "$(dirname "$0")/../lib/common.sh"
cd "$KASHIM_ROOT"
PATCH=patches/libconfuse-CVE-2022-40320.patch
SRC=build-portable/confuse/debian/src/src
LEXER=build-portable/confuse/obj/lexer.c
for f in "$SRC/confuse.c" "$LEXER"; do
	[ -f "$f" ] || { fail confuse-cve "$f is missing: run make portable (make check does)"; finish; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include <stdio.h>\n#include <stdlib.h>\n#include "confuse.h"\n%s\n' \
	'int main(void) { char *p = cfg_tilde_expand("~kashimnosuchuser/x"); puts(p); free(p); return 0; }' \
	>"$tmp/driver.c"

# asan_run CONFUSE_C: build the driver with that confuse.c under ASan, run
# it; prints "clean" or the ASan report's kind and function.
asan_run() {
	local out
	if ! gcc -g -fsanitize=address -fno-omit-frame-pointer -w -include fuzz/confuse-config.h -I"$SRC" \
		-o "$tmp/driver" "$tmp/driver.c" "$1" "$LEXER" 2>"$tmp/cc.log"; then
		echo "build failed: $(head -3 "$tmp/cc.log")"
		return
	fi
	out=$(ASAN_OPTIONS=detect_leaks=0 "$tmp/driver" 2>&1)
	if grep -q 'ERROR: AddressSanitizer' <<<"$out"; then
		grep -o 'AddressSanitizer: [a-z-]*' <<<"$out" | head -1
		grep -m1 -o 'in [a-z_]*getpwnam' <<<"$out"
	else
		echo clean
	fi
}

expect_eq "the build's libconfuse: cfg_tilde_expand(\"~user/x\") reads nothing past the name" clean \
	"$(asan_run "$SRC/confuse.c")"
if patch -f -s -R -o "$tmp/unpatched.c" "$SRC/confuse.c" <"$PATCH" >"$tmp/patch.log" 2>&1; then
	got=$(asan_run "$tmp/unpatched.c")
	check "control: without the patch, ASan reports the heap over-read (got: ${got//$'\n'/, })" \
		grep -q 'heap-buffer-overflow' <<<"$got"
else
	fail "control: the patch does not come out of the build's confuse.c" "$(cat "$tmp/patch.log")"
fi
finish
