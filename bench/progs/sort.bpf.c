/* SPDX-License-Identifier: Apache-2.0 */
/* sort.bpf.c: insertion sort of 64 u64 words in the buffer; returns a position-weighted sum. */
#include "bench.h"

BENCH_PROG(sort)
{
	u64 *w = (u64 *)data, n = len / 8, sum = 0;

	if (n > 64)
		n = 64;
	for (u64 i = 1; i < n; i++) {
		u64 v = w[i], j = i;

		while (j > 0 && w[j - 1] > v) {
			w[j] = w[j - 1];
			j--;
		}
		w[j] = v;
	}
	for (u64 i = 0; i < n; i++)
		sum += w[i] * (i + 1);
	return sum;
}
