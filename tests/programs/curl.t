# SPDX-License-Identifier: MIT
# curl.t - curl against a server that accepts and never answers, so curl
# waits on an idle connection (bounded by --max-time). curl turns keepalive
# on by itself (idle 60, interval 60) unless --no-keepalive: that makes it
# the client-side case of a program with its own settings.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"
h_ready || finish
h_need curl curl || finish

h_listen_peer PEER || { fail curl-peer "peer did not start"; finish; }
url=http://127.0.0.1:$PEER/
CURL=(curl -s -o /dev/null --max-time 30)

# --no-keepalive: curl leaves the socket alone; only the shim turns it on.
h_start control_nk "${CURL[@]}" --no-keepalive "$url"
h_start shimmed_nk "${SHIM[@]}" "${CURL[@]}" --no-keepalive "$url"
h_expect curl-no-keepalive-control control_nk off state=ESTABLISHED remote="$PEER"
h_expect curl-no-keepalive-shimmed shimmed_nk "$H_ON" state=ESTABLISHED remote="$PEER"

# Default curl sets idle and interval itself (count stays the kernel's 9).
# override=false: curl's values win over ours, our count stays.
# override=true: ours stay, curl's setsockopt() calls are ignored.
h_start control "${CURL[@]}" "$url"
h_start shimmed "${SHIM[@]}" KASHIM_OVERRIDE=false "${CURL[@]}" "$url"
h_start override "${SHIM[@]}" KASHIM_OVERRIDE=true "${CURL[@]}" "$url"
h_expect curl-own-keepalive-control control "on 60 60 9 0" state=ESTABLISHED remote="$PEER"
h_expect curl-override-false-keeps-curls shimmed "on 60 60 $H_CNT 0" state=ESTABLISHED remote="$PEER"
h_expect curl-override-true-keeps-ours override "$H_ON" state=ESTABLISHED remote="$PEER"
finish
