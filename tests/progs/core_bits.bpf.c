/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core_bits.bpf.c: CO-RE bitfield reads. The host moves and widens the bitfields; the loader
 * relocates their byte offset, load size and shift amounts (FIELD_BYTE_OFFSET, FIELD_BYTE_SIZE,
 * FIELD_LSHIFT_U64, FIELD_RSHIFT_U64, FIELD_SIGNED).
 */
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct host_flags {
	unsigned int a : 3;
	unsigned int b : 5;
	unsigned int c : 12;
	int d;
} __attribute__((preserve_access_index));

/* r1 = a struct host_flags laid out the host's way: returns b * 1000 + c. */
SEC("syscall")
int read_bits(struct host_flags *f)
{
	return BPF_CORE_READ_BITFIELD(f, b) * 1000 + BPF_CORE_READ_BITFIELD(f, c);
}

char LICENSE[] SEC("license") = "GPL";
