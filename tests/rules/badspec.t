# SPDX-License-Identifier: MIT
# badspec.t - a bad SPEC refuses the whole file with file:line, in the shim
# (which then falls back to the defaults and the environment, as for any
# bad file) and in ka-run --check; the same file with the SPEC fixed is the
# control. Then ka-run --check --to/--listen report the rule that applies.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"
r_ready || finish
BASE=$(r_base)
[ -n "$BASE" ] || { fail rules-ports "no 40 free ports"; finish; }

# SPEC|what the message must say
while IFS='|' read -r spec why; do
	[ -n "$spec" ] || continue
	printf 'idle = 100\n\ndestination "127.0.0.1:%s" { idle = 11 }\n%s "%s" {\n\tidle = 12\n}\n' \
		"$BASE" destination "$spec" >"$R_CONF"
	: >"$R_LOG"
	r_shim "$R_TMP/out" -- client
	name="bad-spec-${spec//[^A-Za-z0-9]/_}"
	# Defaults (idle 60, interval 10), not the file's idle 100 nor the rule's 11.
	r_expect "$name-file-ignored-by-shim" "$R_TMP/out" c-127.0.0.1 1/60/10/5/0
	check "$name-logged-with-line" grep -qF "$R_CONF:4: destination \"$spec\": $why; file ignored" "$R_LOG"
	"$KA_RUN" -c "$R_CONF" --check >"$R_TMP/check" 2>"$R_TMP/check.err"
	rc=$?
	check "$name-check-exit-1" [ "$rc" = 1 ]
	check "$name-check-names-line" grep -qF "$R_CONF:4: destination \"$spec\"" "$R_TMP/check.err"
done <<'TABLE'
10.0.0.0/33|prefix /33 is above 32
[2001:db8::/129]:443|prefix /129 is above 128
*:65536|port 65536 is outside 1..65535
*:9000-8000|port range 9000-8000 is reversed
2001:db8::1:443|an IPv6 address goes in brackets: [2001:db8::/32] or [::1]:443
not-an-address|not *, an IPv4 network or a bracketed IPv6 network
TABLE

# Control: the same file with a good SPEC is applied.
printf 'idle = 100\n\ndestination "127.0.0.1:%s" { idle = 11 }\ndestination "[2001:db8::/32]:443" {\n\tidle = 12\n}\n' \
	"$BASE" >"$R_CONF"
: >"$R_LOG"
r_shim "$R_TMP/out" -- client
r_expect good-spec-control-applied "$R_TMP/out" c-127.0.0.1 1/11/10/5/0
r_expect good-spec-control-no-rule "$R_TMP/out" c-norule 1/100/10/5/0
check good-spec-control-nothing-logged-as-ignored eval '! grep -q "file ignored" "$R_LOG"'
"$KA_RUN" -c "$R_CONF" --check >"$R_TMP/check" 2>"$R_TMP/check.err"
expect_eq good-spec-control-check-exit-0 0 $?

# --check --to / --listen: the rule, and each value's source.
cat >"$R_CONF" <<'CONF'
idle = 100
program "python3*" {
	interval = 4
	listen "*:8443" { keepalive = false }
}
destination "10.20.0.0/16:5432,6432" {
	idle = 60
	user_timeout = 90000
}
CONF
"$KA_RUN" -c "$R_CONF" --check --to 10.20.1.5:6432 "$PYTHON" >"$R_TMP/to" 2>&1
expect_eq check-to-exit-0 0 $?
check check-to-names-rule grep -qF 'to:      10.20.1.5:6432: rule destination "10.20.0.0/16:5432,6432" at line 6' "$R_TMP/to"
check check-to-idle-from-rule grep -qE "^idle +60 +rule destination .* at line 6 in $R_CONF" "$R_TMP/to"
check check-to-interval-from-section grep -qE '^interval +4 +program section "python3\*"' "$R_TMP/to"
check check-to-user-timeout-from-rule grep -qE '^user_timeout +90000 +rule destination' "$R_TMP/to"
KASHIM_IDLE=7 "$KA_RUN" -c "$R_CONF" -k 3 --check --to 10.99.0.1:5432 "$PYTHON" >"$R_TMP/to2" 2>&1
check check-to-no-rule-matches grep -qF '10.99.0.1:5432: no destination rule matches' "$R_TMP/to2"
check check-to-environment-source grep -qE '^idle +7 +environment KASHIM_IDLE' "$R_TMP/to2"
check check-to-option-source grep -qE '^count +3 +ka-run option --count' "$R_TMP/to2"
"$KA_RUN" -c "$R_CONF" --check --listen 8443 "$PYTHON" >"$R_TMP/listen" 2>&1
check check-listen-names-rule grep -qF 'listen: 0.0.0.0:8443: rule listen "*:8443" at line 4' "$R_TMP/listen"
check check-listen-keepalive-off grep -qE '^keepalive +off +rule listen' "$R_TMP/listen"
"$KA_RUN" -c "$R_CONF" --check --to 2001:db8::1:443 "$PYTHON" >"$R_TMP/bad" 2>&1
rc=$?
check check-to-bad-address-exit-2 [ "$rc" = 2 ]
check check-to-bad-address-named grep -qF -- '--to 2001:db8::1:443: an IPv6 address goes in brackets' "$R_TMP/bad"
"$KA_RUN" -c "$R_CONF" --to 10.0.0.1:1 "$PYTHON" -c 1 >"$R_TMP/bad" 2>&1
rc=$?
check to-without-check-refused [ "$rc" = 2 ]
finish
