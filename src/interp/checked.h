/* SPDX-License-Identifier: Apache-2.0 */
/*
 * checked.h: the memory model of a checked run (unverified programs): which bytes the program
 * may touch, and the checks made around helper calls so that a hostile program cannot make a
 * helper read or write outside that memory either.
 *
 * A checked run may touch:
 *  - its stack: the frames in use, [r10 of the deepest frame - 512, top of frame 0);
 *  - the input memory [mem, mem + len);
 *  - the values of the program's array maps (static regions, built at load);
 *  - memory helpers returned during this run (dynamic regions: a map_lookup_elem value,
 *    a ringbuf_reserve sample), the last UB_DYN_REGIONS of them;
 *  - the memory the run's starter declared (ub_run_ctx.extra_lo/len: a test run's whole
 *    packet frame, which packet pointers reach beyond the ctx).
 */
#ifndef UB_INTERP_CHECKED_H
#define UB_INTERP_CHECKED_H

#include <stddef.h>
#include <stdint.h>

#include "interp/interp.h"

#define UB_DYN_REGIONS 16

struct ub_checked_mem {
	uint64_t stack_lo, stack_top;
	uint64_t mem_lo, mem_len;
	const struct ub_region *extra; /* the program's static regions */
	size_t extra_cnt;
	struct ub_region run_extra;    /* ub_run_ctx.extra_lo/len of the current run */
	struct ub_region dyn[UB_DYN_REGIONS];
	unsigned dyn_cnt, dyn_next;
};

static inline int ub_region_has(const struct ub_region *r, uint64_t a, uint64_t n)
{
	return r->len >= n && a - r->lo <= r->len - n;
}

/* Is [a, a + n) outside the stack and the input memory but inside another region? */
int ub_cm_ok_slow(const struct ub_checked_mem *cm, uint64_t a, uint64_t n);

/* May the program touch [a, a + n)? The stack and the input memory are tried inline. */
static inline int ub_cm_ok(const struct ub_checked_mem *cm, uint64_t a, uint64_t n)
{
	if (a >= cm->stack_lo && a <= cm->stack_top - n)
		return 1;
	if (cm->mem_len >= n && a - cm->mem_lo <= cm->mem_len - n)
		return 1;
	return ub_cm_ok_slow(cm, a, n);
}

/*
 * Before calling helper c with r1..r5 = r[1..5]: check every argument against the helper's
 * Linux prototype (maps are the program's maps, memory arguments lie inside the regions, sizes
 * fit). Logs "insn N: ..." and returns -EFAULT or -EINVAL on the first bad argument, else 0.
 * A helper without a Linux prototype (registered by the host) is the host's responsibility.
 */
int ub_cm_check_call(const struct userbpf_prog *prog, const struct ub_checked_mem *cm,
		     const struct ub_call *c, const uint64_t *r, size_t pc, const void *ctx);

/* After helper c returned r0 (its arguments still in r[1..5]): remember returned memory. */
void ub_cm_after_call(struct ub_checked_mem *cm, const struct ub_call *c, const uint64_t *r,
		      uint64_t r0);

#endif /* UB_INTERP_CHECKED_H */
