// SPDX-License-Identifier: MIT
/*
 * kb-foreign.bpf.c - another vendor's sock_ops program, for tests/bpf: like
 * the kernel's samples/bpf/tcp_*_kern.c (and Cilium, Calico) it writes
 * skops->reply on every op; on an established connection it sets
 * TCP_USER_TIMEOUT to 4321 ms, so a test can see from outside that it ran.
 * Loaded and attached with bpftool.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define SOL_TCP 6
#define TCP_USER_TIMEOUT 18

char LICENSE[] SEC("license") = "Dual MIT/GPL";

SEC("sockops")
int kb_foreign(struct bpf_sock_ops *skops)
{
	int uto = 4321;

	if (skops->op == BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB ||
	    skops->op == BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB)
		bpf_setsockopt(skops, SOL_TCP, TCP_USER_TIMEOUT, &uto, sizeof uto);
	skops->reply = 0;
	return 1;
}
