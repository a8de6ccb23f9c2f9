# SPDX-License-Identifier: MIT
# test-timeout: 1800
# deb.t - the Debian packages, for real: `make deb` (into a folder of its
# own, never this tree's build/): a 3.0 (quilt) source package on the
# release tarball and three binary packages; lintian -E --pedantic with no
# error and no warning on the .dsc and the .debs; a second make deb in
# another build path gives the same .debs, byte for byte (reproducible
# builds); dpkg -i of the packages, the installed round trip
# (debian/tests/installed, the autopkgtest), then dpkg -r: every file gone,
# and after the purge every path the packages hold is as it was before.
# Needs a git checkout with debian/ (make deb takes debian/ from git; the
# release tarball has none): SKIP in the unpacked tarball of make distcheck.
# Installs into this machine's /usr, so it refuses to run (SKIP) when kashim
# is already installed there, and purges what it installed even when a
# check fails or the test is interrupted.
source "$(dirname "$0")/../lib/common.sh"
cd "$KASHIM_ROOT"
if ! need_root; then skip deb "installs packages: needs root"; finish; fi
if [ ! -d debian ] || ! git rev-parse --git-dir >/dev/null 2>&1; then
	skip deb "not a git checkout with debian/ (the release tarball has no debian/)"; finish
fi
for tool in dpkg-buildpackage dh lintian; do
	command -v $tool >/dev/null || { skip deb "$tool is not installed (scripts/install-deps test installs it)"; finish; }
done
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
for p in kashim libkashim kashim-bpf; do
	if dpkg-query -W -f='${db:Status-Status}' $p 2>/dev/null | grep -qv '^not-installed$'; then
		skip deb "package $p is already on this system (dpkg -l $p): not touching it"; finish
	fi
done
if [ -e /usr/lib/$ma/libkashim.so ] || [ -e /usr/bin/ka-run ]; then
	skip deb "a kashim is installed under /usr (make install PREFIX=/usr?): not touching it"; finish
fi

VERSION=$(sed -n 's/^VERSION *:= *//p' Makefile)
tmp=$(mktemp -d /tmp/kashim-deb.$$.XXXXXX)
installed=
cleanup() {
	[ -n "$installed" ] && dpkg --purge kashim-bpf kashim libkashim >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# present LIST: the paths of LIST (one a line) that exist now.
present() { while IFS= read -r f; do [ -e "$f" ] || [ -L "$f" ] && echo "$f"; done <"$1"; }

touch "$tmp/stamp"
start=$(date +%s)
if make -s deb DEB_OUT="$tmp/deb" >"$tmp/build.log" 2>&1 && make -s dist DIST_OUT="$tmp/dist" >>"$tmp/build.log" 2>&1; then
	pass "make deb builds ($(( $(date +%s) - start )) s)"
else
	fail "make deb" "$(tail -20 "$tmp/build.log")"; finish
fi
for f in "$tmp"/deb/*.deb "$tmp"/deb/*.tar.*; do echo "# $(basename "$f") $(stat -c %s "$f") bytes"; done
expect_eq "make deb left this tree's build folder alone" "" \
	"$( [ -d build ] && find build -newer "$tmp/stamp" | head -3)"
libdeb=$(ls "$tmp"/deb/libkashim_*.deb) kadeb=$(ls "$tmp"/deb/kashim_*.deb) bpfdeb=$(ls "$tmp"/deb/kashim-bpf_*.deb)
check "a 3.0 (quilt) source package" grep -qx 'Format: 3.0 (quilt)' "$tmp"/deb/kashim_*.dsc
check "with a -1 revision" grep -qx "Version: $VERSION-1" "$tmp"/deb/kashim_*.dsc
check "on the release tarball (make dist's bytes)" cmp -s "$tmp"/deb/kashim_*.orig.tar.gz "$tmp/dist/kashim-$VERSION.tar.gz"
# Every path the packages hold, and which of them exist before installing
# (/usr/bin and the like): after the purge exactly those must be left. Only
# these paths are compared: other tests run at the same time.
{ dpkg-deb -c "$libdeb"; dpkg-deb -c "$kadeb"; dpkg-deb -c "$bpfdeb"; } | awk '{ print $6 }' |
	sed 's|^\.||; s|/$||' | grep -v '^$' | sort -u >"$tmp/paths"
present "$tmp/paths" >"$tmp/before"

# lintian on the .changes: the .dsc and every .deb. No error and no warning
# (info, pedantic and experimental listed; overrides shown with reasons).
lintian -I --pedantic -E --show-overrides "$tmp"/deb/kashim_*.changes >"$tmp/lintian" 2>&1
sed 's/^/# lintian: /' "$tmp/lintian"
expect_eq "lintian: no errors" 0 "$(grep -c '^E:' "$tmp/lintian")"
expect_eq "lintian: no warnings" 0 "$(grep -c '^W:' "$tmp/lintian")"
check "lintian read the source package too" grep -q '^[A-Z]: kashim source: ' "$tmp/lintian"

# The same packages from another build path.
other=$tmp/another/build/path/longer
if make -s deb DEB_OUT="$other" >"$tmp/build2.log" 2>&1; then
	for f in "$tmp"/deb/*.deb; do
		check "$(basename "$f"): the same bytes from another build path" cmp -s "$f" "$other/$(basename "$f")"
	done
else
	fail "make deb in another build path" "$(tail -20 "$tmp/build2.log")"
fi

# What the packages hold, and what they must not.
contents=$(dpkg-deb -c "$libdeb"; dpkg-deb -c "$kadeb")
bpf_contents=$(dpkg-deb -c "$bpfdeb")
check "kashim-bpf holds the binary" grep -q ' ./usr/sbin/kashim-bpf$' <<<"$bpf_contents"
check "its man page" grep -q ' ./usr/share/man/man8/kashim-bpf.8.gz$' <<<"$bpf_contents"
check "its service, running /usr/sbin/kashim-bpf" bash -c \
	'dpkg-deb --fsys-tarfile "$1" | tar -xO ./usr/lib/systemd/system/kashim-bpf.service | grep -qx "ExecStart=/usr/sbin/kashim-bpf attach --all"' _ "$bpfdeb"
check "kashim holds none of them" bash -c '! grep -q "kashim-bpf" <<<"$1"' _ "$contents"
check "doc/*.md stay uncompressed (README.md links to them)" grep -q ' ./usr/share/doc/kashim/doc/deploying.md$' <<<"$contents"
check "postinst compiles /etc/keepalive.conf when kashim-compile exists" bash -c \
	'dpkg-deb -I "$1" postinst | grep -q "command -v kashim-compile"' _ "$kadeb"
check "purge removes /etc/keepalive.conf.cache" bash -c \
	'dpkg-deb -I "$1" postrm | grep -q "rm -f /etc/keepalive.conf.cache"' _ "$kadeb"
check "libkashim.so in /usr/lib/$ma" grep -q " ./usr/lib/$ma/libkashim.so$" <<<"$contents"
check "its reader beside it" grep -q " ./usr/lib/$ma/kashim/libkashim-conf.so$" <<<"$contents"
check "the example config under /usr/share/doc/kashim/examples" \
	grep -q ' ./usr/share/doc/kashim/examples/keepalive.conf.example$' <<<"$contents"
check "nothing under /etc" bash -c '! grep -q " ./etc/" <<<"$1"' _ "$contents"
check "no installed-dirs record" bash -c '! grep -q installed-dirs <<<"$1"' _ "$contents"
check "libkashim is Multi-Arch: same" grep -qx 'Multi-Arch: same' <(dpkg-deb -f "$libdeb")
check "libkashim activates the ldconfig trigger" grep -qx 'activate-noawait ldconfig' <(dpkg-deb -I "$libdeb" triggers)
# Hardening per binary: the tools take BIND_NOW; the shim keeps the project's flags.
mkdir -p "$tmp/x" && dpkg-deb -x "$kadeb" "$tmp/x" && dpkg-deb -x "$libdeb" "$tmp/x"
for tool in ka-status ka-run $( [ -e "$tmp/x/usr/sbin/kashim-bpf" ] && echo ../sbin/kashim-bpf); do
	check "$tool is built with BIND_NOW" bash -c 'readelf -d "$1" | grep -q "FLAGS.*BIND_NOW"' _ "$tmp/x/usr/bin/$tool"
	check "$tool is built with _FORTIFY_SOURCE" bash -c 'readelf --dyn-syms -W "$1" | grep -q "UND.*__[a-z_]*_chk"' _ "$tmp/x/usr/bin/$tool"
done
check "the shim is not (no load-time binding in every process)" \
	bash -c '! readelf -d "$1" | grep -q BIND_NOW' _ "$tmp/x/usr/lib/$ma/libkashim.so"
check "the shim has no __*_chk imports (no _FORTIFY_SOURCE)" \
	bash -c '! readelf --dyn-syms -W "$1" | grep -q "UND.*__[a-z_]*_chk"' _ "$tmp/x/usr/lib/$ma/libkashim.so"

# Install, use, remove.
installed=1
if dpkg -i "$libdeb" "$kadeb" "$bpfdeb" >"$tmp/dpkg.log" 2>&1; then
	pass "dpkg -i the three packages"
else
	fail "dpkg -i" "$(cat "$tmp/dpkg.log")"; finish
fi
dpkg -L kashim libkashim kashim-bpf | sort -u >"$tmp/files"
check "installed: /usr/lib/$ma/libkashim.so is there" [ -f /usr/lib/$ma/libkashim.so ]
check "no /etc/keepalive.conf was shipped" bash -c '! grep -q "^/etc/" "$1"' _ "$tmp/files"
# The autopkgtest, as autopkgtest would run it (as a user: it needs no root).
out=$(cd / && runuser -u nobody -- bash "$KASHIM_ROOT/debian/tests/installed" 2>&1)
rc=$?
while IFS= read -r line; do
	case $line in
	PASS\ *) pass "installed: ${line#PASS }" ;;
	FAIL\ *) line=${line#FAIL }; fail "installed: ${line%%: *}" "${line#*: }" ;;
	*) echo "# $line" ;;
	esac
done <<<"$out"
expect_eq "debian/tests/installed exits 0" 0 "$rc"

if dpkg -r kashim-bpf kashim libkashim >"$tmp/dpkg.log" 2>&1; then
	pass "dpkg -r the three packages"
else
	fail "dpkg -r" "$(cat "$tmp/dpkg.log")"
fi
left=
while IFS= read -r f; do
	[ -d "$f" ] && case $f in *kashim*) ;; *) continue ;; esac
	[ -e "$f" ] && left="$left $f"
done <"$tmp/files"
expect_eq "dpkg -r leaves no file behind" "" "$left"
check "the ld.so cache forgot libkashim.so" bash -c '! ldconfig -p | grep -q "libkashim\.so "'
dpkg --purge kashim-bpf kashim libkashim >/dev/null 2>&1 && installed=
present "$tmp/paths" >"$tmp/after"
expect_eq "the system is as before (every path of the packages)" "" "$(diff "$tmp/before" "$tmp/after")"
status() { local s; s=$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null); echo "${s:-not-installed}"; }
expect_eq "dpkg knows none of the packages any more" "not-installed not-installed not-installed" \
	"$(status kashim) $(status libkashim) $(status kashim-bpf)"
finish
