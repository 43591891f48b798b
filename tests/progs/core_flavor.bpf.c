/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core_flavor.bpf.c: CO-RE name matching: a "___flavor" suffix is ignored when the target type
 * is looked up, and a typedef'd anonymous struct is matched through its typedef name.
 */
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

/* An old layout of the host's struct host_conn, told apart by its flavor suffix. */
struct host_conn___old {
	__u32 id;
	__u64 bytes;
} __attribute__((preserve_access_index));

typedef struct {
	int x;
	int y;
} __attribute__((preserve_access_index)) point_t;

SEC("syscall")
int flavored(struct host_conn___old *c)
{
	return (int)c->id;
}

SEC("syscall")
int typed(point_t *p)
{
	return p->y;
}

char LICENSE[] SEC("license") = "GPL";
