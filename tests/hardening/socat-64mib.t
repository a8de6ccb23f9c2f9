#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Nothing lost: 64 MiB of random data through socat on
# loopback, sender and receiver both under the shim, arrives byte-identical
# (sha256); the same transfer without the shim is the control. The shim's
# debug log shows both socats' TCP sockets were in fact configured.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

if ! command -v socat >/dev/null; then
	skip socat-64mib "socat is not installed (scripts/install-deps test installs it)"
	finish
fi
head -c $((64 * 1024 * 1024)) /dev/urandom >"$HX_TMP/in"
want=$(sha256sum <"$HX_TMP/in" | cut -d' ' -f1)

# transfer LABEL PRELOAD: send $HX_TMP/in through socat, receiver first.
transfer() {
	local label=$1 pre=$2 port rx
	rm -f "$HX_TMP/out" "$HX_TMP/rx.err"
	env ${pre:+LD_PRELOAD="$pre"} KASHIM_DEBUG=1 KASHIM_LOG=$HX_TMP/$label.log \
		socat -u TCP-LISTEN:0,bind=127.0.0.1 OPEN:"$HX_TMP/out",creat,trunc 2>"$HX_TMP/rx.err" &
	rx=$!
	t_on_exit "kill $rx"
	port=
	for ((i = 0; i < 200; i++)); do
		port=$(ss -Hltnp 2>/dev/null | awk -v pid="pid=$rx," 'index($0, pid) { n = split($4, a, ":"); print a[n] }')
		[ -n "$port" ] && break
		sleep 0.05
	done
	if [ -z "$port" ]; then
		fail "socat-64mib $label" "the receiving socat never listened: $(cat "$HX_TMP/rx.err")"
		return
	fi
	env ${pre:+LD_PRELOAD="$pre"} KASHIM_DEBUG=1 KASHIM_LOG=$HX_TMP/$label.log \
		socat -u OPEN:"$HX_TMP/in" TCP:127.0.0.1:$port 2>"$HX_TMP/tx.err"
	local tx_rc=$?
	wait $rx
	local rx_rc=$?
	expect_eq "socat-64mib $label: both socats exit 0, stderr empty" "0 0 ''" \
		"$tx_rc $rx_rc '$(cat "$HX_TMP/tx.err" "$HX_TMP/rx.err")'"
	expect_eq "socat-64mib $label: 64 MiB arrive byte-identical (sha256)" "$want" \
		"$(sha256sum <"$HX_TMP/out" | cut -d' ' -f1)"
}

transfer control ""
transfer shim "$HX_PRELOAD"
# Both ends were configured: the listener (its accepted socket inherits) and
# the sender's socket, each in a process of its own.
n=$(grep -E ' \(socket[^)]*\): keepalive' "$HX_TMP/shim.log" | awk '{print $1}' | sort -u | wc -l)
expect_eq "socat-64mib: the shim configured the TCP sockets of both socat processes" 2 "$n"
expect_eq "socat-64mib control: no shim, no log" 0 "$(cat "$HX_TMP/control.log" 2>/dev/null | wc -l)"
finish
