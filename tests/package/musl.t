# SPDX-License-Identifier: MIT
# musl.t - the musl build (make MUSL=1, build-musl/): a musl-linked server
# and client under the musl shim get the settings, a program section of a
# config file applies (the musl config reader, libconfuse linked in, is
# found beside the shim), and ka-run never gives a program the shim of the
# other C library: it picks the right build by PT_INTERP, or refuses.
source "$(dirname "$0")/../lib/common.sh"
cd "$KASHIM_ROOT"
M=build-musl
for f in $M/libkashim.so $M/kashim/libkashim-conf.so $M/ka-run $M/tests/probe build/tests/probe "$KA_RUN"; do
	[ -f "$f" ] || { fail musl "$f is missing: run make musl build/tests/probe (make check does)"; finish; }
done
[ -e /lib/ld-musl-x86_64.so.1 ] || [ -n "$(ls /lib/ld-musl-* 2>/dev/null)" ] ||
	{ fail musl "no musl loader (/lib/ld-musl-*): scripts/install-deps musl installs musl-tools"; finish; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# libc FILE: the C library FILE is linked against, from its DT_NEEDED.
libc() {
	case $(readelf -d "$1" 2>/dev/null | grep -o 'Shared library: \[libc\.so[^]]*\]') in
	*'[libc.so.6]') echo glibc ;;
	*'[libc.so]') echo musl ;;
	*) echo unknown ;;
	esac
}
kernel_idle=$(cat /proc/sys/net/ipv4/tcp_keepalive_time)

expect_eq "the musl shim is built for musl" musl "$(libc $M/libkashim.so)"
expect_eq "its config reader too" musl "$(libc $M/kashim/libkashim-conf.so)"
expect_eq "and ka-run" musl "$(libc $M/ka-run)"
expect_eq "control: the glibc shim is built for glibc" glibc "$(libc build/libkashim.so)"
check "the musl config reader needs nothing but musl's libc" \
	bash -c '[ "$(readelf -d "$1" | grep -c NEEDED)" = 1 ] && readelf -d "$1" | grep -q "NEEDED.*\[libc.so\]"' _ \
	$M/kashim/libkashim-conf.so

# pair PROBE [PREFIX...]: a server and a client (PROBE, each its own
# process) started as PREFIX PROBE ... (env VAR=VALUE, ka-run OPTIONS);
# prints "SERVER-REPORT / CLIENT-REPORT".
pair() {
	local probe=$1; shift
	rm -f "$tmp/port" "$tmp/server.out"
	timeout 10 "$@" "$probe" listen "$tmp/port" >"$tmp/server.out" 2>&1 &
	local server=$!
	for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
	local client
	client=$(timeout 10 "$@" "$probe" connect "$(cat "$tmp/port" 2>/dev/null)" 2>&1)
	wait "$server"
	echo "$(cat "$tmp/server.out") / $client"
}
P=$M/tests/probe
G=build/tests/probe
MUSL_SHIM=$PWD/$M/libkashim.so
expect_eq "musl server and client under the musl shim: idle 30" "on 30 / on 30" \
	"$(pair $P env LD_PRELOAD="$MUSL_SHIM" KASHIM_IDLE=30)"
expect_eq "control: the same without the shim" "off $kernel_idle / off $kernel_idle" "$(pair $P env KASHIM_IDLE=30)"

printf 'idle = 50\nprogram "probe" {\n\tidle = 42\n}\n' >"$tmp/probe.conf"
printf 'idle = 50\nprogram "other" {\n\tidle = 42\n}\n' >"$tmp/other.conf"
expect_eq "a program section applies under the musl shim" "on 42 / on 42" \
	"$(pair $P env LD_PRELOAD="$MUSL_SHIM" KASHIM_CONFIG="$tmp/probe.conf")"
expect_eq "control: another program's section does not" "on 50 / on 50" \
	"$(pair $P env LD_PRELOAD="$MUSL_SHIM" KASHIM_CONFIG="$tmp/other.conf")"
printf 'idle = 50\nprogram "probe" {\n\tidle = 0\n}\n' >"$tmp/bad.conf"
expect_eq "the musl ka-run --check finds a good file valid" 0 \
	"$($M/ka-run -c "$tmp/probe.conf" --check >/dev/null 2>&1; echo $?)"
expect_eq "and a bad one not" 1 "$($M/ka-run -c "$tmp/bad.conf" --check >/dev/null 2>&1; echo $?)"

# The wrong C library's shim is fatal: what ka-run protects against.
LD_PRELOAD=$MUSL_SHIM /bin/true 2>/dev/null
expect_eq "premise: the musl shim kills a glibc program (loader error)" 127 $?

# ka-run picks the build by the program's C library.
expect_eq "ka-run gives a musl program the musl shim" "on 33 / on 33" "$(pair $P "$KA_RUN" -i 33)"
expect_eq "and a glibc program the glibc shim" "on 33 / on 33" "$(pair $G "$KA_RUN" -i 33)"
out=$(KASHIM_LIB=$MUSL_SHIM "$KA_RUN" -i 33 sh -c "touch $tmp/ran" 2>&1); rc=$?
expect_eq "KASHIM_LIB=musl shim for a glibc program: ka-run refuses (exit 2)" 2 "$rc"
check "with a line naming both C libraries" grep -q 'is a glibc program but .* is built for musl' <<<"$out"
check "and the program did not run" [ ! -e "$tmp/ran" ]
out=$(KASHIM_LIB=$PWD/build/libkashim.so "$KA_RUN" $P connect 1 2>&1); rc=$?
expect_eq "KASHIM_LIB=glibc shim for a musl program: refused" 2 "$rc"

# A library that names no C library (a stub) is not a mismatch: no refusal.
printf 'int kashim_stub;\n' >"$tmp/stub.c"
mkdir -p "$tmp/stub"
if cc -shared -nostdlib -o "$tmp/stub/libkashim.so" "$tmp/stub.c" 2>/dev/null; then
	# The probe's own failure (1: nothing listens on port 1), not ka-run's refusal (2).
	expect_eq "a stub library with no C library: ka-run runs the musl program" 1 \
		"$(KASHIM_LIB=$tmp/stub/libkashim.so "$KA_RUN" $P connect 1 2>/dev/null; echo $?)"
else
	fail "stub library" "cc could not build it"
fi

# An installed-like layout with no musl build: refused, with what to do;
# then with the musl build as musl/ beside the library: taken.
mkdir -p "$tmp/inst/bin" "$tmp/inst/lib/kashim"
cp "$KA_RUN" "$tmp/inst/bin/ka-run"
cp build/libkashim.so "$tmp/inst/lib/"
cp build/kashim/libkashim-conf.so "$tmp/inst/lib/kashim/"
out=$("$tmp/inst/bin/ka-run" -i 33 $P connect 1 2>&1); rc=$?
expect_eq "no musl build: ka-run refuses a musl program (exit 2)" 2 "$rc"
check "and says how to get one" grep -q 'make MUSL=1' <<<"$out"
mkdir -p "$tmp/inst/lib/musl/kashim"
cp $M/libkashim.so "$tmp/inst/lib/musl/"
cp $M/kashim/libkashim-conf.so "$tmp/inst/lib/musl/kashim/"
expect_eq "musl/ beside the library: taken for a musl program" "on 34 / on 34" \
	"$(pair $P "$tmp/inst/bin/ka-run" -i 34)"
finish
