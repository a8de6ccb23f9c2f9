# SPDX-License-Identifier: MIT
# install.t - make install / make uninstall (mk/install.mk).
#   - install with DESTDIR puts every file in place, with the installed
#     library's path compiled into ka-run and substituted into kashim-preload;
#   - uninstall then leaves DESTDIR with no files (and no directories);
#   - an existing keepalive.conf is neither overwritten nor removed;
#   - install with another SYSCONFDIR installs a library built for it;
#   - /etc/ld.so.preload is never written;
#   - as root: the installed ka-run works from /usr/local with the build
#     tree out of sight (private mount namespace), against a control.
source "$(dirname "$0")/../lib/common.sh"

t_tmpdir tmp
fingerprint() { if [ -e "$1" ]; then sha256sum <"$1"; else echo absent; fi; }
preload_before=$(fingerprint /etc/ld.so.preload)

# mk VAR=VALUE... TARGET: make in the source tree, quietly; output in $tmp/make.log.
mk() { make -s -C "$KASHIM_ROOT" "$@" >"$tmp/make.log" 2>&1; }
files_in() { (cd "$1" && find . -type f | sort); }

# --- round trip through DESTDIR --------------------------------------------
root=$tmp/root
mkdir "$root"
if mk install DESTDIR="$root"; then pass "make install DESTDIR"; else fail "make install DESTDIR" "$(cat "$tmp/make.log")"; fi
for f in usr/local/lib/libkashim.so usr/local/lib/kashim/libkashim-conf.so \
	usr/local/share/doc/kashim/doc/deploying.md usr/local/bin/ka-run usr/local/bin/ka-status \
	usr/local/bin/kashim-preload usr/local/share/man/man1/ka-run.1 usr/local/share/man/man1/ka-status.1 \
	usr/local/share/man/man5/keepalive.conf.5 usr/local/share/man/man7/libkashim.7 \
	usr/local/share/man/man8/kashim-preload.8 usr/local/share/doc/kashim/keepalive.conf.example \
	usr/local/share/doc/kashim/systemd/kashim.conf etc/keepalive.conf.example; do
	check "installed $f" test -s "$root/$f"
done
check "ka-run: installed library path compiled in (without DESTDIR)" \
	grep -qaF '/usr/local/lib/libkashim.so' "$root/usr/local/bin/ka-run"
check "kashim-preload: installed library path substituted" \
	grep -qx 'KASHIM_INSTALLED_LIB=/usr/local/lib/libkashim.so' "$root/usr/local/bin/kashim-preload"
check "the build tree's ka-run has no installed path compiled in" \
	eval '! grep -qaF /usr/local/lib/libkashim.so "$KA_RUN"'
check "install does not create keepalive.conf" test ! -e "$root/etc/keepalive.conf"
check "install does not write ld.so.preload" test ! -e "$root/etc/ld.so.preload"
# Installing twice is harmless and uninstall still removes everything.
mk install DESTDIR="$root" || fail "make install twice" "$(cat "$tmp/make.log")"
mk uninstall DESTDIR="$root" || fail "make uninstall" "$(cat "$tmp/make.log")"
expect_eq "uninstall leaves DESTDIR with no files" "" "$(files_in "$root")"
expect_eq "uninstall removes the directories install created" "" "$(ls -A "$root")"

# A DESTDIR that does not exist yet (a fresh staging dir) is created.
rm -rf "$tmp/fresh"
if mk install DESTDIR="$tmp/fresh/stage"; then pass "install into a DESTDIR that does not exist"
else fail "install into a DESTDIR that does not exist" "$(tail -3 "$tmp/make.log")"; fi
check "control: the fresh DESTDIR got the library" test -s "$tmp/fresh/stage/usr/local/lib/libkashim.so"
mk uninstall DESTDIR="$tmp/fresh/stage" || fail "make uninstall (fresh DESTDIR)" "$(cat "$tmp/make.log")"
expect_eq "uninstall leaves the fresh DESTDIR with no files" "" "$(files_in "$tmp/fresh/stage")"

# --- an existing keepalive.conf ---------------------------------------------
mkdir -p "$root/etc"
printf 'idle = 17\n# mine\n' >"$root/etc/keepalive.conf"
cp "$root/etc/keepalive.conf" "$tmp/mine.conf"
mk install DESTDIR="$root" || fail "make install over a keepalive.conf" "$(cat "$tmp/make.log")"
check "an existing keepalive.conf is not overwritten" cmp -s "$tmp/mine.conf" "$root/etc/keepalive.conf"
check "control: install did write beside it" test -s "$root/etc/keepalive.conf.example"
mk uninstall DESTDIR="$root" || fail "make uninstall" "$(cat "$tmp/make.log")"
expect_eq "uninstall keeps keepalive.conf and removes the rest" "./etc/keepalive.conf" "$(files_in "$root")"
check "keepalive.conf unchanged after uninstall" cmp -s "$tmp/mine.conf" "$root/etc/keepalive.conf"
rm -rf "$root"

# --- another SYSCONFDIR: the library is built for it -------------------------
# A flag change rebuilds every object (the build's flags stamp), so
# `make install SYSCONFDIR=...` after `make` installs a library that reads
# that folder's keepalive.conf. In a build folder of its own: a rebuild of
# build/ would change the library under the other tests running meanwhile.
names_conf() { tr '\0' '\n' <"$1" | grep -qxF "$2/keepalive.conf"; }
mkdir "$root"
if mk install B="$tmp/build-sysconf" DESTDIR="$root" SYSCONFDIR=/opt/kashim-test/etc; then
	check "install SYSCONFDIR=/opt/kashim-test/etc: the installed library reads its keepalive.conf" \
		names_conf "$root/usr/local/lib/libkashim.so" /opt/kashim-test/etc
	check "control: the library in build/ still reads /etc/keepalive.conf" \
		names_conf "$KASHIM_ROOT/build/libkashim.so" /etc
else
	fail "install with another SYSCONFDIR" "$(tail -5 "$tmp/make.log")"
fi
rm -rf "$root" "$tmp/build-sysconf"

expect_eq "the real /etc/ld.so.preload is untouched" "$preload_before" "$(fingerprint /etc/ld.so.preload)"

# --- the installed ka-run, with no build tree --------------------------------
# probe: print SO_KEEPALIVE, TCP_KEEPIDLE of a new TCP socket and the
# LD_PRELOAD this process got.
probe='import os, socket
s = socket.socket()
print(s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
      s.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE), os.environ.get("LD_PRELOAD", "-"))'

# in_namespace ROOT: /usr/local replaced by ROOT/usr/local, the source tree
# hidden under an empty tmpfs; print what the installed tools do there.
in_namespace() {
	mount --bind "$1/usr/local" /usr/local && mount -t tmpfs kashim-hidden "$KASHIM_ROOT" || exit 1
	[ -e "$KASHIM_ROOT/build/libkashim.so" ] && echo "tree-visible" || echo "tree-hidden"
	env -u LD_PRELOAD -u KASHIM_LIB /usr/local/bin/ka-run -i 33 "$PYTHON" -c "$2"
	env -u LD_PRELOAD -u KASHIM_LIB "$PYTHON" -c "$2"
	env -u KASHIM_LIB /usr/local/bin/ka-run -i 33 --check "$PYTHON" | grep '^idle' | tr -s ' '
	/usr/local/bin/ka-status --version >/dev/null && echo "ka-status-runs"
}

if ! need_root; then
	skip "installed ka-run without a build tree" "needs root for a private mount namespace"
else
	mkdir -p "$root"
	mk install DESTDIR="$root" || fail "make install DESTDIR" "$(cat "$tmp/make.log")"
	out=$(unshare -m --propagation private bash -c "$(declare -f in_namespace); KASHIM_ROOT='$KASHIM_ROOT' PYTHON='$PYTHON' in_namespace '$root' '$probe'" 2>&1)
	lines() { sed -n "${1}p" <<<"$out"; }
	expect_eq "the build tree is out of sight" "tree-hidden" "$(lines 1)"
	expect_eq "installed ka-run gives keepalive, from the installed library" \
		"1 33 /usr/local/lib/libkashim.so" "$(lines 2)"
	expect_eq "control: the same program without ka-run" "0" "$(lines 3 | cut -d' ' -f1)"
	expect_eq "installed ka-run --check explains with the installed code" \
		"idle 33 ka-run option --idle (KASHIM_IDLE)" "$(lines 4)"
	expect_eq "installed ka-status runs" "ka-status-runs" "$(lines 5)"
	mk uninstall DESTDIR="$root"
fi
finish
