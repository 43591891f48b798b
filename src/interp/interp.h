/* SPDX-License-Identifier: Apache-2.0 */
/* interp.h: the interpreter's interface to the program object, and its prepared form. */
#ifndef UB_INTERP_H
#define UB_INTERP_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

/*
 * One predecoded ("threaded") instruction: the address of its handler in the loop the program
 * runs on, then the operand fields of the original instruction. 16 bytes, one per slot of
 * prog->insns, so jump offsets keep their meaning. Rewritten fields:
 *  - lddw: slot 0 imm / slot 1 imm hold the final 64-bit value (map pointers resolved);
 *  - call helper: imm indexes ub_interp.fns (the helper resolved at load).
 */
struct ub_xinsn {
	const void *op;
	uint8_t dst;
	uint8_t src;
	int16_t off;
	int32_t imm;
};

/*
 * A memory range a checked run may touch, besides its stack and its input memory:
 * [lo, lo + len). The maps module adds map value areas here when programs can reference them.
 */
struct ub_region {
	uint64_t lo;
	uint64_t len;
};

struct ub_interp;

/*
 * A loop instantiation (checked or unchecked), see loop.h. Called with labels != NULL it only
 * stores its handler table there (UB_I_COUNT + 1 entries, the last one a BUG trap).
 */
typedef int (*ub_interp_loop_fn)(const struct userbpf_prog *prog, const struct ub_interp *ip,
				 void *mem, size_t len, uint64_t *retval, uint64_t *executed,
				 const void *const **labels);

/* prog->interp: everything a run reads, built once at load. */
struct ub_interp {
	ub_interp_loop_fn loop;
	int checked;                 /* run-time bounds checks and instruction budget */
	size_t cnt;
	userbpf_helper_fn *fns;      /* helper of each call site, NULL if unknown at load */
	size_t fn_cnt;
	const struct ub_region *regions; /* extra regions (map values); not owned */
	size_t region_cnt;
	struct ub_xinsn code[];
};

/*
 * Prepare prog->interp from prog->insns (already validated): checked when the program is
 * unverified. Returns 0, -ENOMEM, -EINVAL (an lddw names a map the program does not have),
 * -ENOTSUP (an lddw pseudo source this runtime cannot resolve yet); reasons go to the log.
 */
int ub_interp_prepare(struct userbpf_prog *prog);
/* Same, choosing the loop explicitly: tests and bench use it to reach the unchecked loop. */
int ub_interp_prepare_as(struct userbpf_prog *prog, int checked);
/* Free prog->interp. NULL-safe. */
void ub_interp_release(struct userbpf_prog *prog);
/* Run once: r1 = mem, r2 = len. See userbpf_prog_run() for errors. Allocates nothing. */
int ub_interp_run(const struct userbpf_prog *prog, void *mem, size_t len, uint64_t *retval);
/*
 * Run once on the checked loop and report how many instructions executed (bench, tests).
 * -EINVAL if the program was prepared unchecked.
 */
int ub_interp_run_counted(const struct userbpf_prog *prog, void *mem, size_t len,
			  uint64_t *retval, uint64_t *executed);

/* Linux's BPF_MAX_LOOPS: a may_goto counter per frame starts here; at zero the jump is taken. */
#define UB_MAY_GOTO_INIT (8u * 1024 * 1024)

#endif /* UB_INTERP_H */
