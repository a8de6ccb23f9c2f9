# SPDX-License-Identifier: MIT
# lib.sh - sourced by tests/hardening/*.t after tests/lib/common.sh.
# HX: the helper programs built by mk/hardening.mk. HX_TMP: a private
# directory removed at exit (add more cleanup with t_on_exit).
HX=$KASHIM_ROOT/build/tests/hardening
HX_SRC=$KASHIM_ROOT/tests/hardening
t_tmpdir HX_TMP hx

# The shim, or an ASan build of it when tests/hardening/sanitized-run asks:
# KASHIM_LIB_UNDER_TEST replaces it, and KASHIM_PRELOAD_FIRST (libasan) goes
# before it in LD_PRELOAD.
HX_LIB=${KASHIM_LIB_UNDER_TEST:-$KASHIM_LIB}
HX_PRELOAD=${KASHIM_PRELOAD_FIRST:+$KASHIM_PRELOAD_FIRST }$HX_LIB

# The caller's environment cannot change a test's outcome.
t_clean_env

# hx_need FILE...: true when every helper exists; else SKIP-worthy.
hx_need() { local f; for f in "$@"; do [ -e "$f" ] || return 1; done; }
