#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fields-doc.t - every setting of config/fields.h is documented where users
# look: keepalive.conf(5) (its key, its variable, libkeepalive's), ka-run(1)
# and kashim-bpf(8) (its option), ka-status(1) (its column), and ka-run
# --help (its option and variable). The rows are read from the table with
# the C preprocessor; the pages are written by hand.
source "$(dirname "$0")/../lib/common.sh"
cd "$KASHIM_ROOT" || exit 1

command -v cpp >/dev/null || { skip fields-doc "cpp is not installed"; finish; }
rows=$(printf '%s\n' '#include "config/fields.h"' \
	'#define ROW(ID, NAME, KIND, MIN, MAX, DFLT, LEVEL, OPTION, BIT, ENV, LIBKA, SHORT, LONG, ARG, UNIT, COLUMN, ...) @ NAME ENV LIBKA SHORT LONG COLUMN' \
	'KASHIM_FIELDS(ROW)' | cpp -P -I. - | tr '@' '\n' | tr -d "\"'" | awk 'NF == 6')
n=$(wc -l <<<"$rows")
[ "$n" -ge 6 ] || { fail "config/fields.h read" "got $n rows: $rows"; finish; }
pass "config/fields.h read ($n settings)"

help=$("$KA_RUN" --help 2>&1)
# man_has PAGE TEXT: the page has TEXT with its dashes written \- (roff).
man_has() { grep -qF -- "$(sed 's/-/\\-/g' <<<"$2")" "$1"; }
# key_documented NAME: keepalive.conf(5) has a ".B[IR] NAME ..." entry.
key_documented() { grep -Eq "^\.(B|BI|BR) $1( |$)" man/keepalive.conf.5; }

while read -r name env libka short long column; do
	missing=
	key_documented "$name" || missing+=" keepalive.conf.5:key"
	grep -qF "$env" man/keepalive.conf.5 || missing+=" keepalive.conf.5:$env"
	[ "$libka" = NULL ] || grep -qF "$libka" man/keepalive.conf.5 || missing+=" keepalive.conf.5:$libka"
	man_has man/ka-run.1 "--$long" || missing+=" ka-run.1:--$long"
	[ "$short" = 0 ] || man_has man/ka-run.1 ".BR -$short " || missing+=" ka-run.1:-$short"
	grep -qF "$env" man/ka-run.1 || missing+=" ka-run.1:$env"
	[ ! -f man/kashim-bpf.8 ] || man_has man/kashim-bpf.8 "--$long" || missing+=" kashim-bpf.8:--$long"
	[ "$column" = NULL ] || grep -qF "$column" man/ka-status.1 || missing+=" ka-status.1:$column"
	grep -qF -- "--$long" <<<"$help" || missing+=" ka-run--help:--$long"
	grep -qF -- "$env" <<<"$help" || missing+=" ka-run--help:$env"
	expect_eq "$name is documented everywhere" "" "$missing"
done <<<"$rows"

# Controls: the same checks notice a setting the pages do not have.
if key_documented no_such_setting || man_has man/ka-run.1 "--no-such-setting" ||
	grep -qF KASHIM_NO_SUCH_SETTING man/keepalive.conf.5; then
	fail "control: an undocumented setting is noticed" "it was found"
else
	pass "control: an undocumented setting is noticed"
fi
finish
