# SPDX-License-Identifier: MIT
# dist.t - make dist: kashim-VERSION.tar.gz and its .sha256, the same bytes
# from the same commit: made again from a fresh clone of it, in another
# path, with other file times and another umask, the tarball is identical
# (and identical to this tree's when the tree is the commit). The control
# changes one input (SOURCE_DATE_EPOCH): the bytes must differ, or the
# comparison could not see anything. It holds exactly the files git tracks
# but debian/, under kashim-VERSION/. make distcheck (the tarball built and
# checked) is a goal of its own, not part of make check.
source "$(dirname "$0")/../lib/common.sh"
cd "$KASHIM_ROOT"
git rev-parse --git-dir >/dev/null 2>&1 || { skip dist "not a git checkout (make dist needs one)"; finish; }
VERSION=$(sed -n 's/^VERSION *:= *//p' Makefile)
T=kashim-$VERSION.tar.gz
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

commit=$(git rev-parse HEAD)
git clone -q --no-checkout . "$tmp/clone" && (cd "$tmp/clone" && umask 0002 && git checkout -q "$commit")
touch -d '2001-01-01' "$tmp/clone/README.md"
out=$(cd "$tmp/clone" && make -s dist DIST_OUT="$tmp/a" 2>&1) || { fail "make dist in a clone" "$out"; finish; }
check "make dist writes the tarball and its sha256" [ -s "$tmp/a/$T" ] && [ -s "$tmp/a/$T.sha256" ]
check "the sha256 file verifies it" bash -c 'cd "$1" && sha256sum -c --quiet "$2.sha256"' _ "$tmp/a" "$T"
sleep 1
out=$(cd "$tmp/clone" && make -s dist DIST_OUT="$tmp/b" 2>&1)
check "made again (other times): the same bytes" cmp -s "$tmp/a/$T" "$tmp/b/$T"
if git diff --quiet HEAD --; then
	make -s dist DIST_OUT="$tmp/c" >/dev/null 2>&1
	check "made in this tree (another path and checkout): the same bytes" cmp -s "$tmp/a/$T" "$tmp/c/$T"
else
	skip "the same bytes from this tree" "the work tree differs from its last commit"
fi
out=$(cd "$tmp/clone" && SOURCE_DATE_EPOCH=1 make -s dist DIST_OUT="$tmp/d" 2>&1)
check "control: another SOURCE_DATE_EPOCH gives other bytes" bash -c '! cmp -s "$1" "$2"' _ "$tmp/a/$T" "$tmp/d/$T"

expect_eq "it holds exactly the tracked files but debian/, under kashim-$VERSION/ (diff)" "" \
	"$(diff <(git -C "$tmp/clone" ls-files -- . ':!:debian' | sed "s|^|kashim-$VERSION/|" | LC_ALL=C sort) \
		<(tar -tzf "$tmp/a/$T" | LC_ALL=C sort) | head -5)"
expect_eq "owned by 0:0, with no group or other write" "" \
	"$(tar -tvzf "$tmp/a/$T" | awk '$2 != "0/0" || substr($1, 6, 1) == "w" || substr($1, 9, 1) == "w"' | head -3)"
finish
