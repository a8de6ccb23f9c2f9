# SPDX-License-Identifier: MIT
# deps.t - `make` only checks the build dependencies (never runs apt-get)
# and names what is missing; `make check` installs them; CC from the
# command line or the environment is the compiler used.
source "$(dirname "$0")/../lib/common.sh"
cd "$KASHIM_ROOT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Fakes in front of PATH: a pkg-config that does not know libconfuse, and an
# apt-get that records being called.
mkdir -p "$tmp/bin"
cat >"$tmp/bin/pkg-config" <<FAKE
#!/bin/sh
case " \$* " in *" libconfuse "*) exit 1 ;; esac
exec $(command -v pkg-config) "\$@"
FAKE
printf '#!/bin/sh\necho "$*" >>%s/apt-calls\nexit 1\n' "$tmp" >"$tmp/bin/apt-get"
chmod +x "$tmp/bin/pkg-config" "$tmp/bin/apt-get"

out=$(PATH=$tmp/bin:$PATH make -s B="$tmp/b" "$tmp/b/libkashim.so" 2>&1); rc=$?
check "make fails when libconfuse is missing" [ "$rc" != 0 ]
check "make names the missing package" grep -q 'packages: libconfuse-dev$' <<<"$out"
check "make gives the apt-get line" grep -q 'apt-get install -y libconfuse-dev' <<<"$out"
check "make never runs apt-get" [ ! -e "$tmp/apt-calls" ]
check "make built nothing" [ ! -e "$tmp/b/libkashim.so" ]
# Control: with everything there, the same make builds.
out=$(make -s B="$tmp/b2" "$tmp/b2/libkashim.so" 2>&1)
check "control: make builds when nothing is missing" [ -e "$tmp/b2/libkashim.so" ]

# `make check` is one of the goals that install (dry run: the recipe line).
out=$(make -n B="$tmp/b3" check 2>/dev/null | grep install-deps | head -1)
check "make check installs what is missing" grep -q 'install-deps  *build' <<<"$out"
out=$(make -n B="$tmp/b3" all 2>/dev/null | grep install-deps | head -1)
check "make only checks" grep -q 'install-deps --check build' <<<"$out"

# CC: make's default (cc) is replaced by gcc, but CC given by the user is used.
cc_of() { make -n B="$tmp/b4" "$tmp/b4/obj/shim/log.o" "$@" 2>/dev/null | grep -- '-c shim/log.c' | awk '{print $1}'; }
expect_eq "CC defaults to gcc" gcc "$(cc_of)"
expect_eq "CC on the command line" my-cc "$(cc_of CC=my-cc)"
expect_eq "CC from the environment" env-cc "$(CC=env-cc cc_of)"
finish
