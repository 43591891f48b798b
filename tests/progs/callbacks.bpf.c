/* SPDX-License-Identifier: Apache-2.0 */
/* callbacks.bpf.c: a callback passed to bpf_loop (an lddw of a function: BPF_PSEUDO_FUNC). */
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

struct acc {
	__u64 sum;
};

static int add_index(__u32 index, void *data)
{
	struct acc *a = data;

	a->sum += index;
	return 0;
}

SEC("syscall")
int loop_sum(void *ctx)
{
	struct acc a = { 0 };

	bpf_loop(10, add_index, &a, 0);
	return (int)a.sum;
}

char LICENSE[] SEC("license") = "GPL";
