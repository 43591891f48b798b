/* SPDX-License-Identifier: Apache-2.0 */
/* mapinmap.bpf.c: a map-in-map whose slots are filled at load time (.values = { &inner }). */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct inner_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner_map);
} outer SEC(".maps") = {
	.values = { [0] = &inner_a, [2] = &inner_b },
};

/* r1 = memory: byte 0 is the outer slot. Returns 1 + the slot's inner value, 0 if empty. */
SEC("syscall")
int through_outer(__u8 *ctx)
{
	__u32 slot = ctx[0], zero = 0;
	__u32 *v;
	void *in = bpf_map_lookup_elem(&outer, &slot);

	if (!in)
		return 0;
	v = bpf_map_lookup_elem(in, &zero);
	return v ? 1 + *v : 0;
}

char LICENSE[] SEC("license") = "GPL";
