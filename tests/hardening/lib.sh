# SPDX-License-Identifier: MIT
# lib.sh - sourced by tests/hardening/*.t after tests/lib/common.sh.
# HX: the helper programs built by mk/hardening.mk. HX_TMP: a private
# directory removed at exit (add more cleanup with hx_on_exit).
HX=$KASHIM_ROOT/build/tests/hardening
HX_SRC=$KASHIM_ROOT/tests/hardening
HX_TMP=$(mktemp -d /tmp/kashim-hx.XXXXXX)
HX_CLEANUP=()
# hx_on_exit COMMAND: run COMMAND (a string) at exit, before HX_TMP goes.
hx_on_exit() { HX_CLEANUP+=("$1"); }
hx_cleanup() {
	local c
	for c in "${HX_CLEANUP[@]}"; do eval "$c" >/dev/null 2>&1; done
	rm -rf "$HX_TMP"
}
trap hx_cleanup EXIT

# The shim, or an ASan build of it when tests/hardening/sanitized-run asks:
# KASHIM_LIB_UNDER_TEST replaces it, and KASHIM_PRELOAD_FIRST (libasan) goes
# before it in LD_PRELOAD.
HX_LIB=${KASHIM_LIB_UNDER_TEST:-$KASHIM_LIB}
HX_PRELOAD=${KASHIM_PRELOAD_FIRST:+$KASHIM_PRELOAD_FIRST }$HX_LIB

# hx_clean_env: unset the variables kashim reads, so that the caller's
# environment cannot change a test's outcome (the test's own paths stay).
hx_clean_env() {
	local v
	for v in ${!KASHIM_@} KEEPALIVE KEEPIDLE KEEPINTVL KEEPCNT; do
		case $v in KASHIM_ROOT | KASHIM_LIB | KASHIM_LIB_UNDER_TEST | KASHIM_PRELOAD_FIRST) ;; *) unset "$v" ;; esac
	done
}
hx_clean_env

# hx_need FILE...: true when every helper exists; else SKIP-worthy.
hx_need() { local f; for f in "$@"; do [ -e "$f" ] || return 1; done; }

# hx_wait_for FILE PATTERN [SECONDS]: wait until FILE has a line matching.
hx_wait_for() {
	local i
	for ((i = 0; i < ${3:-10} * 20; i++)); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
