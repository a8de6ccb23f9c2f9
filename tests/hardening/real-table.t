#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every libc function a hook calls on to (a real_* pointer in shim/*.h)
# is found at load: it has its REAL() line in shim/real.c's table. A pointer
# without one stays NULL after load, and its hook fails with ENOSYS (as
# chroot() did when its hook arrived after the table). Control: the
# declarations are found at all.
source "$(dirname "$0")/../lib/common.sh"

declared=$(cat "$KASHIM_ROOT"/shim/*.h | grep -o 'extern [^;]*(\*real_[a-z0-9_]*)' | sed 's/.*(\*real_//; s/)$//' | sort)
listed=$(grep -o 'REAL([a-z0-9_]*)' "$KASHIM_ROOT/shim/real.c" | sed 's/REAL(//; s/)//' | sort)
check "real-table control: shim/*.h declare the hooks' libc pointers" test "$(wc -w <<<"$declared")" -ge 16
expect_eq "every real_* pointer is in shim/real.c's table, found at load" "" \
	"$(comm -23 <(echo "$declared") <(echo "$listed") | tr '\n' ' ')"
finish
