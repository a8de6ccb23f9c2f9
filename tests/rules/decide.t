#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# decide.t - one decision, with rules as without: every TCP socket gets the
# program's settings at socket() (TCP Fast Open connects without connect()),
# connect() and listen() refine them; override keeps kashim's values against
# a server's own calls on accepted sockets whichever way it is given; a
# refused connect retried elsewhere and one dissolved with AF_UNSPEC are
# matched again; a 24-byte sockaddr_in6 is matched and an unreadable address
# gets EFAULT; state dies with its socket (close_range, closefrom); a vfork()
# child leaves its parent's records alone; an inherited socket keeps its
# owner's choice. Control: the same programs without the shim.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"
r_setup || finish

rules() {
	cat <<CONF
idle = 100
$1
destination "127.0.0.1:$((BASE + 30))" { idle = 30 interval = 3 }
listen "127.0.0.1:$((BASE + 30))" { idle = 31 }
destination "127.0.0.1:$((BASE + 33))" { idle = 33 override = true }
destination "127.0.0.1:$((BASE + 34))" { idle = 34 }
listen "127.0.0.1:$((BASE + 35))" { idle = 35 override = true }
destination "127.0.0.1:$((BASE + 37))" { idle = 37 }
destination "127.0.0.1:$((BASE + 38))" { idle = 38 }
destination "[::1]:$((BASE + 39))" { idle = 39 }
CONF
}
rules "" >"$R_CONF"
KERNEL=$(cut -d/ -f2- <<<"$R_UNTOUCHED")

# run NAME SCENARIO [VAR=VALUE...]: under the shim into $R_TMP/NAME, and the
# control into $R_TMP/NAME-plain.
run() {
	local name=$1 scenario=$2
	shift 2
	r_shim "$R_TMP/$name" "$@" -- "$scenario"
	r_plain "$R_TMP/$name-plain" "$scenario"
}

# TCP Fast Open: sendto(MSG_FASTOPEN) connects without connect(). The
# destination rule cannot apply; the program's settings do.
run tfo fastopen
r_expect fastopen-connected "$R_TMP/tfo" tfo-peer 34
r_expect fastopen-socket-has-program-settings "$R_TMP/tfo" tfo 1/100/10/5/0
r_expect control-fastopen "$R_TMP/tfo-plain" tfo "$R_UNTOUCHED"

# A server's own TCP_KEEPIDLE (300) on accepted sockets, as redis and
# PostgreSQL set it: override wins, given by the rule, the file or the
# environment, in a file with rules as in one without.
r_expect_server() { # NAME FILE RULE NORULE
	r_expect "$1-rule-listener" "$2" srv-rule "$3"
	r_expect "$1-other-listener" "$2" srv-norule "$4"
}
run srv own-accepted
r_expect_server listen-rule-override "$R_TMP/srv" 1/35/10/5/0 1/300/10/5/0
r_expect_server control-server "$R_TMP/srv-plain" "1/300/$(cut -d/ -f2- <<<"$KERNEL")" "1/300/$(cut -d/ -f2- <<<"$KERNEL")"
rules "override = true" >"$R_CONF"
r_shim "$R_TMP/srv-file" -- own-accepted
r_expect_server file-override-with-rules "$R_TMP/srv-file" 1/35/10/5/0 1/100/10/5/0
rules "" >"$R_CONF"
r_shim "$R_TMP/srv-env" KASHIM_OVERRIDE=on -- own-accepted
r_expect_server env-override-with-rules "$R_TMP/srv-env" 1/35/10/5/0 1/100/10/5/0
echo "idle = 17
override = true" >"$R_CONF"
r_shim "$R_TMP/srv-norules" -- own-accepted
r_expect_server file-override-without-rules "$R_TMP/srv-norules" 1/17/10/5/0 1/17/10/5/0
rules "" >"$R_CONF"

# Refused (non-blocking), then the same socket connected elsewhere; and one
# dissolved with connect(AF_UNSPEC), then connected elsewhere.
run again refused-elsewhere
r_expect refused-first "$R_TMP/again" retry-first-errno 111
r_expect control-refused-first "$R_TMP/again-plain" retry-first-errno 111
r_expect retried-connects "$R_TMP/again" retry-errno 0
r_expect retried-elsewhere-matched-again "$R_TMP/again" retry 1/38/10/5/0
r_expect control-retried "$R_TMP/again-plain" retry "$R_UNTOUCHED"
r_expect af-unspec-dissolves "$R_TMP/again" unspec-ret 0
r_expect af-unspec-then-elsewhere-matched-again "$R_TMP/again" unspec 1/38/10/5/0
r_expect control-af-unspec "$R_TMP/again-plain" unspec "$R_UNTOUCHED"

# A 24-byte sockaddr_in6 is a destination; an unreadable one is EFAULT.
run edges sockaddr-edges
r_expect in6-24-connects "$R_TMP/edges" in6-24-ret 0
r_expect control-in6-24-connects "$R_TMP/edges-plain" in6-24-ret 0
r_expect in6-24-matched "$R_TMP/edges" in6-24 1/39/10/5/0
r_expect unreadable-address-efault "$R_TMP/edges" efault -1/14
r_expect control-unreadable-address-efault "$R_TMP/edges-plain" efault -1/14

# An fd number closed by close_range() or closefrom() and reused.
run reused reused
r_expect number-reused-by-accept "$R_TMP/reused" reused-same-number 1
r_expect accepted-on-reused-number-keeps-program-choice "$R_TMP/reused" reused-accepted 1/555/10/5/0
r_expect control-reused-accepted "$R_TMP/reused-plain" reused-accepted "0/555/$(cut -d/ -f2- <<<"$KERNEL")"
r_expect number-reused-by-unix-socket "$R_TMP/reused" unix-same-number 1
r_expect unix-listener-untouched "$R_TMP/reused" unix-listener 0
r_expect control-unix-listener "$R_TMP/reused-plain" unix-listener 0
if [ -s "$R_LOG" ]; then fail nothing-logged "$(cat "$R_LOG")"; else pass nothing-logged; fi

# A listener has its rule's options before listen(): no connection completes
# in between without them.
if command -v strace >/dev/null; then
	env -i PATH=/usr/bin:/bin LD_PRELOAD="$KASHIM_LIB" KASHIM_CONFIG="$R_CONF" KASHIM_LOG="$R_LOG" \
		strace -f -qq -e trace=setsockopt,listen -o "$R_TMP/strace" "$PYTHON" "$PROBE" early-listener "$BASE" \
		>"$R_TMP/early" 2>"$R_TMP/early.err"
	r_expect listener-configured "$R_TMP/early" early 1/31/10/5/0
	order=$(grep -oE 'TCP_KEEPIDLE, \[31\]|listen\(' "$R_TMP/strace" | tr '\n' ' ')
	expect_eq listener-options-set-before-listen "TCP_KEEPIDLE, [31] listen( " "$order"
else
	skip listener-options-set-before-listen "strace is not installed"
fi

# A vfork() child (Python's subprocess) with close_range: the parent's own
# SO_KEEPALIVE=0 stays off at connect(), with rules and without.
run vfork vfork-child
r_expect vfork-child-keeps-parent-choice-with-rules "$R_TMP/vfork" vfork 0/30/3/5/0
r_expect control-vfork "$R_TMP/vfork-plain" vfork "$R_UNTOUCHED"
echo "idle = 100" >"$R_CONF"
r_shim "$R_TMP/vfork-norules" -- vfork-child
r_expect vfork-child-keeps-parent-choice-without-rules "$R_TMP/vfork-norules" vfork 0/100/10/5/0
rules "" >"$R_CONF"

# An inherited socket whose owner chose keepalive keeps its values, with
# rules as without.
run inh inherited-choice
r_expect inherited-choice-kept-with-rules "$R_TMP/inh" inherited-choice 1/333/10/5/0
echo "idle = 100" >"$R_CONF"
r_shim "$R_TMP/inh-norules" -- inherited-choice
r_expect inherited-choice-kept-without-rules "$R_TMP/inh-norules" inherited-choice 1/333/10/5/0
r_expect control-inherited-choice "$R_TMP/inh-plain" inherited-choice "1/333/$(cut -d/ -f2- <<<"$KERNEL")"
finish
