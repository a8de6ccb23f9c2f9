# SPDX-License-Identifier: MIT
# nc.t - OpenBSD netcat (Debian's netcat-openbsd) as a client and as a
# server (it accepts with accept4(..., SOCK_NONBLOCK)), under the shim and
# without it, each against an unshimmed peer. -d: never read stdin, so the
# connection stays open and idle.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"
h_ready || finish
h_need nc nc || finish
# Debian's "nc" may be the traditional netcat, whose options differ.
if ! nc -h 2>&1 | grep -qi openbsd; then
	skip nc "nc is not netcat-openbsd (scripts/install-deps test installs it)"
	finish
fi

h_clients nc nc -d 127.0.0.1 @PORT@
h_servers nc nc -d -l 127.0.0.1 @PORT@
finish
