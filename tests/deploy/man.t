# SPDX-License-Identifier: MIT
# man.t - the man pages lint clean (mandoc -T lint, groff warnings), render
# with man -l, and document every option the commands' --help lists.
source "$(dirname "$0")/../lib/common.sh"
cd "$KASHIM_ROOT" || exit 1
t_tmpdir tmp

pages=(man/ka-run.1 man/ka-status.1 man/keepalive.conf.5 man/libkashim.7 man/kashim-preload.8 man/kashim-compile.8)
if ! command -v mandoc >/dev/null || ! command -v man >/dev/null; then
	skip "man pages lint clean" "mandoc or man not installed (scripts/install-deps test)"
	finish
fi

for page in "${pages[@]}"; do
	if [ ! -f "$page" ]; then
		fail "$page exists" "missing"
		continue
	fi
	out=$(mandoc -T lint "$page" 2>&1) && rc=0 || rc=$?
	expect_eq "$page: mandoc -T lint reports nothing" "0:" "$rc:$out"
	expect_eq "$page: groff -ww reports nothing" "" "$(groff -man -ww -z "$page" 2>&1)"
	err=$(MANWIDTH=80 man -l "$page" 2>&1 >"$tmp/rendered")
	expect_eq "$page: man -l renders without a message" "" "$err"
	check "$page: rendered page has a NAME section" grep -q '^NAME' "$tmp/rendered"
done

# Control: the same lint does catch a broken page.
printf '.TH broken 1\n.SH\n.XX unknown macro\n.BR\n' >"$tmp/broken.1"
out=$(mandoc -T lint "$tmp/broken.1" 2>&1)
check "control: mandoc -T lint reports a broken page" test -n "$out"

# options_in_help CMD: every long option its --help lists.
options_in_help() { "$@" --help 2>&1 | grep -oE '(^|[ ,])--[a-z][a-z-]*' | sed 's/^[ ,]//' | sort -u; }
# documented PAGE OPTION: the page names the option (dashes as \-).
documented() { grep -qF -- "$(sed 's/-/\\-/g' <<<"$2")" "$1"; }
for spec in "man/ka-run.1 $KA_RUN" "man/ka-status.1 $KA_STATUS" \
	"man/kashim-preload.8 $KASHIM_ROOT/scripts/kashim-preload" \
	"man/kashim-compile.8 $KASHIM_ROOT/build/kashim-compile"; do
	read -r page cmd <<<"$spec"
	if [ ! -x "$cmd" ]; then
		skip "$page documents $cmd's options" "$cmd not built"
		continue
	fi
	missing=
	opts=$(options_in_help "$cmd")
	for o in $opts; do documented "$page" "$o" || missing="$missing $o"; done
	if [ -z "$opts" ]; then
		fail "$page documents every option of ${cmd##*/} --help" "no options found in --help"
	else
		expect_eq "$page documents every option of ${cmd##*/} --help ($(wc -w <<<"$opts"))" "" "$missing"
	fi
done
# Control: the option check does notice an undocumented option.
if documented man/ka-run.1 --no-such-option; then
	fail "control: an undocumented option is noticed" "it was found"
else
	pass "control: an undocumented option is noticed"
fi
finish
