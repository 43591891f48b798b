/* SPDX-License-Identifier: Apache-2.0 */
/* interp.h: the interpreter's interface to the program object, and its prepared form. */
#ifndef UB_INTERP_H
#define UB_INTERP_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "helpers/helpers.h"

/*
 * One predecoded ("threaded") instruction: the address of its handler in the loop the program
 * runs on, then the operand fields of the original instruction. 16 bytes, one per slot of
 * prog->insns, so jump offsets keep their meaning. Rewritten fields:
 *  - lddw: slot 0 imm / slot 1 imm hold the final 64-bit value (map pointers resolved);
 *  - call helper: imm indexes ub_interp.calls (the helper resolved at load).
 */
struct ub_xinsn {
	const void *op;
	uint8_t dst;
	uint8_t src;
	int16_t off;
	int32_t imm;
};

/* A memory range a checked run may touch: [lo, lo + len). See checked.h. */
struct ub_region {
	uint64_t lo;
	uint64_t len;
};

/* One helper call site, resolved at load. */
struct ub_call {
	userbpf_helper_fn fn;                /* NULL: no such helper when the program loaded */
	const struct ub_helper_proto *proto; /* Linux prototype; NULL for host-only helpers */
	uint32_t id;
	uint8_t tail_call;                   /* tail_call: the engine switches programs */
	uint8_t callback;                    /* the helper calls back into the program (bpf_loop) */
};

/*
 * A helper that calls back into the program (bpf_loop, for_each_map_elem) runs the callback as
 * a nested run of the loop. The caller's loop publishes this state in ub_run_current->engine
 * for the duration of such a helper call.
 */
struct ub_cb_env {
	const struct userbpf_prog *prog; /* the program whose callback runs */
	const struct ub_call *call;  /* the helper that calls back */
	unsigned depth;              /* frames in use by the caller, the callback's included */
	void *mem;                   /* the run's input memory */
	size_t len;
	uint64_t stack_lo, stack_top; /* the caller's stack in use (checked runs may pass it) */
	uint64_t left;               /* instruction budget left, shared (checked runs) */
	int err;                     /* set when a callback failed: the caller's run fails too */
};

/* Where a nested run of the loop starts: a callback at insn pc with r1..r5 = args. */
struct ub_entry {
	size_t pc;
	uint64_t args[5];
	struct ub_cb_env *env;
	struct ub_region mem[2];     /* memory the helper hands the callback (a map's key, value) */
	unsigned mem_cnt;
};

struct ub_interp;

/*
 * A loop instantiation (checked or unchecked), see loop.h. Called with labels != NULL it only
 * stores its handler table there (UB_I_COUNT + 1 entries, the last one a BUG trap).
 */
typedef int (*ub_interp_loop_fn)(const struct userbpf_prog *prog, const struct ub_interp *ip,
				 void *mem, size_t len, uint64_t *retval, uint64_t *executed,
				 const void *const **labels, const struct ub_entry *entry);

/* prog->interp: everything a run reads, built once at load. */
struct ub_interp {
	ub_interp_loop_fn loop;
	int checked;                 /* run-time bounds checks and instruction budget */
	int has_callbacks;           /* an lddw loads a callback: runs publish the callback hook */
	uint32_t *funcs;             /* callback entry points (lddw func targets), checked runs */
	size_t func_cnt;
	size_t cnt;
	struct ub_call *calls;       /* one per helper call site */
	size_t call_cnt;
	struct ub_region *regions;   /* checked runs: the values of the program's array maps */
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
