# SPDX-License-Identifier: MIT
# colonport.t - ":PORT" in a rule's SPEC (listen ":22", destination ":5432",
# port lists and ranges after the colon) means "*:PORT": any address, IPv4
# and IPv6. A client and a server on real loopback sockets get the rules'
# values; ka-run --check accepts the file and names the rule. Control: the
# same programs without the shim.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"
r_setup || finish

cat >"$R_CONF" <<CONF
idle = 100
interval = 9
destination ":$BASE" { idle = 11 }
destination ":$((BASE + 1)),$((BASE + 2))" { idle = 22 }
listen ":$((BASE + 10))" { idle = 70 }
listen ":$((BASE + 11))-$((BASE + 11)), $((BASE + 13))" {
	idle = 71
	count = 3
}
CONF

"$KA_RUN" -c "$R_CONF" --check true >"$R_TMP/check" 2>"$R_TMP/check.err"
expect_eq ka-run-check-accepts-colon-port 0 "$?"
"$KA_RUN" -c "$R_CONF" --check --to "127.0.0.1:$BASE" true >"$R_TMP/check-to" 2>&1
check ka-run-check-names-colon-port-rule grep -q "^to: .*: rule destination \":$BASE\" at line 3\$" "$R_TMP/check-to"

r_shim "$R_TMP/shim" -- client
r_plain "$R_TMP/plain" client
r_expect destination-colon-port-ipv4 "$R_TMP/shim" c-127.0.0.1 1/11/9/5/0
r_expect destination-colon-port-list-ipv4 "$R_TMP/shim" c-127.0.0.2 1/22/9/5/0
r_expect destination-colon-port-list-ipv6 "$R_TMP/shim" c-::1 1/22/9/5/0
r_expect destination-other-port-gets-program-settings "$R_TMP/shim" c-norule 1/100/9/5/0
for k in c-127.0.0.1 c-127.0.0.2 c-::1 c-norule; do
	r_expect control-$k "$R_TMP/plain" $k "$R_UNTOUCHED"
done

r_shim "$R_TMP/server" -- server
r_plain "$R_TMP/server-plain" server
r_expect listen-colon-port "$R_TMP/server" accepted-10 1/70/9/5/0
r_expect listen-colon-port-range "$R_TMP/server" accepted-11 1/71/9/3/0
r_expect listen-colon-port-ipv6-wildcard "$R_TMP/server" accepted-13 1/71/9/3/0
r_expect listener-without-rule-gets-program-settings "$R_TMP/server" accepted-12 1/100/9/5/0
for k in accepted-10 accepted-11 accepted-12 accepted-13; do
	r_expect control-$k "$R_TMP/server-plain" $k "$R_UNTOUCHED"
done
finish
