#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bad-input.t - kashim-bpf refuses bad input with exit 2 and one line naming
# it (unknown cgroup, bad numbers, bad options), and what the system refuses
# (not root) with exit 1 and the reason; nothing is attached either way.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

kb_init bpf-bad-input
kb_mkcg CG bad || { fail bpf-bad-input-setup "cannot create a cgroup"; finish; }

# refused NAME STATUS PATTERN ARGS...: exit STATUS, nothing on stdout,
# exactly one line on stderr, matching PATTERN.
refused() {
	local name=$1 want=$2 pattern=$3 rc
	shift 3
	"$@" >"$KB_TMP/out" 2>"$KB_TMP/err"
	rc=$?
	expect_eq "$name: exit $want" "$want" "$rc"
	expect_eq "$name: one line on stderr, nothing on stdout" "1:0" \
		"$(wc -l <"$KB_TMP/err"):$(wc -c <"$KB_TMP/out")"
	check "$name: the line names it ($pattern)" grep -q -- "$pattern" "$KB_TMP/err"
}
kb=$KASHIM_BPF
refused "unknown cgroup path" 2 "unknown cgroup '$KB_MOUNT/kbtest-$$-nosuch'" \
	"$kb" attach -i 5 "$KB_MOUNT/kbtest-$$-nosuch"
refused "unknown unit" 2 "no cgroup for unit kbtest-$$-nosuch.service" "$kb" attach "kbtest-$$-nosuch.service"
refused "not a cgroup v2 directory" 2 "/tmp is not a cgroup v2 directory" "$kb" attach /tmp
refused "idle 0" 2 "-i/--idle must be a whole number of seconds from 1 to 32767, not '0'" "$kb" attach -i 0 "$CG"
refused "idle not a number" 2 "-i/--idle must be .* not '1O'" "$kb" attach -i 1O "$CG"
refused "count 128" 2 "-k/--count must be a whole number of probes from 1 to 127, not '128'" "$kb" attach -k 128 "$CG"
refused "interval negative" 2 "-n/--interval must be .* not '-3'" "$kb" attach -n -3 "$CG"
refused "user timeout too large" 2 "-u/--user-timeout must be .* or auto, not '2147483648'" \
	"$kb" attach -u 2147483648 "$CG"
refused "missing value" 2 "option -i needs a value" "$kb" attach "$CG" -i
refused "unknown option" 2 "unknown option '--idel'" "$kb" attach --idel 5 "$CG"
refused "unknown command" 2 "unknown command 'atach'" "$kb" atach "$CG"
refused "two cgroups" 2 "takes one CGROUP" "$kb" attach "$CG" "$CG"
refused "missing config file" 2 "-c $KB_TMP/nosuch.conf: no such file" "$kb" attach -c "$KB_TMP/nosuch.conf" "$CG"
refused "detach without an attachment" 2 "$CG has no kashim-bpf attachment" "$kb" detach "$CG"
as_nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
refused "attach, not root" 1 "attach needs root" "${as_nobody[@]}" "$kb" attach -i 5 "$CG"
refused "status, not root" 1 "status needs root" "${as_nobody[@]}" "$kb" status
refused "detach, not root" 1 "detach needs root" "${as_nobody[@]}" "$kb" detach "$CG"
# Bad input is reported before privileges: the same bad number as nobody.
refused "bad number, not root" 2 "-i/--idle must be" "${as_nobody[@]}" "$kb" attach -i 0 "$CG"

check "nothing was attached by any of these" eval '! "$kb" status | grep -q "^$CG "'
# Control: the same command with good input does attach.
"$kb" attach -i 5 "$CG" >/dev/null
expect_eq "control: good input attaches (exit 0)" 0 "$?"
check "control: status lists it" eval '"$kb" status | grep -q "^$CG "'
finish
