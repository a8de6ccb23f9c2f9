# SPDX-License-Identifier: MIT
# common.sh - sourced by every shell test (tests/*/*.t). Each test prints one
# line per check: "PASS name", "FAIL name: why" or "SKIP name: reason";
# tests/run counts them. A SKIP is never a PASS.
set -u
KASHIM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KASHIM_LIB=$KASHIM_ROOT/build/libkashim.so
KA_RUN=$KASHIM_ROOT/scripts/ka-run
KA_STATUS=$KASHIM_ROOT/build/ka-status
# Debian's interpreter, not a version manager's shim in front of it.
PYTHON=/usr/bin/python3
T_FAILURES=0

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: ${2:-}"; T_FAILURES=$((T_FAILURES + 1)); }
skip() { echo "SKIP $1: $2"; }
# check NAME CONDITION-COMMAND...: PASS when the command succeeds.
check() { local n=$1; shift; if "$@"; then pass "$n"; else fail "$n" "failed: $*"; fi; }
# expect_eq NAME EXPECTED ACTUAL
expect_eq() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected '$2', got '$3'"; fi; }
need_root() { [ "$(id -u)" = 0 ]; }
# Exit status of a test file: non-zero when any check failed.
finish() { exit $((T_FAILURES > 0)); }
