/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core.bpf.c: CO-RE reads of a host structure. The host's real layout differs from this one
 * (fields reordered and resized, one missing); relocations against the host's BTF fix it up.
 */
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

enum host_state { HOST_IDLE = 0, HOST_BUSY = 1, HOST_GONE = 2 };

struct host_conn {
	__u32 id;
	__u32 flags;
	__u64 bytes;
	int missing_in_host;
} __attribute__((preserve_access_index));

/* r1 = a struct host_conn laid out the host's way. */
SEC("syscall")
int read_conn(struct host_conn *c)
{
	__u64 r = c->bytes + c->id;

	if (bpf_core_field_exists(c->missing_in_host))
		r += 1000000;
	r += bpf_core_field_size(c->flags) * 100000;
	r += bpf_core_enum_value(enum host_state, HOST_GONE) * 10000;
	r += bpf_core_type_size(struct host_conn) * 1000;
	return (int)r;
}

char LICENSE[] SEC("license") = "GPL";
