#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# status.t - ka-status --all says which processes get keepalive from the
# kernel backend (their cgroup or an ancestor has a kashim-bpf attachment),
# and which are exempt; kashim-bpf status lists the attachment of a removed
# cgroup as stale, and detach --stale removes it.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

kb_init bpf-status
kb_mkcg CG status && kb_mkcg SUB sub "$CG" && kb_mkcg OFF off "$CG" ||
	{ fail bpf-status-setup "cannot create cgroups"; finish; }
kb_hold srv 127.0.0.1 || { fail bpf-status-setup "server did not start"; finish; }
"$KASHIM_BPF" attach -i 17 "$CG" >/dev/null && "$KASHIM_BPF" attach --off "$OFF" >/dev/null ||
	fail bpf-status-setup "attach failed"
kb_start in "$SUB" "$KBT/kb-client-static" 127.0.0.1 "$PORT_srv"
kb_start off "$OFF" "$KBT/kb-client-static" 127.0.0.1 "$PORT_srv"
kb_start out - "$KBT/kb-client-static" 127.0.0.1 "$PORT_srv"
kb_wait in connected && kb_wait off connected && kb_wait out connected ||
	fail bpf-status-setup "clients did not connect"

"$KA_STATUS" --all >"$KB_TMP/all.txt" 2>/dev/null
check "ka-status --all: a process in a child of an attached cgroup gets it from the kernel backend" \
	grep -q "^$PID_in kb-client-stati: keepalive from the kernel backend (kashim-bpf on $CG)$" "$KB_TMP/all.txt"
check "ka-status --all: a process in an exempt cgroup is said to be exempt" \
	grep -q "^$PID_off kb-client-stati: keepalive from the kernel backend (kashim-bpf on exempt by $OFF)$" "$KB_TMP/all.txt"
check "control: ka-status --all says nothing of the kind for the same program outside" \
	eval '! grep -q "^$PID_out .*kernel backend" "$KB_TMP/all.txt"'
"$KA_STATUS" --all --json >"$KB_TMP/all.json" 2>/dev/null
expect_eq "ka-status --all --json: kernel_backend for the process in the cgroup only" "$CG None" \
	"$("$PYTHON" -c '
import json, sys
p = {str(x["pid"]): x for x in json.load(open(sys.argv[1]))["processes"]}
print(p[sys.argv[2]].get("kernel_backend"), p[sys.argv[3]].get("kernel_backend"))' "$KB_TMP/all.json" "$PID_in" "$PID_out")"

# A removed cgroup leaves a stale attachment until detach --stale.
kb_mkcg GONE gone || fail bpf-status-setup "cannot create a cgroup"
"$KASHIM_BPF" attach -i 9 "$GONE" >/dev/null
rmdir "$GONE"
"$KASHIM_BPF" status >"$KB_TMP/status.txt"
check "status marks the attachment of a removed cgroup stale" grep -q "^$GONE .*(stale: cgroup removed" "$KB_TMP/status.txt"
check "control: the live attachment is not stale" eval 'grep "^$CG " "$KB_TMP/status.txt" | grep -vq stale'
"$KASHIM_BPF" detach --stale >"$KB_TMP/stale.out"
expect_eq "detach --stale: exit 0" 0 "$?"
check "detach --stale says what it removed" grep -q "removed the stale attachment of $GONE" "$KB_TMP/stale.out"
check "status no longer lists it" eval '! "$KASHIM_BPF" status | grep -q "^$GONE "'
check "detach --stale leaves live attachments" eval '"$KASHIM_BPF" status | grep -q "^$CG "'
finish
