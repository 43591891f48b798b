/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codegen.c: x86-64 code for every eBPF instruction: the register map, the frames (prologues,
 * epilogues, the abort stub) and one emitter per instruction format.
 *
 * Register map (SysV: BPF r1..r5 are already the helper argument registers, r0 is rax):
 *   r0 rax   r1 rdi   r2 rsi   r3 rdx   r4 rcx   r5 r8
 *   r6 rbx   r7 r13   r8 r14   r9 r15   r10 rbp (frame: the BPF stack is [rbp-512, rbp))
 *   r9, r10, r11 scratch (r10 doubles as the blinding register AX); r12 the run context.
 *
 * Main function, "full" frame (programs with bpf-to-bpf calls, ld_abs/ld_ind or callx):
 *   push rbp, rbx, r12, r13, r14, r15; sub rsp, 40; r12 = rsp -> run context
 *   [r12+0] ctx, [r12+8] len, [r12+16] call depth, [r12+24] tail call count;
 *   rbp = r12; sub rsp, 512 (+16 for the may_goto counter at [rbp-520]).
 * Anything that must end the whole run early (ld_abs out of bounds, too many frames, a bad
 * callx) jumps to the abort stub, which returns 0 by unwinding straight to r12, like Linux
 * returns 0 from a program whose ld_abs fails.
 * Main function, "lean" frame (everything else): saves only the callee-saved registers the
 * program uses and makes a stack frame only if r10 is used, so `r0 = 0; exit` is two
 * instructions. Subprograms: push rbx, r13, r14, r15, rbp; rbp = rsp; sub rsp, 512 (+16).
 * At every call site rsp is 16-byte aligned.
 */
#include <errno.h>
#include <stddef.h>

#include "isa/isa.h"
#include "jit/jit_int.h"
#include "jit/x86_64/emit.h"
#include "maps/map.h"

static const uint8_t reg_map[12] = {
	X_RAX, X_RDI, X_RSI, X_RDX, X_RCX, X_R8, X_RBX, X_R13, X_R14, X_R15, X_RBP,
	X_R10, /* UB_JIT_REG_AX */
};

#define RC_CTX     0
#define RC_LEN     8
#define RC_DEPTH   16
#define RC_TAIL    24
#define RC_SIZE    40
#define STACK      USERBPF_STACK_SIZE
#define LOOP_SLOT  (-(STACK + 8))     /* may_goto counter, below the BPF stack */
#define MAX_LOOPS  (8 * 1024 * 1024)  /* Linux's BPF_MAX_LOOPS */
#define MAX_INSN_BYTES 192            /* the most one eBPF instruction may emit */

_Static_assert(offsetof(struct ub_helper, fn) == 0, "callx loads helpers[id].fn at offset 0");

static void push(struct ub_x86_out *o, int r)
{
	if (r >= 8)
		ub_x86_b(o, 0x41);
	ub_x86_b(o, 0x50 + (r & 7));
}

static void pop(struct ub_x86_out *o, int r)
{
	if (r >= 8)
		ub_x86_b(o, 0x41);
	ub_x86_b(o, 0x58 + (r & 7));
}

static void mov64(struct ub_x86_out *o, int dst, int src)
{
	ub_x86_rr(o, X_W, 0x89, src, dst);
}

static void mov32(struct ub_x86_out *o, int dst, int src)
{
	ub_x86_rr(o, 0, 0x89, src, dst);
}

/* Position of the next byte in the previous pass's layout (exact once the layout converged). */
static int64_t here(const struct ub_jit *j, const struct ub_x86_out *o)
{
	return (int64_t)j->addrs[j->cur] + (int64_t)(o->n - j->insn_start);
}

/* jmp (cc < 0) or jcc to `target`, short when it fits (unless long is required). */
static void emit_jump(struct ub_jit *j, struct ub_x86_out *o, int cc, int64_t target, int only_long)
{
	int64_t d = target - (here(j, o) + 2);

	if (!only_long && !j->force_long && ub_x86_is_imm8(d)) {
		ub_x86_b(o, cc < 0 ? 0xeb : (uint8_t)(0x70 | cc));
		ub_x86_b(o, (uint8_t)d);
		return;
	}
	if (cc < 0) {
		ub_x86_b(o, 0xe9);
		d = target - (here(j, o) + 4);
	} else {
		ub_x86_b(o, 0x0f);
		ub_x86_b(o, (uint8_t)(0x80 | cc));
		d = target - (here(j, o) + 4);
	}
	ub_x86_d32(o, (uint32_t)(int32_t)d);
}

/* A forward short jump inside one instruction's code: open it, emit, then close it. */
static size_t open8(struct ub_x86_out *o, int cc)
{
	ub_x86_b(o, cc < 0 ? 0xeb : (uint8_t)(0x70 | cc));
	ub_x86_b(o, 0);
	return o->n;
}

static void close8(struct ub_x86_out *o, size_t at)
{
	o->p[at - 1] = (uint8_t)(o->n - at);
}

static void emit_call_abs(struct ub_jit *j, struct ub_x86_out *o, const void *fn);

/* ---- frames ------------------------------------------------------------------------------ */

static int lean_saves(const struct ub_jit *j, int *regs)
{
	int n = 0;

	if (j->uses_stack)
		regs[n++] = X_RBP;
	for (int r = 6; r <= 9; r++)
		if (j->used_regs & (1u << r))
			regs[n++] = reg_map[r];
	return n;
}

/* Bytes below the saved registers in a lean frame, keeping rsp 16-byte aligned for calls. */
static int32_t lean_frame(const struct ub_jit *j, int nsaves)
{
	int32_t s = j->uses_stack ? STACK + (j->has_may_goto ? 16 : 0) : 0;

	if ((j->uses_stack || j->has_calls) && (8 + 8 * nsaves + s) % 16)
		s += 8;
	return s;
}

static void init_loop_counter(const struct ub_jit *j, struct ub_x86_out *o)
{
	if (!j->has_may_goto)
		return;
	ub_x86_rm(o, X_W, 0xc7, 0, X_RBP, LOOP_SLOT);
	ub_x86_d32(o, MAX_LOOPS);
}

static void emit_main_prologue(struct ub_jit *j, struct ub_x86_out *o)
{
	int32_t frame = STACK + (j->has_may_goto ? 16 : 0);
	int regs[5], n;

	if (j->full_frame) {
		push(o, X_RBP);
		push(o, X_RBX);
		push(o, X_R12);
		push(o, X_R13);
		push(o, X_R14);
		push(o, X_R15);
		ub_x86_alu_ri(o, X_W, 5, X_RSP, RC_SIZE);
		mov64(o, X_R12, X_RSP);
		ub_x86_rm(o, X_W, 0x89, X_RDI, X_R12, RC_CTX);
		ub_x86_rm(o, X_W, 0x89, X_RSI, X_R12, RC_LEN);
		ub_x86_rm(o, X_W, 0xc7, 0, X_R12, RC_DEPTH);
		ub_x86_d32(o, 0);
		ub_x86_rm(o, X_W, 0xc7, 0, X_R12, RC_TAIL);
		ub_x86_d32(o, 0);
		mov64(o, X_RBP, X_RSP);
		ub_x86_alu_ri(o, X_W, 5, X_RSP, frame);
		if (j->has_callbacks) {
			/* Publish the callback hook for bpf_loop & co. (rsp is aligned here). */
			emit_call_abs(j, o, (const void *)ub_jit_run_setup);
			ub_x86_rm(o, X_W, 0x8b, X_RDI, X_R12, RC_CTX);
			ub_x86_rm(o, X_W, 0x8b, X_RSI, X_R12, RC_LEN);
		}
	} else {
		n = lean_saves(j, regs);
		for (int i = 0; i < n; i++)
			push(o, regs[i]);
		frame = lean_frame(j, n);
		if (j->uses_stack)
			mov64(o, X_RBP, X_RSP);
		if (frame)
			ub_x86_alu_ri(o, X_W, 5, X_RSP, frame);
	}
	init_loop_counter(j, o);
	/* No host value may leak into the program through a register it reads before writing. */
	ub_x86_rr(o, 0, 0x31, X_RAX, X_RAX);
	for (int r = 3; r <= 9; r++)
		if (j->full_frame || (j->used_regs & (1u << r)) || (r <= 5 && j->has_calls))
			ub_x86_rr(o, 0, 0x31, reg_map[r], reg_map[r]);
}

static void emit_main_epilogue(const struct ub_jit *j, struct ub_x86_out *o)
{
	int regs[5], n;
	int32_t frame;

	if (j->full_frame) {
		ub_x86_rm(o, X_W, 0x8d, X_RSP, X_R12, RC_SIZE); /* lea rsp, [r12 + 40] */
		pop(o, X_R15);
		pop(o, X_R14);
		pop(o, X_R13);
		pop(o, X_R12);
		pop(o, X_RBX);
		pop(o, X_RBP);
	} else {
		n = lean_saves(j, regs);
		frame = lean_frame(j, n);
		if (j->uses_stack)
			mov64(o, X_RSP, X_RBP);
		else if (frame)
			ub_x86_alu_ri(o, X_W, 0, X_RSP, frame);
		while (n--)
			pop(o, regs[n]);
	}
	ub_x86_b(o, 0xc3);
}

static void emit_sub_prologue(const struct ub_jit *j, struct ub_x86_out *o)
{
	push(o, X_RBX);
	push(o, X_R13);
	push(o, X_R14);
	push(o, X_R15);
	push(o, X_RBP);
	mov64(o, X_RBP, X_RSP);
	ub_x86_alu_ri(o, X_W, 5, X_RSP, STACK + (j->has_may_goto ? 16 : 0));
	init_loop_counter(j, o);
}

static void emit_sub_epilogue(struct ub_x86_out *o)
{
	mov64(o, X_RSP, X_RBP);
	pop(o, X_RBP);
	pop(o, X_R15);
	pop(o, X_R14);
	pop(o, X_R13);
	pop(o, X_RBX);
	ub_x86_b(o, 0xc3);
}

/* ---- ALU --------------------------------------------------------------------------------- */

/* Division by zero: div -> 0, mod -> dst unchanged (32-bit: zero-extended). */
static void div_by_zero(struct ub_x86_out *o, int w, int mod, int d)
{
	if (!mod)
		ub_x86_rr(o, 0, 0x31, d, d);
	else if (!w)
		mov32(o, d, d);
}

/* Signed division by -1 (no #DE for INT_MIN / -1): sdiv -> -dst, smod -> 0. */
static void div_by_minus_one(struct ub_x86_out *o, int w, int mod, int d)
{
	if (mod)
		ub_x86_rr(o, 0, 0x31, d, d);
	else
		ub_x86_rr(o, w ? X_W : 0, 0xf7, 3, d);
}

/*
 * dst = dst / src or dst % src, unsigned or signed, 32 or 64 bits. The divisor goes to r11 first,
 * then rax and rdx (BPF r0 and r3) are saved in r9 and r10 around div/idiv.
 */
static void emit_divmod(struct ub_x86_out *o, int w, int sgn, int mod, int d, int s, int32_t imm)
{
	unsigned fl = w ? X_W : 0;
	size_t to_zero = 0, to_norm, done1 = 0, done2 = 0;
	int res = mod ? X_RDX : X_RAX;

	if (s < 0) {
		uint64_t v = w ? (uint64_t)(int64_t)imm : (uint32_t)imm;

		if (v == 0) {
			div_by_zero(o, w, mod, d);
			return;
		}
		if (sgn && imm == -1) {
			div_by_minus_one(o, w, mod, d);
			return;
		}
		ub_x86_mov_imm64(o, X_R11, v);
	} else {
		mov64(o, X_R11, s);
		ub_x86_rr(o, fl, 0x85, X_R11, X_R11);
		to_zero = open8(o, X_CC_E);
		if (sgn) {
			ub_x86_alu_ri(o, fl, 7, X_R11, -1);
			to_norm = open8(o, X_CC_NE);
			div_by_minus_one(o, w, mod, d);
			done1 = open8(o, -1);
			close8(o, to_norm);
		}
	}
	if (d != X_RAX)
		mov64(o, X_R9, X_RAX);
	if (d != X_RDX)
		mov64(o, X_R10, X_RDX);
	if (d != X_RAX)
		mov64(o, X_RAX, d);
	if (sgn) {
		if (w)
			ub_x86_b(o, 0x48);
		ub_x86_b(o, 0x99); /* cqo / cdq */
	} else {
		ub_x86_rr(o, 0, 0x31, X_RDX, X_RDX);
	}
	ub_x86_rr(o, fl, 0xf7, sgn ? 7 : 6, X_R11);
	if (d != res)
		mov64(o, d, res);
	if (d != X_RAX)
		mov64(o, X_RAX, X_R9);
	if (d != X_RDX)
		mov64(o, X_RDX, X_R10);
	if (s >= 0) {
		done2 = open8(o, -1);
		close8(o, to_zero);
		div_by_zero(o, w, mod, d);
		close8(o, done2);
		if (done1)
			close8(o, done1);
	}
}

/* Shift dst by src or imm; the count is masked to the width (x86 does the same with cl). */
static void emit_shift(struct ub_x86_out *o, int w, int ext, int d, int s, int32_t imm)
{
	unsigned fl = w ? X_W : 0;

	if (s < 0) {
		int sh = imm & (w ? 63 : 31);

		if (sh == 0) {
			if (!w)
				mov32(o, d, d);
		} else if (sh == 1) {
			ub_x86_rr(o, fl, 0xd1, ext, d);
		} else {
			ub_x86_rr(o, fl, 0xc1, ext, d);
			ub_x86_b(o, (uint8_t)sh);
		}
		return;
	}
	if (s == X_RCX) {
		ub_x86_rr(o, fl, 0xd3, ext, d);
		return;
	}
	mov64(o, X_R11, X_RCX);
	mov32(o, X_RCX, s);
	if (d == X_RCX) {
		ub_x86_rr(o, fl, 0xd3, ext, X_R11);
		mov64(o, X_RCX, X_R11);
	} else {
		ub_x86_rr(o, fl, 0xd3, ext, d);
		mov64(o, X_RCX, X_R11);
	}
}

/*
 * Peephole: clang often copies a register and then adds to the copy (r0 = r1; r0 += r4). When no
 * jump lands between the two, one lea does both. Returns 1 when it emitted insn cur + 1 too.
 */
static int fuse_mov_add(struct ub_jit *j, struct ub_x86_out *o, const struct userbpf_insn *in)
{
	const struct userbpf_insn *nx = &j->insns[j->cur + 1];
	int d = reg_map[in->dst_reg], s = reg_map[in->src_reg], x;

	if (j->blind || j->cur + 1 >= j->cnt || in->dst_reg == in->src_reg ||
	    (j->iflags[j->cur + 1] & (UB_JIT_I_TARGET | UB_JIT_I_FUNC)) || nx->dst_reg != in->dst_reg)
		return 0;
	if (nx->code == (USERBPF_ALU64 | USERBPF_ADD | USERBPF_K)) {
		ub_x86_rm(o, X_W, 0x8d, d, s, nx->imm); /* lea d, [s + imm] */
		return 1;
	}
	if (nx->code != (USERBPF_ALU64 | USERBPF_ADD | USERBPF_X) || nx->src_reg == nx->dst_reg)
		return 0;
	x = reg_map[nx->src_reg];
	if ((s & 7) == X_RBP) { /* rbp/r13 cannot be a base without a displacement: swap */
		int t = s;

		s = x;
		x = t;
	}
	if ((s & 7) == X_RBP) {
		ub_x86_head(o, X_W, 0x8d, d, x, s); /* lea d, [s + x + 0] */
		ub_x86_b(o, (uint8_t)(0x44 | ((d & 7) << 3)));
		ub_x86_b(o, (uint8_t)(((x & 7) << 3) | (s & 7)));
		ub_x86_b(o, 0);
	} else {
		ub_x86_rmx(o, X_W, 0x8d, d, s, x); /* lea d, [s + x] */
	}
	return 1;
}

static int emit_alu(struct ub_jit *j, struct ub_x86_out *o, const struct userbpf_insn *in)
{
	int w = USERBPF_CLASS(in->code) == USERBPF_ALU64;
	unsigned fl = w ? X_W : 0;
	int d = reg_map[in->dst_reg];
	int s = USERBPF_SRC(in->code) == USERBPF_X ? reg_map[in->src_reg] : -1;
	int32_t imm = in->imm;
	static const struct {
		uint8_t opc, ext;
	} grp1[16] = {
		[USERBPF_ADD >> 4] = { 0x01, 0 }, [USERBPF_OR >> 4] = { 0x09, 1 },
		[USERBPF_AND >> 4] = { 0x21, 4 }, [USERBPF_SUB >> 4] = { 0x29, 5 },
		[USERBPF_XOR >> 4] = { 0x31, 6 },
	};
	int op = USERBPF_OP(in->code);

	switch (op) {
	case USERBPF_ADD:
	case USERBPF_SUB:
	case USERBPF_AND:
	case USERBPF_OR:
	case USERBPF_XOR:
		if (s >= 0)
			ub_x86_rr(o, fl, grp1[op >> 4].opc, s, d);
		else
			ub_x86_alu_ri(o, fl, grp1[op >> 4].ext, d, imm);
		return 0;
	case USERBPF_MUL:
		if (s >= 0) {
			ub_x86_rr(o, fl, 0x0faf, d, s);
		} else if (ub_x86_is_imm8(imm)) {
			ub_x86_rr(o, fl, 0x6b, d, d);
			ub_x86_b(o, (uint8_t)imm);
		} else {
			ub_x86_rr(o, fl, 0x69, d, d);
			ub_x86_d32(o, (uint32_t)imm);
		}
		return 0;
	case USERBPF_DIV:
	case USERBPF_MOD:
		emit_divmod(o, w, in->off == 1, op == USERBPF_MOD, d, s, imm);
		return 0;
	case USERBPF_LSH:
		emit_shift(o, w, 4, d, s, imm);
		return 0;
	case USERBPF_RSH:
		emit_shift(o, w, 5, d, s, imm);
		return 0;
	case USERBPF_ARSH:
		emit_shift(o, w, 7, d, s, imm);
		return 0;
	case USERBPF_MOV:
		if (s < 0)
			ub_x86_mov_imm64(o, d, w ? (uint64_t)(int64_t)imm : (uint32_t)imm);
		else if (w && fuse_mov_add(j, o, in))
			j->fused_next = 1;
		else if (!w)
			mov32(o, d, s);
		else if (d != s)
			mov64(o, d, s);
		return 0;
	}
	j->err = UB_BUG(j->log, "jit: insn %zu: unhandled ALU op 0x%02x", j->cur, in->code);
	return j->err;
}

static void emit_movsx(struct ub_x86_out *o, const struct userbpf_insn *in)
{
	int w = USERBPF_CLASS(in->code) == USERBPF_ALU64;
	int d = reg_map[in->dst_reg], s = reg_map[in->src_reg];

	if (in->off == 8)
		ub_x86_rr(o, (w ? X_W : 0) | X_BYTE, 0x0fbe, d, s);
	else if (in->off == 16)
		ub_x86_rr(o, w ? X_W : 0, 0x0fbf, d, s);
	else
		ub_x86_rr(o, X_W, 0x63, d, s); /* movsxd */
}

static void emit_end(struct ub_x86_out *o, const struct userbpf_insn *in)
{
	int d = reg_map[in->dst_reg];

	if (in->code == (USERBPF_ALU | USERBPF_END | USERBPF_TO_LE)) {
		/* Little-endian host: to-LE only truncates to the width. */
		if (in->imm == 16)
			ub_x86_rr(o, 0, 0x0fb7, d, d);
		else if (in->imm == 32)
			mov32(o, d, d);
		return;
	}
	if (in->imm == 16) {
		ub_x86_rr(o, X_P66, 0xc1, 0, d); /* rol r16, 8 */
		ub_x86_b(o, 8);
		ub_x86_rr(o, 0, 0x0fb7, d, d);
	} else {
		ub_x86_head(o, in->imm == 64 ? X_W : 0, 0x0fc8 + (d & 7), 0, 0, d); /* bswap */
	}
}

/* ---- jumps and calls ------------------------------------------------------------------- */

static int jmp_cc(int op)
{
	switch (op) {
	case USERBPF_JEQ:
		return X_CC_E;
	case USERBPF_JNE:
	case USERBPF_JSET:
		return X_CC_NE;
	case USERBPF_JGT:
		return X_CC_A;
	case USERBPF_JGE:
		return X_CC_AE;
	case USERBPF_JLT:
		return X_CC_B;
	case USERBPF_JLE:
		return X_CC_BE;
	case USERBPF_JSGT:
		return X_CC_G;
	case USERBPF_JSGE:
		return X_CC_GE;
	case USERBPF_JSLT:
		return X_CC_L;
	default:
		return X_CC_LE;
	}
}

static void emit_cond_jump(struct ub_jit *j, struct ub_x86_out *o, const struct userbpf_insn *in)
{
	unsigned fl = USERBPF_CLASS(in->code) == USERBPF_JMP ? X_W : 0;
	int d = reg_map[in->dst_reg];
	int op = USERBPF_OP(in->code);

	if (USERBPF_SRC(in->code) == USERBPF_X) {
		ub_x86_rr(o, fl, op == USERBPF_JSET ? 0x85 : 0x39, reg_map[in->src_reg], d);
	} else if (op == USERBPF_JSET) {
		ub_x86_rr(o, fl, 0xf7, 0, d); /* test r/m, imm32 */
		ub_x86_d32(o, (uint32_t)in->imm);
	} else if (in->imm == 0) {
		ub_x86_rr(o, fl, 0x85, d, d); /* same flags as cmp d, 0 */
	} else {
		ub_x86_alu_ri(o, fl, 7, d, in->imm);
	}
	emit_jump(j, o, jmp_cc(op), j->addrs[j->cur + 1 + in->off], 0);
}

/* call to an absolute host address: call rel32 when in reach, else movabs r11 + call r11. */
static void emit_call_abs(struct ub_jit *j, struct ub_x86_out *o, const void *fn)
{
	int64_t rel;

	if (j->indirect_calls) {
		ub_x86_movabs(o, X_R11, (uint64_t)(uintptr_t)fn);
		ub_x86_rr(o, 0, 0xff, 2, X_R11);
		return;
	}
	rel = (int64_t)(uintptr_t)fn - (int64_t)(j->base + o->n + 5);
	if (j->final && !ub_x86_is_simm32(rel) && !j->err)
		j->err = -ERANGE; /* the driver retries with indirect calls */
	ub_x86_b(o, 0xe8);
	ub_x86_d32(o, j->final ? (uint32_t)(int32_t)rel : 0);
}

/*
 * bpf_tail_call(ctx, map, index): the shim returns the target's entry (or 0: no such program,
 * limit of 33 reached, go on). On success the whole run's frame is torn down and the target is
 * entered with r1 = ctx, r2 = len, as userbpf_prog_run() would enter it; its return value is the
 * run's. (From a subprogram too: the run, not just the subprogram, is replaced.)
 */
static void emit_tail_call(struct ub_jit *j, struct ub_x86_out *o)
{
	size_t skip;

	emit_call_abs(j, o, (const void *)ub_jit_tail_call_target);
	ub_x86_rr(o, X_W, 0x85, X_RAX, X_RAX);
	skip = open8(o, X_CC_E);
	mov64(o, X_R11, X_RAX);
	ub_x86_rm(o, X_W, 0x8b, X_RDI, X_R12, RC_CTX);
	ub_x86_rm(o, X_W, 0x8b, X_RSI, X_R12, RC_LEN);
	ub_x86_rm(o, X_W, 0x8d, X_RSP, X_R12, RC_SIZE);
	pop(o, X_R15);
	pop(o, X_R14);
	pop(o, X_R13);
	pop(o, X_R12);
	pop(o, X_RBX);
	pop(o, X_RBP);
	ub_x86_rr(o, 0, 0xff, 4, X_R11); /* jmp r11 */
	close8(o, skip);
}

static int emit_call_helper(struct ub_jit *j, struct ub_x86_out *o, const struct userbpf_insn *in)
{
	const struct userbpf_env *env = j->prog->env;

	if (in->imm < 0 || in->imm >= USERBPF_MAX_HELPER_ID || !env->helpers[in->imm].fn) {
		ub_err(j->log, "jit: insn %zu: call to unknown helper %d", j->cur, in->imm);
		return -EINVAL;
	}
	if (in->imm == UB_JIT_TAIL_CALL_ID) {
		emit_tail_call(j, o);
		return 0;
	}
	emit_call_abs(j, o, (const void *)env->helpers[in->imm].fn);
	return 0;
}

static void emit_call_local(struct ub_jit *j, struct ub_x86_out *o, const struct userbpf_insn *in)
{
	ub_x86_rm(o, 0, 0x83, 7, X_R12, RC_DEPTH); /* cmp dword [r12+16], 7 */
	ub_x86_b(o, USERBPF_MAX_FRAMES - 1);
	emit_jump(j, o, X_CC_AE, j->stub, 1);
	ub_x86_rm(o, 0, 0x83, 0, X_R12, RC_DEPTH); /* add dword [r12+16], 1 */
	ub_x86_b(o, 1);
	ub_x86_b(o, 0xe8);
	ub_x86_d32(o, (uint32_t)(int32_t)((int64_t)j->fentry[j->cur + 1 + in->imm] -
					  (here(j, o) + 4)));
	ub_x86_rm(o, 0, 0x83, 5, X_R12, RC_DEPTH); /* sub dword [r12+16], 1 */
	ub_x86_b(o, 1);
}

/* callx: the helper id is in dst; out of range or unregistered ends the run with 0. */
static void emit_callx(struct ub_jit *j, struct ub_x86_out *o, const struct userbpf_insn *in)
{
	mov64(o, X_R11, reg_map[ub_isa_callx_reg(in)]); /* dst, or imm in LLVM < 19's encoding */
	ub_x86_alu_ri(o, X_W, 7, X_R11, USERBPF_MAX_HELPER_ID);
	emit_jump(j, o, X_CC_AE, j->stub, 1);
	ub_x86_rr(o, X_W, 0x6b, X_R11, X_R11); /* imul r11, r11, sizeof(struct ub_helper) */
	ub_x86_b(o, (uint8_t)sizeof(struct ub_helper));
	ub_x86_movabs(o, X_R10, (uint64_t)(uintptr_t)j->prog->env->helpers);
	ub_x86_rmx(o, X_W, 0x8b, X_R11, X_R10, X_R11);
	ub_x86_rr(o, X_W, 0x85, X_R11, X_R11);
	emit_jump(j, o, X_CC_E, j->stub, 1);
	ub_x86_rr(o, 0, 0xff, 2, X_R11);
}

static void emit_may_goto(struct ub_jit *j, struct ub_x86_out *o, const struct userbpf_insn *in)
{
	ub_x86_rm(o, X_W, 0x83, 7, X_RBP, LOOP_SLOT); /* cmp qword [rbp-520], 0 */
	ub_x86_b(o, 0);
	emit_jump(j, o, X_CC_E, j->addrs[j->cur + 1 + in->off], 0);
	ub_x86_rm(o, X_W, 0x83, 5, X_RBP, LOOP_SLOT); /* sub qword [rbp-520], 1 */
	ub_x86_b(o, 1);
}

/* ---- memory ------------------------------------------------------------------------------ */

static void emit_load(struct ub_x86_out *o, int size, int sx, int d, int base, int32_t off)
{
	static const uint32_t zx[4] = { 0x0fb6, 0x0fb7, 0x8b, 0x8b };
	static const uint32_t sxop[4] = { 0x0fbe, 0x0fbf, 0x63, 0x8b };
	int k = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;

	ub_x86_rm(o, (sx || size == 8) ? X_W : 0, sx ? sxop[k] : zx[k], d, base, off);
}

static void emit_store_reg(struct ub_x86_out *o, int size, int base, int32_t off, int s)
{
	static const unsigned fl[4] = { X_BYTE, X_P66, 0, X_W };
	int k = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;

	ub_x86_rm(o, fl[k], size == 1 ? 0x88 : 0x89, s, base, off);
}

static void emit_store_imm(struct ub_x86_out *o, int size, int base, int32_t off, int32_t imm)
{
	if (size == 1) {
		ub_x86_rm(o, 0, 0xc6, 0, base, off);
		ub_x86_b(o, (uint8_t)imm);
	} else if (size == 2) {
		ub_x86_rm(o, X_P66, 0xc7, 0, base, off);
		ub_x86_d16(o, (uint16_t)imm);
	} else {
		ub_x86_rm(o, size == 8 ? X_W : 0, 0xc7, 0, base, off);
		ub_x86_d32(o, (uint32_t)imm);
	}
}

static void emit_atomic(struct ub_x86_out *o, const struct userbpf_insn *in)
{
	unsigned fl = USERBPF_SIZE(in->code) == USERBPF_DW ? X_W : 0;
	int d = reg_map[in->dst_reg], s = reg_map[in->src_reg];
	int aop = in->imm & ~USERBPF_FETCH;
	uint8_t opc = aop == USERBPF_ADD ? 0x01 : aop == USERBPF_OR ? 0x09 :
		      aop == USERBPF_AND ? 0x21 : 0x31;
	int base, sv;
	size_t loop;

	if (in->imm == USERBPF_XCHG) {
		ub_x86_rm(o, fl, 0x87, s, d, in->off);
		return;
	}
	if (in->imm == USERBPF_CMPXCHG) {
		ub_x86_rm(o, fl | X_LOCK, 0x0fb1, s, d, in->off);
		if (!fl)
			mov32(o, X_RAX, X_RAX); /* a successful 32-bit cmpxchg leaves rax's top alone */
		return;
	}
	if (!(in->imm & USERBPF_FETCH)) {
		ub_x86_rm(o, fl | X_LOCK, opc, s, d, in->off);
		return;
	}
	if (aop == USERBPF_ADD) {
		ub_x86_rm(o, fl | X_LOCK, 0x0fc1, s, d, in->off); /* lock xadd */
		return;
	}
	/* fetch or/and/xor: a cmpxchg loop in rax (BPF r0, saved in r10). */
	mov64(o, X_R10, X_RAX);
	base = d == X_RAX ? X_R10 : d;
	sv = s == X_RAX ? X_R10 : s;
	ub_x86_rm(o, fl, 0x8b, X_RAX, base, in->off);
	loop = o->n;
	mov64(o, X_R11, X_RAX);
	ub_x86_rr(o, fl, opc, sv, X_R11);
	ub_x86_rm(o, fl | X_LOCK, 0x0fb1, X_R11, base, in->off);
	ub_x86_b(o, 0x70 | X_CC_NE);
	ub_x86_b(o, (uint8_t)(loop - (o->n + 1)));
	if (s != X_RAX) {
		mov64(o, s, X_RAX);
		mov64(o, X_RAX, X_R10);
	}
}

/* ld_abs / ld_ind: r0 = ntoh(*(size *)(ctx + off)) when off..off+size-1 lies inside the ctx. */
static void emit_ld_pkt(struct ub_jit *j, struct ub_x86_out *o, const struct userbpf_insn *in,
			int ind)
{
	int size = (int)ub_isa_mem_size(ub_isa_decode(in));

	if (ind) {
		/* Linux: offset = (s32)((u32)src + (u32)imm) */
		mov32(o, X_R10, reg_map[in->src_reg]);
		ub_x86_alu_ri(o, 0, 0, X_R10, in->imm);
		ub_x86_rr(o, X_W, 0x63, X_R10, X_R10); /* movsxd r10, r10d */
	} else {
		ub_x86_mov_imm64(o, X_R10, (uint64_t)(int64_t)in->imm);
	}
	ub_x86_rr(o, X_W, 0x85, X_R10, X_R10);
	emit_jump(j, o, X_CC_S, j->stub, 1);
	ub_x86_rm(o, X_W, 0x8d, X_R11, X_R10, size);     /* lea r11, [r10 + size] */
	ub_x86_rm(o, X_W, 0x3b, X_R11, X_R12, RC_LEN);   /* cmp r11, [r12 + 8] */
	emit_jump(j, o, X_CC_A, j->stub, 1);
	ub_x86_rm(o, X_W, 0x8b, X_R11, X_R12, RC_CTX);
	if (size == 1) {
		ub_x86_rmx(o, 0, 0x0fb6, X_RAX, X_R11, X_R10);
	} else if (size == 2) {
		ub_x86_rmx(o, 0, 0x0fb7, X_RAX, X_R11, X_R10);
		ub_x86_rr(o, X_P66, 0xc1, 0, X_RAX);
		ub_x86_b(o, 8);
	} else {
		ub_x86_rmx(o, 0, 0x8b, X_RAX, X_R11, X_R10);
		ub_x86_b(o, 0x0f);
		ub_x86_b(o, 0xc8);
	}
}

static int emit_lddw(struct ub_jit *j, struct ub_x86_out *o, const struct userbpf_insn *in)
{
	struct userbpf_prog *prog = j->prog;
	int d = reg_map[in->dst_reg];
	uint64_t v = ub_isa_imm64(in);
	size_t target;

	switch (in->src_reg) {
	case USERBPF_PSEUDO_IMM64:
		if (j->blind) {
			uint64_t r = ((uint64_t)ub_jit_blind_rand(j) << 32) | ub_jit_blind_rand(j);

			ub_x86_movabs(o, d, v ^ r);
			ub_x86_movabs(o, X_R10, r);
			ub_x86_rr(o, X_W, 0x31, X_R10, d);
		} else {
			ub_x86_mov_imm64(o, d, v);
		}
		return 0;
	case USERBPF_PSEUDO_MAP_FD:
	case USERBPF_PSEUDO_MAP_IDX:
		if ((uint32_t)in->imm >= prog->map_cnt) {
			ub_err(j->log, "jit: insn %zu: map index %d out of range (program has %zu maps)",
			       j->cur, in->imm, prog->map_cnt);
			return -EINVAL;
		}
		ub_x86_movabs(o, d, (uint64_t)(uintptr_t)prog->maps[in->imm]);
		return 0;
	case USERBPF_PSEUDO_MAP_VALUE:
	case USERBPF_PSEUDO_MAP_IDX_VALUE:
		if ((uint32_t)in->imm >= prog->map_cnt) {
			ub_err(j->log, "jit: insn %zu: map index %d out of range (program has %zu maps)",
			       j->cur, in->imm, prog->map_cnt);
			return -EINVAL;
		}
		if (ub_map_direct_value_addr(prog->maps[in->imm], (uint32_t)in[1].imm, &v)) {
			ub_err(j->log, "jit: insn %zu: map %d has no value at offset %d (not an array, "
			       "or the offset is outside the value)", j->cur, in->imm, in[1].imm);
			return -EINVAL;
		}
		ub_x86_movabs(o, d, v);
		return 0;
	case USERBPF_PSEUDO_FUNC:
		target = j->cur + 1 + (size_t)(int64_t)in->imm;
		ub_x86_movabs(o, d, j->base + j->fentry[target]);
		return 0;
	default:
		ub_err(j->log, "jit: insn %zu: lddw with src %u (%s) is not supported: no host "
		       "variables are registered", j->cur, in->src_reg,
		       in->src_reg == USERBPF_PSEUDO_BTF_ID ? "BTF id" : "unknown");
		return -EINVAL;
	}
}

/* ---- one instruction --------------------------------------------------------------------- */

/* Constant blinding: imm operands become (imm ^ r) ^ r computed in AX, then the register form. */
static int blind_rewrite(struct ub_jit *j, struct ub_x86_out *o, struct userbpf_insn *in, int fmt)
{
	uint32_t r;

	if (fmt != UB_F_ALU_K && fmt != UB_F_JMP_K && fmt != UB_F_ST)
		return 0;
	r = ub_jit_blind_rand(j);
	ub_x86_rr(o, X_W, 0xc7, 0, X_R10); /* mov r10, simm32 (imm ^ r) */
	ub_x86_d32(o, (uint32_t)in->imm ^ r);
	ub_x86_rr(o, X_W, 0x81, 6, X_R10); /* xor r10, simm32 r: sign extension commutes with ^ */
	ub_x86_d32(o, r);
	if (fmt == UB_F_ST)
		in->code = (uint8_t)((in->code & ~0x07) | USERBPF_STX);
	else
		in->code |= USERBPF_X;
	in->src_reg = UB_JIT_REG_AX;
	in->imm = 0;
	return 1;
}

static int emit_insn(struct ub_jit *j, struct ub_x86_out *o, const struct userbpf_insn *orig)
{
	struct userbpf_insn in = *orig;
	int id = ub_isa_decode(&in);
	int fmt, size;

	if (id < 0)
		return UB_BUG(j->log, "jit: insn %zu: undecodable opcode 0x%02x", j->cur, in.code);
	fmt = ub_insn_table[id].fmt;
	if (j->blind && blind_rewrite(j, o, &in, fmt))
		fmt = fmt == UB_F_ST ? UB_F_STX : fmt == UB_F_ALU_K ? UB_F_ALU_X : UB_F_JMP_X;
	size = (int)ub_isa_mem_size(id);

	switch (fmt) {
	case UB_F_ALU_K:
	case UB_F_ALU_X:
		return emit_alu(j, o, &in);
	case UB_F_NEG:
		ub_x86_rr(o, USERBPF_CLASS(in.code) == USERBPF_ALU64 ? X_W : 0, 0xf7, 3,
			  reg_map[in.dst_reg]);
		return 0;
	case UB_F_MOVSX:
		emit_movsx(o, &in);
		return 0;
	case UB_F_END:
		emit_end(o, &in);
		return 0;
	case UB_F_JA:
		if (in.off)
			emit_jump(j, o, -1, j->addrs[j->cur + 1 + in.off], 0);
		return 0;
	case UB_F_JA32:
		if (in.imm)
			emit_jump(j, o, -1, j->addrs[(size_t)((int64_t)j->cur + 1 + in.imm)], 0);
		return 0;
	case UB_F_JMP_K:
	case UB_F_JMP_X:
		emit_cond_jump(j, o, &in);
		return 0;
	case UB_F_CALL:
		return emit_call_helper(j, o, &in);
	case UB_F_CALL_LOCAL:
		emit_call_local(j, o, &in);
		return 0;
	case UB_F_CALL_KFUNC:
		ub_err(j->log, "jit: insn %zu: kfunc call %d: host functions are not supported by "
		       "the JIT", j->cur, in.imm);
		return -EINVAL;
	case UB_F_CALLX:
		emit_callx(j, o, &in);
		return 0;
	case UB_F_EXIT:
		if (j->iflags[j->cur] & UB_JIT_I_MAIN)
			emit_main_epilogue(j, o);
		else
			emit_sub_epilogue(o);
		return 0;
	case UB_F_MAY_GOTO:
		emit_may_goto(j, o, &in);
		return 0;
	case UB_F_LDX:
		emit_load(o, size, USERBPF_MODE(in.code) == USERBPF_MEMSX, reg_map[in.dst_reg],
			  reg_map[in.src_reg], in.off);
		return 0;
	case UB_F_LOAD_ACQ: /* x86-TSO: every load is an acquire */
		emit_load(o, size, 0, reg_map[in.dst_reg], reg_map[in.src_reg], in.off);
		return 0;
	case UB_F_ST:
		emit_store_imm(o, size, reg_map[in.dst_reg], in.off, in.imm);
		return 0;
	case UB_F_STX:
	case UB_F_STORE_REL: /* x86-TSO: every store is a release */
		emit_store_reg(o, size, reg_map[in.dst_reg], in.off, reg_map[in.src_reg]);
		return 0;
	case UB_F_ATOMIC:
		emit_atomic(o, &in);
		return 0;
	case UB_F_LDDW:
		return emit_lddw(j, o, orig);
	case UB_F_LDABS:
	case UB_F_LDIND:
		emit_ld_pkt(j, o, &in, fmt == UB_F_LDIND);
		return 0;
	}
	return UB_BUG(j->log, "jit: insn %zu: format %d has no emitter", j->cur, fmt);
}

int ub_x86_emit_prog(struct ub_jit *j)
{
	struct ub_x86_out o;
	int err;

	j->len = 0;
	j->err = 0;
	j->fused_next = 0;
	for (size_t i = 0; i < j->cnt; i++) {
		if (ub_jit_reserve(j, MAX_INSN_BYTES + 128))
			return -ENOMEM;
		o = (struct ub_x86_out){ j->buf, j->len };
		j->cur = i;
		if (j->iflags[i] & UB_JIT_I_FUNC) {
			j->nfentry[i] = (uint32_t)o.n;
			if (i == 0)
				emit_main_prologue(j, &o);
			else
				emit_sub_prologue(j, &o);
		}
		j->naddrs[i] = (uint32_t)o.n;
		j->insn_start = (uint32_t)o.n;
		if (j->fused_next) {
			j->fused_next = 0; /* emitted with the instruction before */
		} else if (!(j->iflags[i] & UB_JIT_I_SECOND)) {
			err = emit_insn(j, &o, &j->insns[i]);
			if (err)
				return err;
			if (o.n - j->insn_start > MAX_INSN_BYTES)
				return UB_BUG(j->log, "jit: insn %zu: %zu bytes of code", i,
					      o.n - j->insn_start);
		}
		j->len = o.n;
	}
	j->naddrs[j->cnt] = (uint32_t)j->len;
	if (ub_jit_reserve(j, 64))
		return -ENOMEM;
	o = (struct ub_x86_out){ j->buf, j->len };
	j->nstub = (uint32_t)o.n;
	if (j->full_frame) {
		ub_x86_rr(&o, 0, 0x31, X_RAX, X_RAX);
		emit_main_epilogue(j, &o);
	}
	if (j->has_callbacks) {
		/*
		 * uint64_t entry(fn, r1, r2, r3, r4, r5), called from C by ub_jit_callback(): a run
		 * context of its own (no packet, depth 0), the BPF arguments into place, call fn.
		 */
		j->cb_entry = (uint32_t)o.n;
		push(&o, X_RBP);
		push(&o, X_RBX);
		push(&o, X_R12);
		push(&o, X_R13);
		push(&o, X_R14);
		push(&o, X_R15);
		ub_x86_alu_ri(&o, X_W, 5, X_RSP, RC_SIZE);
		mov64(&o, X_R12, X_RSP);
		for (int off = 0; off < RC_SIZE; off += 8) {
			ub_x86_rm(&o, X_W, 0xc7, 0, X_R12, off);
			ub_x86_d32(&o, 0);
		}
		mov64(&o, X_R11, X_RDI);
		mov64(&o, X_RDI, X_RSI);
		mov64(&o, X_RSI, X_RDX);
		mov64(&o, X_RDX, X_RCX);
		mov64(&o, X_RCX, X_R8);
		mov64(&o, X_R8, X_R9);
		ub_x86_rr(&o, 0, 0xff, 2, X_R11); /* call r11 */
		emit_main_epilogue(j, &o);
	}
	j->len = o.n;
	return j->err;
}
