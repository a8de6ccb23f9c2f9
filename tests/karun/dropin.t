#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ka-run --systemd-dropin UNIT: the drop-in it prints passes
# `systemd-analyze verify` with nothing at all on stderr (it exits 0 on most
# mistakes), and a program started with exactly the environment its
# Environment= lines set gets the settings; each against a control.
. "$(dirname "$0")/../lib/common.sh"

t_tmpdir tmp
export -n KASHIM_LIB
unset LD_PRELOAD KASHIM_CONFIG KASHIM_IDLE KASHIM_INTERVAL KASHIM_COUNT KASHIM_USER_TIMEOUT KASHIM_KEEPALIVE \
	KASHIM_OVERRIDE KASHIM_LOG KASHIM_DEBUG
sockopts='import socket; s = socket.socket(); g = s.getsockopt
print(g(socket.SOL_SOCKET, socket.SO_KEEPALIVE) != 0, g(6, socket.TCP_KEEPIDLE), g(6, socket.TCP_KEEPINTVL),
      g(6, socket.TCP_KEEPCNT), g(6, socket.TCP_USER_TIMEOUT))'

# A config file whose path needs every kind of escaping in a unit file: a
# blank (quoting), '"' and '\' (escaped inside quotes), '%' (a specifier,
# here %a the architecture, unless doubled).
mkdir -p "$tmp/conf \"dir\" \\x"
conf="$tmp/conf \"dir\" \\x/keep%alive.conf"
printf 'count = 4\n' >"$conf"

unit=kashimtest-$$
"$KA_RUN" -c "$conf" -i 25 -n 6 -u auto --systemd-dropin "$unit" >"$tmp/dropin" 2>"$tmp/err"
rc=$?
expect_eq "prints a drop-in: exit 0" 0 "$rc"
check "nothing on stderr" [ ! -s "$tmp/err" ]

# The text: where it goes, the three steps, how to confirm, [Service].
check "says where to put it" grep -q "/etc/systemd/system/$unit.service.d/kashim.conf" "$tmp/dropin"
check "step: daemon-reload" grep -q 'systemctl daemon-reload' "$tmp/dropin"
check "step: restart" grep -q "systemctl restart $unit.service" "$tmp/dropin"
check "confirm with ka-status" grep -qF "ka-status \$(systemctl show -p MainPID --value $unit.service)" "$tmp/dropin"
check "a [Service] section" grep -qx '\[Service\]' "$tmp/dropin"
check "LD_PRELOAD is the absolute library path" grep -qx "Environment=LD_PRELOAD=$KASHIM_LIB" "$tmp/dropin"
check "one Environment= per option" grep -qx 'Environment=KASHIM_IDLE=25' "$tmp/dropin"
expect_eq "nothing else set" 5 "$(grep -c '^Environment=' "$tmp/dropin")"
expect_eq "only comments, [Service] and Environment= lines" "" \
	"$(grep -Ev '^(#|\[Service\]$|Environment=)' "$tmp/dropin")"

# ---- systemd-analyze verify, on a private unit directory ----------------
if command -v systemd-analyze >/dev/null; then
	units=$tmp/units
	mkdir -p "$units/$unit.service.d"
	printf '[Unit]\nDescription=kashim drop-in test\n[Service]\nExecStart=/bin/sleep infinity\n' \
		>"$units/$unit.service"
	cp "$tmp/dropin" "$units/$unit.service.d/kashim.conf"
	verify() { systemd-analyze verify "$units/$unit.service" >"$tmp/vout" 2>"$tmp/verr"; }
	verify
	rc=$?
	check "systemd-analyze verify: exit 0 and nothing on stderr" \
		eval '[ "$rc" = 0 ] && [ ! -s "$tmp/verr" ]'
	[ -s "$tmp/verr" ] && sed 's/^/  verify: /' "$tmp/verr"
	# Controls: verify does read the drop-in directory and does warn about
	# what a careless drop-in has (an unquoted blank, an unknown key).
	printf '[Service]\nEnvironment=KASHIM_CONFIG=%s\n' "$conf" >"$units/$unit.service.d/zz-naive.conf"
	verify
	check "control: an unquoted blank makes verify warn" grep -q 'zz-naive.conf' "$tmp/verr"
	printf '[Service]\nKashimIdle=25\n' >"$units/$unit.service.d/zz-naive.conf"
	verify
	check "control: an unknown key makes verify warn" grep -q "Unknown key" "$tmp/verr"
	rm "$units/$unit.service.d/zz-naive.conf"
	# Every option, and a template unit.
	"$KA_RUN" -c "$conf" -i 1 -n 2 -k 3 -u 4000 --off --override --log /var/log/kashim.log -d \
		--systemd-dropin "$unit" >"$units/$unit.service.d/kashim.conf"
	verify
	check "every option: verify is silent" [ ! -s "$tmp/verr" ]
	mkdir -p "$units/kashimtpl-$$@.service.d"
	printf '[Service]\nExecStart=/bin/sleep %%i\n' >"$units/kashimtpl-$$@.service"
	"$KA_RUN" -i 30 --systemd-dropin "kashimtpl-$$@" >"$units/kashimtpl-$$@.service.d/kashim.conf"
	systemd-analyze verify "$units/kashimtpl-$$@100.service" >/dev/null 2>"$tmp/verr"
	check "template unit: verify of an instance is silent" [ ! -s "$tmp/verr" ]
else
	skip "systemd-analyze verify" "systemd-analyze is not installed (scripts/install-deps test)"
fi

# ---- the environment the drop-in sets, applied to a real program ----------
# Undo the unit-file quoting as systemd does: Environment= values are
# whitespace-separated assignments, double quotes group, backslash escapes
# the next character, and %% is a literal %.
dropin_env() {
	"$PYTHON" - "$1" <<'PY'
import re, sys
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if not line.startswith("Environment="):
        continue
    rest, words, word, quoted, i = line[len("Environment="):], [], "", False, 0
    while i < len(rest):
        c = rest[i]
        if c == "\\" and i + 1 < len(rest):
            word += rest[i + 1]; i += 2; continue
        if c == '"':
            quoted = not quoted
        elif c.isspace() and not quoted:
            if word: words.append(word)
            word = ""
        else:
            word += c
        i += 1
    if word: words.append(word)
    # %% is a literal %; any other %X is a specifier systemd would expand:
    # show it as such, so an unescaped % cannot pass for a literal one.
    for w in words:
        print(re.sub(r"%(.)", lambda m: "%" if m.group(1) == "%" else "<specifier %" + m.group(1) + ">", w))
PY
}
mapfile -t vars < <(dropin_env "$tmp/dropin")
expect_eq "the drop-in's LD_PRELOAD, unquoted" "LD_PRELOAD=$KASHIM_LIB" "${vars[0]:-}"
expect_eq "the config path survives quoting and %" "KASHIM_CONFIG=$conf" "${vars[1]:-}"
base_env=(PATH=/usr/bin:/bin)
control=$(env -i "${base_env[@]}" "$PYTHON" -c "$sockopts")
check "control: without the drop-in's environment, keepalive is off" [ "${control%% *}" = False ]
# count 4 comes from the config file, so the path must have arrived intact;
# auto = (25 + 6 * 4) * 1000.
expect_eq "with exactly the drop-in's environment, the settings apply" "True 25 6 4 49000" \
	"$(env -i "${base_env[@]}" "${vars[@]}" "$PYTHON" -c "$sockopts")"

# ---- UNIT names --------------------------------------------------------
"$KA_RUN" --systemd-dropin redis-server >"$tmp/out"
check "no suffix: .service appended" grep -q 'systemctl restart redis-server.service$' "$tmp/out"
"$KA_RUN" --systemd-dropin 'getty@tty1.service' >"$tmp/out"
check "an instance name is kept" grep -q 'systemctl restart getty@tty1.service$' "$tmp/out"
for bad in "" "a b" "../etc/passwd" "foo.socket" "x;rm" ".service" "@foo" "a@b@c" "$(printf 'x%.0s' {1..300})"; do
	"$KA_RUN" --systemd-dropin "$bad" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	check "bad unit '${bad:0:20}': exit 2, nothing printed" \
		eval '[ "$rc" = 2 ] && [ ! -s "$tmp/out" ] && grep -q -- "--systemd-dropin" "$tmp/err"'
done
"$KA_RUN" --systemd-dropin foo true >"$tmp/out" 2>"$tmp/err"
rc=$?
check "a COMMAND is refused" eval '[ "$rc" = 2 ] && [ ! -s "$tmp/out" ]'
"$KA_RUN" --systemd-dropin >"$tmp/out" 2>"$tmp/err"
rc=$?
check "a missing UNIT is refused" eval '[ "$rc" = 2 ] && grep -q "needs a value" "$tmp/err"'
"$KA_RUN" -k 0 --systemd-dropin foo >"$tmp/out" 2>"$tmp/err"
rc=$?
check "bad options are refused as in run mode" eval '[ "$rc" = 2 ] && [ ! -s "$tmp/out" ]'

finish
