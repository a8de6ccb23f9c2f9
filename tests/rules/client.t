# SPDX-License-Identifier: MIT
# client.t - destination rules: a client connecting to 127.0.0.1, 127.0.0.2
# and [::1] on different ports gets each matching rule's values; a rule
# with keepalive = false leaves its connection as the program made it; an
# IPv6 socket connecting to an IPv4-mapped address is matched by the IPv4
# rule; UDP connect() is untouched. Control: the same program without the
# shim. Then the environment beats every rule.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"
r_setup || finish

cat >"$R_CONF" <<CONF
idle = 100
interval = 9
destination "127.0.0.1:$BASE" { idle = 11 }
destination "127.0.0.2" {
	idle = 22
	count = 2
}
destination "[::1]:$((BASE + 2))" { idle = 33 user_timeout = 4000 }
program "no-such-program" { destination "*" { idle = 99 } }
destination "*:$((BASE + 3))" { keepalive = false }
destination "127.0.0.1:$((BASE + 5)),1" { idle = 55 }
CONF

r_shim "$R_TMP/shim" -- client
r_plain "$R_TMP/plain" client
r_expect rule-127.0.0.1 "$R_TMP/shim" c-127.0.0.1 1/11/9/5/0
r_expect rule-127.0.0.2 "$R_TMP/shim" c-127.0.0.2 1/22/9/2/0
r_expect rule-ipv6-loopback "$R_TMP/shim" c-::1 1/33/9/5/4000
r_expect rule-keepalive-false-untouched "$R_TMP/shim" c-off "$R_UNTOUCHED"
r_expect rule-keepalive-false-keeps-program-values "$R_TMP/shim" c-off-own "1/777/${R_UNTOUCHED#*/*/}"
r_expect no-rule-gets-program-settings "$R_TMP/shim" c-norule 1/100/9/5/0
r_expect ipv4-mapped-matches-ipv4-rule "$R_TMP/shim" c-mapped 1/55/9/5/0
r_expect udp-connect-untouched "$R_TMP/shim" c-udp 0
for k in c-127.0.0.1 c-127.0.0.2 c-::1 c-off c-norule c-mapped; do
	r_expect control-$k "$R_TMP/plain" $k "$R_UNTOUCHED"
done
r_expect control-c-off-own "$R_TMP/plain" c-off-own "1/777/${R_UNTOUCHED#*/*/}"
# The same under KASHIM_DEBUG, whose decisions take the slow paths and are logged.
r_shim "$R_TMP/debug" KASHIM_DEBUG=1 -- client
if cmp -s "$R_TMP/shim" "$R_TMP/debug"; then pass debug-run-agrees; else fail debug-run-agrees "$(diff "$R_TMP/shim" "$R_TMP/debug")"; fi
check rule-decisions-logged grep -q "rule destination \"127.0.0.2\" at line 4" "$R_LOG"

# The environment beats the file, rules included: KASHIM_IDLE replaces every
# rule's idle but not the rule's count; KASHIM_KEEPALIVE=on turns keepalive
# on where a rule said false.
: >"$R_LOG"
r_shim "$R_TMP/env" KASHIM_IDLE=5 -- client
r_expect env-beats-rule-idle "$R_TMP/env" c-127.0.0.1 1/5/9/5/0
r_expect env-keeps-rule-count "$R_TMP/env" c-127.0.0.2 1/5/9/2/0
r_expect env-keeps-rule-user-timeout "$R_TMP/env" c-::1 1/5/9/5/4000
r_expect env-leaves-keepalive-false "$R_TMP/env" c-off "$R_UNTOUCHED"
r_shim "$R_TMP/env2" KASHIM_KEEPALIVE=on -- client
r_expect env-keepalive-beats-rule-false "$R_TMP/env2" c-off 1/100/9/5/0
r_expect env-keepalive-other-rules-stay "$R_TMP/env2" c-127.0.0.2 1/22/9/2/0
finish
