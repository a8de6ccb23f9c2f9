# SPDX-License-Identifier: MIT
# karun.sh - what tests/karun/check.t and preload.t both run ka-run with:
# a program that prints its socket's options, and a config file whose
# program sections show which level applied. Sourced after common.sh.

# SOCKOPTS: a python3 -c program that prints the keepalive options of a
# fresh TCP socket: "True|False IDLE INTERVAL COUNT USER_TIMEOUT".
SOCKOPTS='import socket; s = socket.socket(); g = s.getsockopt
print(g(socket.SOL_SOCKET, socket.SO_KEEPALIVE) != 0, g(6, socket.TCP_KEEPIDLE), g(6, socket.TCP_KEEPINTVL),
      g(6, socket.TCP_KEEPCNT), g(6, socket.TCP_USER_TIMEOUT))'

# sections_conf FILE USER_TIMEOUT: a valid FILE with idle = 40 and
# count = 6 at the top level, a section program "nomatch-*" (idle = 42)
# that no test program matches, then a section program "python3*"
# (idle = 41, user_timeout = USER_TIMEOUT) that python3 matches: idle 41
# means the section applied, 40 the top level alone, 42 the wrong section.
sections_conf() {
	cat >"$1" <<CONF
idle = 40
count = 6
program "nomatch-*" {
	idle = 42
}
program "python3*" {
	idle = 41
	user_timeout = $2
}
CONF
}
