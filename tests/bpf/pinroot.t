#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# pinroot.t - where kashim-bpf pins is root's and outlives the command: on a
# bpffs mounted with mode 1777 (KASHIM_BPF_FS names it), a pin root a user
# made first (a directory of theirs, or a symlink to one) is refused, while
# on a fresh one kashim-bpf makes it root's, mode 0700; from a mount
# namespace without bpffs, attach refuses rather than pin in a bpffs that
# vanishes with the namespace, as from a container (PID and mount
# namespaces of its own) without the host's bpffs; from one that shares
# the host's bpffs it attaches for good. Each against its control.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/lib.sh"

kb_init bpf-pinroot
kb_hold srv 127.0.0.1 || { fail bpf-pinroot-setup "server did not start"; finish; }
kb_mkcg CG pinroot || { fail bpf-pinroot-setup "cannot create a cgroup"; finish; }
as_nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
# bpffs NAME: a fresh bpffs with mode 1777 at $KB_TMP/NAME.
bpffs() {
	mkdir -p "$KB_TMP/$1" && mount -t bpf -o mode=1777 bpf "$KB_TMP/$1" && KB_MOUNTS+=("$KB_TMP/$1")
}
attach_in() { KASHIM_BPF_FS=$KB_TMP/$1 "$KASHIM_BPF" attach -c "$KB_EMPTY_CONF" -i 30 "$CG"; }

bpffs fresh && bpffs taken && bpffs linked || { fail bpf-pinroot-setup "cannot mount bpffs instances"; finish; }
attach_in fresh >/dev/null 2>"$KB_TMP/fresh.err"
expect_eq "control: a fresh 1777 bpffs: attach exit 0" 0 "$?"
expect_eq "the pin root it made is root's, mode 0700, a directory" "0 700 directory" \
	"$(stat -c '%u %a %F' "$KB_TMP/fresh/kashim")"
conn_in "$CG" 2
expect_eq "and the attachment is in force" "ka=1 idle=30" "$got"
KASHIM_BPF_FS=$KB_TMP/fresh "$KASHIM_BPF" detach "$CG" >/dev/null

"${as_nobody[@]}" sh -c 'mkdir "$1" && chmod 777 "$1"' sh "$KB_TMP/taken/kashim" ||
	fail bpf-pinroot-setup "nobody cannot make a directory on the 1777 bpffs"
attach_in taken >/dev/null 2>"$KB_TMP/taken.err"
expect_eq "a pin root made by another user: attach refused, exit 1" 1 "$?"
check "saying whose it is and why" grep -q "$KB_TMP/taken/kashim is not kashim-bpf's own: a directory, owner uid 65534, mode 0777" "$KB_TMP/taken.err"
conn_in "$CG" 1
expect_eq "nothing attached" "ka=0" "$got"
"${as_nobody[@]}" sh -c 'mkdir "$1/mine" && ln -s mine "$1/kashim"' sh "$KB_TMP/linked" ||
	fail bpf-pinroot-setup "nobody cannot make a symlink on the 1777 bpffs"
attach_in linked >/dev/null 2>"$KB_TMP/linked.err"
expect_eq "a pin root that is a user's symlink: attach refused, exit 1" 1 "$?"
check "saying it is a symbolic link" grep -q "$KB_TMP/linked/kashim is not kashim-bpf's own: a symbolic link" "$KB_TMP/linked.err"
check "nothing pinned in the user's directory" [ -z "$(ls -A "$KB_TMP/linked/mine")" ]

# A mount namespace without bpffs.
unshare -m sh -c 'umount /sys/fs/bpf && exec "$@"' sh "$KASHIM_BPF" attach -c "$KB_EMPTY_CONF" -i 30 "$CG" \
	>"$KB_TMP/ns.out" 2>"$KB_TMP/ns.err"
expect_eq "attach from a mount namespace without bpffs: refused, exit 1" 1 "$?"
check "saying the pins would vanish with the namespace" grep -q "vanish with the namespace" "$KB_TMP/ns.err"
conn_in "$CG" 1
expect_eq "and nothing was left attached" "ka=0" "$got"
# A container: PID and mount namespaces of its own, no bpffs. PID 1 there
# shares the mount namespace, which dies with the container.
unshare -m -p -f --mount-proc sh -c 'umount /sys/fs/bpf && exec "$@"' sh "$KASHIM_BPF" attach \
	-c "$KB_EMPTY_CONF" -i 30 "$CG" >"$KB_TMP/pidns.out" 2>"$KB_TMP/pidns.err"
expect_eq "attach from a container (own PID and mount namespaces) without bpffs: refused, exit 1" 1 "$?"
check "saying it is a container and to bind the host's bpffs" grep -q "this is a container.*bind the host's bpffs" "$KB_TMP/pidns.err"
expect_eq "never saying attached" "" "$(grep -i attached "$KB_TMP/pidns.out")"
conn_in "$CG" 1
expect_eq "and nothing is in force once the container is gone" "ka=0" "$got"
unshare -m "$KASHIM_BPF" attach -c "$KB_EMPTY_CONF" -i 30 "$CG" >/dev/null 2>"$KB_TMP/ns2.err"
expect_eq "control: from a namespace that shares the host's bpffs: exit 0" 0 "$?"
conn_in "$CG" 2
expect_eq "and the attachment outlives that namespace" "ka=1 idle=30" "$got"
finish
