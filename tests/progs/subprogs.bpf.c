/* SPDX-License-Identifier: Apache-2.0 */
/* subprogs.bpf.c: static and global subprograms and loops; needs no maps or helpers. */
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

static __attribute__((noinline)) __u64 square(__u64 x)
{
	return x * x;
}

__attribute__((noinline)) int sum_squares(int n)
{
	__u64 acc = 0;

	for (int i = 1; i <= n && i < 64; i++)
		acc += square(i);
	return (int)acc;
}

static __attribute__((noinline)) int fib(int n)
{
	int a = 0, b = 1;

	for (int i = 0; i < n && i < 40; i++) {
		int t = a + b;

		a = b;
		b = t;
	}
	return a;
}

/* r1 = memory: the first byte selects the computation. */
SEC("syscall")
int compute(__u8 *ctx)
{
	int sel = ctx[0];

	if (sel == 1)
		return sum_squares(ctx[1]);
	if (sel == 2)
		return fib(ctx[1]);
	return sum_squares(3) + fib(10);
}

SEC("syscall")
int only_fib(__u8 *ctx)
{
	return fib(ctx[0]);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
