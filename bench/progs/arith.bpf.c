/* SPDX-License-Identifier: Apache-2.0 */
/* arith.bpf.c: an arithmetic loop (a xorshift/multiply hash, 1000 rounds), no memory traffic. */
#include "bench.h"

BENCH_PROG(arith)
{
	u64 x = len | 1, acc = 0;

	for (u32 i = 0; i < 1000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		acc += (x * 0x9e3779b97f4a7c15ull) >> (i & 31);
		acc ^= i;
	}
	return acc;
}
