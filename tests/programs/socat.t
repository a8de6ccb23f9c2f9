# SPDX-License-Identifier: MIT
# socat.t - socat (Debian's binary) as a client and as a server (it accepts
# with accept()), under the shim and without it. The other end is always an
# unshimmed peer, so each reading is the program's own socket.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"
h_ready || finish
h_need socat socat || finish

# Client: both connect to one peer that accepts and holds connections.
h_clients socat socat TCP:127.0.0.1:@PORT@ EXEC:cat

# Server: one connection each, from an unshimmed peer.
h_servers socat socat TCP-LISTEN:@PORT@,bind=127.0.0.1,reuseaddr EXEC:cat
finish
