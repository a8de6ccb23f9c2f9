# SPDX-License-Identifier: MIT
# deps.t - `make` only checks the build dependencies (never runs apt-get)
# and names what is missing, and only those (Check is for the unit tests);
# `make MUSL=1` asks for what the musl build uses; `make check` installs
# them; CC from the command line or the environment is the compiler used;
# "kashim-bpf not built" is said once, and not with MUSL=1.
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

# Check (the unit tests' framework) is not a build dependency.
cat >"$tmp/bin/pkg-config" <<FAKE
#!/bin/sh
case " \$* " in *" check "*) exit 1 ;; esac
exec $(command -v pkg-config) "\$@"
FAKE
out=$(PATH=$tmp/bin:$PATH make -s B="$tmp/b5" "$tmp/b5/libkashim.so" 2>&1)
check "without Check, make builds the library" [ -e "$tmp/b5/libkashim.so" ]
check "and does not ask for Check" bash -c '! grep -q "packages:.* check" <<<"$1"' _ "$out"
out=$(PATH=$tmp/bin:$PATH make -s B="$tmp/b5" "$tmp/b5/tests/test_config" 2>&1)
check "control: the unit tests ask for it" grep -q 'packages: check$' <<<"$out"

# make MUSL=1: linux-libc-dev (the kernel's headers, for ka-status) named
# when missing (a fake dpkg-query says so), libconfuse-dev (not used: the
# musl reader builds its own) not even when missing.
cat >"$tmp/bin/pkg-config" <<FAKE
#!/bin/sh
case " \$* " in *" libconfuse "*) exit 1 ;; esac
exec $(command -v pkg-config) "\$@"
FAKE
cat >"$tmp/bin/dpkg-query" <<FAKE
#!/bin/sh
case " \$* " in *" linux-libc-dev "*) echo "unknown ok not-installed"; exit 0 ;; esac
exec $(command -v dpkg-query) "\$@"
FAKE
chmod +x "$tmp/bin/pkg-config" "$tmp/bin/dpkg-query"
out=$(PATH=$tmp/bin:$PATH make -s MUSL=1 B="$tmp/m" "$tmp/m/.deps-build" 2>&1)
check "make MUSL=1 names linux-libc-dev when it is missing" grep -q 'packages:.* linux-libc-dev' <<<"$out"
check "make MUSL=1 does not ask for libconfuse-dev" bash -c '! grep -q libconfuse-dev <<<"$1"' _ "$out"
out=$(PATH=$tmp/bin:$PATH make -s B="$tmp/b6" "$tmp/b6/.deps-build" 2>&1)
check "control: plain make asks for libconfuse-dev" grep -q 'packages: libconfuse-dev$' <<<"$out"
rm -f "$tmp/bin/dpkg-query"

# kashim-bpf left out (no such clang): said once for a whole make check
# (dry run: the makes it runs itself are run, and parse the makefiles too),
# and never with MUSL=1.
said() { make -n "$@" 2>&1 | grep -c 'kashim-bpf not built'; }
expect_eq "\"kashim-bpf not built\" is said once by make check" 1 \
	"$(said B="$tmp/b7" BPF_CLANG=kashim-no-such-clang check)"
expect_eq "and not by make MUSL=1, where it is off on purpose" 0 \
	"$(said MUSL=1 B="$tmp/b8" BPF_CLANG=kashim-no-such-clang all)"

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
