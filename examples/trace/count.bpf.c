/* SPDX-License-Identifier: Apache-2.0 */
/*
 * count.bpf.c: count the calls of work() in ./app and draw a log2 histogram of their latency
 * in ns, with a uprobe at entry (timestamp per thread) and a uretprobe at return.
 *   userbpf trace count.bpf.o -- ./app
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} latency_ns_hist SEC(".maps");

/* 0 for 0, else floor(log2(v)) + 1: bucket k holds [2^(k-1), 2^k). */
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

SEC("uprobe/./app:work")
int BPF_KPROBE(work_enter, long n)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), zero = 0;
	__u64 now = bpf_ktime_get_ns(), *c;

	bpf_map_update_elem(&start, &tid, &now, BPF_ANY);
	c = bpf_map_lookup_elem(&calls, &zero);
	if (c)
		__sync_fetch_and_add(c, 1);
	return 0;
}

SEC("uretprobe/./app:work")
int BPF_KRETPROBE(work_exit, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), k;
	__u64 *t0 = bpf_map_lookup_elem(&start, &tid), *slot;

	if (!t0)
		return 0;
	k = log2_bucket(bpf_ktime_get_ns() - *t0);
	bpf_map_delete_elem(&start, &tid);
	slot = bpf_map_lookup_elem(&latency_ns_hist, &k);
	if (slot)
		__sync_fetch_and_add(slot, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
