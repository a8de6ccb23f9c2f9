# SPDX-License-Identifier: MIT
# preload.t - scripts/kashim-preload edits /etc/ld.so.preload safely, and a
# system-wide preload gives keepalive to programs started without LD_PRELOAD.
#
# Everything that writes runs in a private mount namespace (unshare -m) with
# an overlay over /etc whose upper layer is a tmpfs of that namespace: the
# real /etc/ld.so.preload is never written, and the test checks that it is
# byte-identical (or still absent) afterwards.
source "$(dirname "$0")/../lib/common.sh"
PRELOAD_SCRIPT=$KASHIM_ROOT/scripts/kashim-preload

# fingerprint FILE: its checksum, or "absent".
fingerprint() { if [ -e "$1" ]; then sha256sum <"$1"; else echo absent; fi; }

# probe [NAME]: make a TCP socket in python3 (argv[0] NAME when given) and
# print "SO_KEEPALIVE TCP_KEEPIDLE" as the kernel reports them.
probe() {
	local name=${1:-python3}
	env -u LD_PRELOAD bash -c 'exec -a "$0" "$1" -c "$2"' "$name" "$PYTHON" '
import socket
s = socket.socket()
print(s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
      s.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE))'
}

# inner TMP OUTER_MNT_NS: the part that runs inside the namespace.
inner() {
	local tmp=$1 outer_ns=$2 preload=/etc/ld.so.preload
	# Refuse to go on unless /etc really is this namespace's overlay.
	if [ "$(readlink /proc/self/ns/mnt)" = "$outer_ns" ]; then
		fail "private namespace" "still in the outer mount namespace"; return
	fi
	mkdir -p "$tmp/ovl" && mount -t tmpfs kashim-test "$tmp/ovl" &&
		mkdir "$tmp/ovl/upper" "$tmp/ovl/work" &&
		mount -t overlay overlay -o "lowerdir=/etc,upperdir=$tmp/ovl/upper,workdir=$tmp/ovl/work" /etc
	if [ "$(findmnt -n -o FSTYPE /etc)" != overlay ]; then
		fail "private overlay over /etc" "mount failed; nothing was changed"; return
	fi
	pass "private overlay over /etc"

	# A site's existing list: a comment and another library, kept as is.
	printf '# site preload list\n%s\n' "$tmp/other.so" >$preload
	cp $preload "$tmp/original"
	# System-wide settings, with one program excluded.
	cat >/etc/keepalive.conf <<-'EOF'
		idle = 37
		program "kashim-excluded" {
			keepalive = false
		}
	EOF

	expect_eq "control: before add, no keepalive" "0" "$(probe | cut -d' ' -f1)"

	"$PRELOAD_SCRIPT" add "$KASHIM_LIB" >/dev/null
	expect_eq "add appends the library, keeps other entries" \
		"$(cat "$tmp/original"; echo "$KASHIM_LIB")" "$(cat $preload)"
	cp $preload "$tmp/added"
	out=$("$PRELOAD_SCRIPT" add "$KASHIM_LIB")
	check "add again changes nothing" cmp -s "$tmp/added" $preload
	check "add again says so" grep -q "already in" <<<"$out"
	check "status finds it" grep -q "is in" <<<"$("$PRELOAD_SCRIPT" status "$KASHIM_LIB")"

	expect_eq "after add, keepalive without LD_PRELOAD (config idle 37)" "1 37" "$(probe)"
	expect_eq "program section keepalive = false excludes a program" "0" \
		"$(probe kashim-excluded | cut -d' ' -f1)"

	# Refusals: each leaves the file as it was.
	echo "not a library" >"$tmp/broken.so"
	local bad name
	for bad in "$tmp/broken.so" "$tmp/missing.so" "build/libkashim.so" "$tmp/dir with space.so"; do
		name=${bad#"$tmp/"}
		err=$("$PRELOAD_SCRIPT" add "$bad" 2>&1 >/dev/null) && rc=0 || rc=$?
		expect_eq "refuses $name: exit 1" 1 "$rc"
		check "refuses $name: says why" grep -q "refusing" <<<"$err"
		check "refuses $name: file unchanged" cmp -s "$tmp/added" $preload
	done
	check "refusal of a non-library quotes ld.so" grep -q "cannot be preloaded" \
		<<<"$("$PRELOAD_SCRIPT" add "$tmp/broken.so" 2>&1)"

	"$PRELOAD_SCRIPT" remove "$KASHIM_LIB" >/dev/null
	check "remove restores the original content" cmp -s "$tmp/original" $preload
	expect_eq "after remove, no keepalive" "0" "$(probe | cut -d' ' -f1)"
	"$PRELOAD_SCRIPT" status "$KASHIM_LIB" >/dev/null && rc=0 || rc=$?
	expect_eq "status after remove: exit 1" 1 "$rc"

	# From no file at all back to no file at all.
	rm -f $preload
	"$PRELOAD_SCRIPT" add "$KASHIM_LIB" >/dev/null
	"$PRELOAD_SCRIPT" remove "$KASHIM_LIB" >/dev/null
	check "add then remove on an absent file leaves none" test ! -e $preload
	check "no temporary file left in /etc" test -z "$(find /etc -maxdepth 1 -name '.ld.so.preload.*')"
	finish
}

if [ "${1:-}" = inner ]; then
	inner "$2" "$3"
fi

if ! need_root; then
	skip "kashim-preload in a private namespace" "needs root for unshare -m and mount"
	finish
fi
t_tmpdir tmp
# Another library for the site's list: loads cleanly, does nothing.
echo 'int kashim_test_other;' | ${CC:-gcc} -shared -fPIC -x c - -o "$tmp/other.so"
before=$(fingerprint /etc/ld.so.preload)
t_nested unshare -m --propagation private bash "$0" inner "$tmp" "$(readlink /proc/self/ns/mnt)"
rc=$?
[ "$rc" = 0 ] || [ "$T_FAILURES" -gt 0 ] || fail "inner part" "exited $rc"
expect_eq "the real /etc/ld.so.preload is untouched" "$before" "$(fingerprint /etc/ld.so.preload)"
check "the real /etc has no kashim temporary file" \
	test -z "$(find /etc -maxdepth 1 -name '.ld.so.preload.*')"
finish
