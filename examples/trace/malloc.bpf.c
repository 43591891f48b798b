/* SPDX-License-Identifier: Apache-2.0 */
/*
 * malloc.bpf.c: trace malloc() sizes of any unmodified program (libc's malloc): a log2
 * histogram of the sizes, and a bpf_printk line for every allocation of 16 KiB or more.
 *   userbpf trace malloc.bpf.o -- ls -l /usr/bin
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} malloc_size_hist SEC(".maps");

static __always_inline __u32 log2_bucket(__u64 v)
{
	__u32 k = 0;

	if (!v)
		return 0;
#pragma unroll
	for (int s = 32; s > 0; s >>= 1) {
		if (v >= (1ull << s)) {
			v >>= s;
			k += s;
		}
	}
	return k + 1;
}

SEC("uprobe/libc.so.6:malloc")
int BPF_KPROBE(on_malloc, unsigned long size)
{
	__u32 k = log2_bucket(size);
	__u64 *slot = bpf_map_lookup_elem(&malloc_size_hist, &k);

	if (slot)
		__sync_fetch_and_add(slot, 1);
	if (size >= 16384)
		bpf_printk("malloc(%lu)", size);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
