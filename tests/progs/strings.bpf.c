/* SPDX-License-Identifier: Apache-2.0 */
/* strings.bpf.c: string literals (merged into .rodata.str1.1) read by index, and printk text. */
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

static __attribute__((noinline)) int pick(const char *s, int i)
{
	return s[i & 7];
}

/* r1 = memory: byte 0 selects the string, byte 1 the character. */
SEC("syscall")
int char_at(__u8 *ctx)
{
	const char *s = ctx[0] ? "userbpf!" : "objects.";

	return pick(s, ctx[1]);
}

char LICENSE[] SEC("license") = "GPL";
