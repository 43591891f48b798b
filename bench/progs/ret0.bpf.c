/* SPDX-License-Identifier: Apache-2.0 */
/* ret0.bpf.c: `return 0`: the fixed cost of one run (entry, frame setup, exit). */
#include "bench.h"

BENCH_PROG(ret0)
{
	(void)data;
	(void)len;
	return 0;
}
