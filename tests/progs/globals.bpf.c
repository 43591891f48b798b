/* SPDX-License-Identifier: Apache-2.0 */
/* globals.bpf.c: global variables of every kind (.data, .rodata config, .bss, strings). */
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 cfg_mult = 3;        /* .rodata: the host may change it before load */
const volatile __u64 cfg_add = 100;
int counter = 7;                          /* .data */
__u64 hits;                               /* .bss */
static const char greeting[] = "hello, userbpf"; /* .rodata */
char scratch[32];                         /* .bss */

SEC("xdp")
int use_globals(void *ctx)
{
	__u64 v;

	hits++;
	counter += 1;
	v = (__u64)counter * cfg_mult + cfg_add;
	scratch[0] = greeting[1];
	bpf_printk("v=%llu hits=%llu", v, hits);
	return (int)v;
}

char LICENSE[] SEC("license") = "GPL";
