/* SPDX-License-Identifier: Apache-2.0 */
/* jit_int.h: the state one compilation shares between the arch-neutral driver and a back end. */
#ifndef UB_JIT_INT_H
#define UB_JIT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

/* Per-instruction facts found by the driver's analysis (ub_jit.iflags). */
#define UB_JIT_I_FUNC   0x01 /* a function (main or subprog) starts here */
#define UB_JIT_I_MAIN   0x02 /* the instruction belongs to the main function */
#define UB_JIT_I_SECOND 0x04 /* second slot of an lddw: emits nothing */
#define UB_JIT_I_TARGET 0x08 /* a jump lands here: never fused with the instruction before */

/* Pseudo-register used by constant blinding (the back end maps it to a scratch register). */
#define UB_JIT_REG_AX 11

/*
 * One compilation. The driver fills the analysis part, then calls the back end once per pass;
 * a pass reads the previous pass's layout (addrs, fentry, stub) and writes the new one.
 */
struct ub_jit {
	struct userbpf_prog *prog;
	struct ub_log *log;
	const struct userbpf_insn *insns;
	size_t cnt;

	/* Analysis (driver). */
	uint8_t *iflags;       /* UB_JIT_I_* per instruction */
	int full_frame;        /* main keeps a run context (bpf calls, ld_abs, callx): see codegen */
	uint32_t used_regs;    /* bit r: BPF register r is referenced */
	int uses_stack;        /* r10 is referenced or a may_goto counter lives on the stack */
	int has_may_goto;
	int has_calls;         /* helper, kfunc, callx or bpf-to-bpf calls */
	int has_callbacks;     /* an lddw loads a function address (bpf_loop & co.) */

	/* Options. */
	int blind;             /* constant blinding */
	uint64_t blind_state;  /* xorshift state, seeded from getrandom */
	int force_long;        /* every BPF jump in its rel32 form (fallback when passes oscillate) */
	int indirect_calls;    /* helpers through movabs+call instead of call rel32 */

	/* Layout: previous pass (read) and this pass (written). */
	uint32_t *addrs, *naddrs;   /* start of insn i's own code; [cnt] = end of the body */
	uint32_t *fentry, *nfentry; /* entry (prologue) of the function starting at insn i */
	uint32_t stub, nstub;       /* abort stub: return 0 from the whole run */
	uint32_t cb_entry;          /* this pass: C-callable callback entry (has_callbacks) */
	uint32_t insn_start;        /* offset in buf where the current instruction began */
	size_t cur;                 /* index of the instruction being emitted */
	int fused_next;             /* the emitter also did instruction cur + 1 */

	/* Output of the current pass. */
	uint8_t *buf;
	size_t len, cap;
	uint64_t base;              /* final address of the image (final pass only), else 0 */
	int final;
	int err;                    /* first error of the pass (negative errno) */
};

/* Linux's BPF_FUNC_tail_call: the JIT handles `call 12` itself (the run switches programs). */
#define UB_JIT_TAIL_CALL_ID 12

/*
 * Called by JITed code for `call 12` with the helper's arguments (ctx, prog_array, index):
 * the JITed entry of the target, counting the tail call in the current run, or 0 when the call
 * fails (empty slot, bad index, 33 calls already, or a target that is not JITed).
 */
uint64_t ub_jit_tail_call_target(uint64_t ctx, uint64_t map, uint64_t index);

/*
 * Callbacks (bpf_loop, for_each_map_elem): the main prologue of a program that loads function
 * addresses calls ub_jit_run_setup(), which makes ub_jit_callback() the run's callback hook.
 * ub_jit_callback() runs the function at address fn (checked against the image's function
 * entries) through the image's callback entry, which gives it a run context of its own.
 */
void ub_jit_run_setup(void);

/* Make room for at least `need` more bytes in j->buf. Returns 0 or -ENOMEM. */
int ub_jit_reserve(struct ub_jit *j, size_t need);

/* A fresh blinding constant (non-zero). */
uint32_t ub_jit_blind_rand(struct ub_jit *j);

/*
 * The back end: emit the whole program into j->buf (from offset 0), filling j->naddrs,
 * j->nfentry and j->nstub. Returns 0, or a negative errno after logging the instruction index
 * and reason (-EINVAL unsupported construct, -ENOMEM, -ERANGE a direct call out of reach).
 */
int ub_x86_emit_prog(struct ub_jit *j);

/* The machine code image of a program, owned by prog->jit. */
struct ub_jit_image {
	void *mem;          /* mmap'ed, read+execute */
	size_t map_size;
	size_t code_len;
	uint32_t *addrs;    /* start of each BPF instruction's code ([cnt] = end of body) */
	uint32_t *fentry;   /* prologue of the function starting at insn i, or UINT32_MAX */
	size_t cnt;
	uint32_t cb_entry;  /* offset of the callback entry, when the program has callbacks */
	uint32_t passes;    /* passes the layout needed (for tests and stats) */
	uint32_t blinded;   /* constant blinding was applied */
};

/* Executable memory: W^X. ub_jit_mem_alloc returns RW pages near `hint` if possible. */
void *ub_jit_mem_alloc(size_t size, const void *hint, size_t *map_size);
int ub_jit_mem_seal(void *mem, size_t map_size);
void ub_jit_mem_free(void *mem, size_t map_size);

#endif /* UB_JIT_INT_H */
