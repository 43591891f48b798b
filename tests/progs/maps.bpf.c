/* SPDX-License-Identifier: Apache-2.0 */
/* maps.bpf.c: every map declaration style: BTF maps, sizes, flags, map-in-map, legacy maps. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct event {
	__u32 pid;
	__u64 ts;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct event);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u64));
} counts SEC(".maps");

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 8);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps");

/* The legacy declaration style: a struct in the "maps" section. */
struct legacy_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct legacy_map_def old_style SEC("maps") = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = 4,
	.value_size = 8,
	.max_entries = 2,
};

SEC("tc")
int count_packets(void *ctx)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&counts, &key);
	struct event *e;
	void *in;

	if (v)
		__sync_fetch_and_add(v, 1);
	e = bpf_map_lookup_elem(&events, &key);
	if (e)
		e->pid = 1;
	in = bpf_map_lookup_elem(&outer, &key);
	if (in) {
		__u32 *x = bpf_map_lookup_elem(in, &key);

		if (x)
			*x += 1;
	}
	v = bpf_map_lookup_elem(&old_style, &key);
	return v ? 1 : 0;
}

char LICENSE[] SEC("license") = "GPL";
