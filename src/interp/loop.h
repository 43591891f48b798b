/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loop.h: the interpreter loop body, included twice by interp.c: once with UB_CHECKED 1
 * (unverified programs: every memory access bounds-checked, instruction budget) and once with
 * UB_CHECKED 0 (verified programs: no checks). UB_LOOP names the function.
 *
 * Dispatch is threaded: every predecoded instruction holds the address of its handler, and each
 * handler ends with `goto *x->op` for the next one, so every handler has its own indirect branch
 * (better prediction than one shared switch). The handler table is generated from opcodes.def:
 * a row without an `op_<ROW>:` label here is a compile error.
 *
 * The run allocates nothing: registers, the frames and the 8 x 512-byte stack live on the C
 * stack of this function.
 */

#ifndef UB_CHECKED
#error "define UB_CHECKED and UB_LOOP before including loop.h"
#endif

static int UB_LOOP(const struct userbpf_prog *prog, const struct ub_interp *ip, void *mem,
		   size_t len, uint64_t *retval, uint64_t *executed, const void *const **labels,
		   const struct ub_entry *entry)
{
	static const void *const table[UB_I_COUNT + 1] = {
#define UB_INSN(id, code, match, mval, fmt, cname, op) [UB_I_##id] = &&op_##id,
#include "isa/opcodes.def"
#undef UB_INSN
		[UB_I_COUNT] = &&op_BUG,
	};
	/* Every frame's 512 bytes, frame 0 at the top; r10 of frame k is top - 512 * k. */
	uint64_t stack[UB_MAX_FRAMES * USERBPF_STACK_SIZE / 8] __attribute__((aligned(16)));
	struct {
		const struct ub_xinsn *ret;
		const struct userbpf_prog *prog; /* a tail call may have switched programs */
		const struct ub_interp *ip;
		uint64_t r6, r7, r8, r9, fp;
		uint32_t may_goto;
	} frames[UB_MAX_FRAMES];
	uint64_t r[USERBPF_NREGS];
	const struct ub_xinsn *x;
	unsigned depth = 0, depth_base = 0; /* depth_base: frames of the callers of a callback */
	uint32_t may_goto = UB_MAY_GOTO_INIT;
	uint64_t addr;
	struct ub_cb_env cb; /* published while a helper may call back into this run */
#if UB_CHECKED
	struct ub_checked_mem cm;
	uint64_t left, budget;
	const char *f_kind = "";
	unsigned f_size = 0;
	int f_reg = 0;
#endif

	if (labels) {
		*labels = table;
		return 0;
	}
	memset(r, 0, sizeof(r));
	r[10] = (uint64_t)(uintptr_t)stack + sizeof(stack);
	x = ip->code;
	if (!entry) {
		r[1] = (uint64_t)(uintptr_t)mem;
		r[2] = len;
		if (ip->has_callbacks && ub_run_current) {
			ub_run_current->callback = ub_interp_callback;
			ub_run_current->engine = NULL;
		}
	} else {
		/* A callback: its own frame on top of its callers' frames. */
		x = ip->code + entry->pc;
		depth_base = entry->env->depth;
		if (depth_base >= UB_MAX_FRAMES)
			goto too_deep;
		memcpy(&r[1], entry->args, sizeof(entry->args));
	}
#if UB_CHECKED
	/* Unverified code may read stack it never wrote: never show it host bytes. */
	memset((char *)stack + sizeof(stack) - USERBPF_STACK_SIZE, 0, USERBPF_STACK_SIZE);
	cm.stack_top = r[10];
	cm.stack_lo = r[10] - USERBPF_STACK_SIZE;
	cm.mem_lo = (uint64_t)(uintptr_t)mem;
	cm.mem_len = mem ? len : 0;
	cm.extra = ip->regions;
	cm.extra_cnt = ip->region_cnt;
	cm.run_extra = (struct ub_region){ 0, 0 };
	if (ub_run_current)
		cm.run_extra = (struct ub_region){ ub_run_current->extra_lo,
						   ub_run_current->extra_len };
	cm.dyn_cnt = cm.dyn_next = 0;
	budget = left = entry ? entry->env->left : prog->insn_budget;
	if (entry) /* the callers' stack: a callback gets pointers into it (bpf_loop's ctx) */
		cm.dyn[cm.dyn_cnt++] = (struct ub_region){ entry->env->stack_lo,
							   entry->env->stack_top -
								   entry->env->stack_lo };
	for (unsigned i = 0; entry && i < entry->mem_cnt; i++)
		cm.dyn[cm.dyn_cnt++] = entry->mem[i];
	cm.dyn_next = cm.dyn_cnt;
#else
	(void)executed;
#endif

#if UB_CHECKED
#define DISPATCH()                                                                              \
	do {                                                                                    \
		if (__builtin_expect(left-- == 0, 0))                                           \
			goto out_of_budget;                                                     \
		goto *x->op;                                                                    \
	} while (0)
	/* Is [a, a + n) inside the stack, the input memory, or one of the program's regions? */
#define IN_REGIONS(a, n) ub_cm_ok(&cm, (a), (n))
#define CHECK_MEM(a, n, kind, reg)                                                              \
	do {                                                                                    \
		if (__builtin_expect(!IN_REGIONS(a, n), 0)) {                                   \
			f_kind = (kind), f_size = (n), f_reg = (reg);                           \
			goto fault;                                                             \
		}                                                                               \
	} while (0)
#define CHECK_ATOMIC(a, n, kind, reg)                                                           \
	do {                                                                                    \
		CHECK_MEM(a, n, kind, reg);                                                     \
		if (__builtin_expect((a) & ((n) - 1), 0)) {                                     \
			f_kind = (kind), f_size = (n), f_reg = (reg);                           \
			goto misaligned;                                                        \
		}                                                                               \
	} while (0)
#else
#define DISPATCH() goto *x->op
#define CHECK_MEM(a, n, kind, reg) do { } while (0)
#define CHECK_ATOMIC(a, n, kind, reg) do { } while (0)
#endif
#define NEXT()                                                                                  \
	do {                                                                                    \
		x++;                                                                            \
		DISPATCH();                                                                     \
	} while (0)
#define JUMP_IF(cond)                                                                           \
	do {                                                                                    \
		if (cond)                                                                       \
			x += x->off;                                                            \
		NEXT();                                                                         \
	} while (0)
#define DST r[x->dst]
#define SRC r[x->src]
#define IMM64 ((uint64_t)(int64_t)x->imm)
#define IMM32 ((uint32_t)x->imm)

	DISPATCH();

	/* ---- ALU: dst = dst OP operand, 32-bit forms zero the upper half ---- */
#define ALU4(N, OP)                                                                             \
	op_##N##64_IMM : DST = DST OP IMM64;                                                    \
	NEXT();                                                                                 \
	op_##N##64_REG : DST = DST OP SRC;                                                      \
	NEXT();                                                                                 \
	op_##N##32_IMM : DST = (uint32_t)((uint32_t)DST OP IMM32);                              \
	NEXT();                                                                                 \
	op_##N##32_REG : DST = (uint32_t)((uint32_t)DST OP (uint32_t)SRC);                      \
	NEXT();
	ALU4(ADD, +)
	ALU4(SUB, -)
	ALU4(MUL, *)
	ALU4(OR, |)
	ALU4(AND, &)
	ALU4(XOR, ^)
#undef ALU4

	/* Shifts mask their amount, as Linux and every JIT do. */
#define SHIFT4(N, EXPR64, EXPR32)                                                               \
	op_##N##64_IMM : { uint64_t s_ = IMM64 & 63; DST = (EXPR64); NEXT(); }                  \
	op_##N##64_REG : { uint64_t s_ = SRC & 63; DST = (EXPR64); NEXT(); }                    \
	op_##N##32_IMM : { uint32_t s_ = IMM32 & 31; DST = (uint32_t)(EXPR32); NEXT(); }        \
	op_##N##32_REG : { uint32_t s_ = (uint32_t)SRC & 31; DST = (uint32_t)(EXPR32); NEXT(); }
	SHIFT4(LSH, DST << s_, (uint32_t)DST << s_)
	SHIFT4(RSH, DST >> s_, (uint32_t)DST >> s_)
	SHIFT4(ARSH, (uint64_t)((int64_t)DST >> s_), (uint32_t)((int32_t)DST >> s_))
#undef SHIFT4

	/* Division and modulo: the helpers in interp.c hold the Linux rules for 0 and -1. */
#define DIV4(N, F64, F32)                                                                       \
	op_##N##64_IMM : DST = F64(DST, IMM64);                                                 \
	NEXT();                                                                                 \
	op_##N##64_REG : DST = F64(DST, SRC);                                                   \
	NEXT();                                                                                 \
	op_##N##32_IMM : DST = F32((uint32_t)DST, IMM32);                                       \
	NEXT();                                                                                 \
	op_##N##32_REG : DST = F32((uint32_t)DST, (uint32_t)SRC);                               \
	NEXT();
	DIV4(DIV, udiv64, udiv32)
	DIV4(MOD, umod64, umod32)
	DIV4(SDIV, sdiv64, sdiv32)
	DIV4(SMOD, smod64, smod32)
#undef DIV4

op_MOV64_IMM:
	DST = IMM64;
	NEXT();
op_MOV64_REG:
	DST = SRC;
	NEXT();
op_MOV32_IMM:
	DST = IMM32;
	NEXT();
op_MOV32_REG:
	DST = (uint32_t)SRC;
	NEXT();
op_MOVSX64_8:
	DST = (uint64_t)(int64_t)(int8_t)SRC;
	NEXT();
op_MOVSX64_16:
	DST = (uint64_t)(int64_t)(int16_t)SRC;
	NEXT();
op_MOVSX64_32:
	DST = (uint64_t)(int64_t)(int32_t)SRC;
	NEXT();
op_MOVSX32_8:
	DST = (uint32_t)(int32_t)(int8_t)SRC;
	NEXT();
op_MOVSX32_16:
	DST = (uint32_t)(int32_t)(int16_t)SRC;
	NEXT();
op_NEG64:
	DST = -DST;
	NEXT();
op_NEG32:
	DST = (uint32_t)-(uint32_t)DST;
	NEXT();

	/* Byte order (little-endian host): to_le truncates, to_be and bswap swap. */
op_LE16:
	DST = (uint16_t)DST;
	NEXT();
op_LE32:
	DST = (uint32_t)DST;
	NEXT();
op_LE64:
	NEXT();
op_BE16:
op_BSWAP16:
	DST = __builtin_bswap16((uint16_t)DST);
	NEXT();
op_BE32:
op_BSWAP32:
	DST = __builtin_bswap32((uint32_t)DST);
	NEXT();
op_BE64:
op_BSWAP64:
	DST = __builtin_bswap64(DST);
	NEXT();

	/* ---- Jumps: 64-bit forms sign-extend imm; 32-bit forms compare the low halves ---- */
op_JA:
	x += x->off;
	NEXT();
op_JA32:
	x += x->imm;
	NEXT();
#define JMP4(N, OP, T64, T32)                                                                   \
	op_##N##_IMM : JUMP_IF((T64)DST OP(T64) IMM64);                                         \
	op_##N##_REG : JUMP_IF((T64)DST OP(T64) SRC);                                           \
	op_##N##32_IMM : JUMP_IF((T32)DST OP(T32) x->imm);                                      \
	op_##N##32_REG : JUMP_IF((T32)DST OP(T32) SRC);
	JMP4(JEQ, ==, uint64_t, uint32_t)
	JMP4(JNE, !=, uint64_t, uint32_t)
	JMP4(JGT, >, uint64_t, uint32_t)
	JMP4(JGE, >=, uint64_t, uint32_t)
	JMP4(JLT, <, uint64_t, uint32_t)
	JMP4(JLE, <=, uint64_t, uint32_t)
	JMP4(JSET, &, uint64_t, uint32_t)
	JMP4(JSGT, >, int64_t, int32_t)
	JMP4(JSGE, >=, int64_t, int32_t)
	JMP4(JSLT, <, int64_t, int32_t)
	JMP4(JSLE, <=, int64_t, int32_t)
#undef JMP4

op_MAY_GOTO:
	/* Linux: a per-frame counter; when it is used up the jump is taken. */
	if (may_goto == 0)
		x += x->off;
	else
		may_goto--;
	NEXT();

	/* ---- Calls ---- */
op_CALL_HELPER: {
	const struct ub_call *c = &ip->calls[x->imm];

	if (__builtin_expect(!c->fn, 0))
		goto unknown_helper;
#if UB_CHECKED
	if (c->proto) {
		int err = ub_cm_check_call(prog, &cm, c, r, (size_t)(x - ip->code), mem);

		if (err)
			return err;
	}
#endif
	if (__builtin_expect(c->callback, 0)) {
		void *saved;

		if (!ub_run_current)
			goto no_run;
		cb.prog = prog;
		cb.call = c;
		cb.depth = depth_base + depth + 1;
		cb.mem = mem;
		cb.len = len;
		cb.err = 0;
#if UB_CHECKED
		cb.stack_lo = cm.stack_lo;
		cb.stack_top = cm.stack_top;
		cb.left = left;
#endif
		saved = ub_run_current->engine;
		ub_run_current->engine = &cb;
		r[0] = c->fn(r[1], r[2], r[3], r[4], r[5]);
		ub_run_current->engine = saved;
		if (cb.err)
			return cb.err;
#if UB_CHECKED
		left = cb.left;
#endif
	} else {
		r[0] = c->fn(r[1], r[2], r[3], r[4], r[5]);
	}
#if UB_CHECKED
	ub_cm_after_call(&cm, c, r, r[0]);
#endif
	if (__builtin_expect(c->tail_call, 0))
		goto tail_call;
	NEXT();
}
op_CALLX: {
	/* The helper id is the value of the register named by dst (LLVM's callx encoding). */
	uint64_t id = DST;
	userbpf_helper_fn fn = id < USERBPF_MAX_HELPER_ID ? prog->env->helpers[id].fn : NULL;

	if (__builtin_expect(!fn, 0))
		goto unknown_callx;
	r[0] = fn(r[1], r[2], r[3], r[4], r[5]);
	NEXT();
}
op_CALL_KFUNC:
	goto no_kfunc;
op_CALL_LOCAL:
	if (__builtin_expect(depth_base + depth + 1 >= UB_MAX_FRAMES, 0))
		goto too_deep;
	frames[depth].ret = x + 1;
	frames[depth].prog = prog;
	frames[depth].ip = ip;
	frames[depth].r6 = r[6];
	frames[depth].r7 = r[7];
	frames[depth].r8 = r[8];
	frames[depth].r9 = r[9];
	frames[depth].fp = r[10];
	frames[depth].may_goto = may_goto;
	depth++;
	r[10] -= USERBPF_STACK_SIZE;
	may_goto = UB_MAY_GOTO_INIT;
#if UB_CHECKED
	cm.stack_lo = r[10] - USERBPF_STACK_SIZE;
	memset((void *)(uintptr_t)cm.stack_lo, 0, USERBPF_STACK_SIZE);
#endif
	x += x->imm;
	NEXT();
op_EXIT:
	if (depth == 0) {
		*retval = r[0];
#if UB_CHECKED
		if (executed)
			*executed = budget - left;
		if (entry)
			entry->env->left = left;
#endif
		return 0;
	}
	depth--;
	x = frames[depth].ret;
	prog = frames[depth].prog;
	ip = frames[depth].ip;
	r[6] = frames[depth].r6;
	r[7] = frames[depth].r7;
	r[8] = frames[depth].r8;
	r[9] = frames[depth].r9;
	r[10] = frames[depth].fp;
	may_goto = frames[depth].may_goto;
#if UB_CHECKED
	cm.stack_lo = r[10] - USERBPF_STACK_SIZE;
#endif
	DISPATCH();

	/*
	 * A successful tail call (the helper left its target in the run): the target replaces
	 * the current frame, starting at its instruction 0 with r1 = ctx, the other registers 0
	 * and this frame's stack; its exit returns to this frame's caller, as in Linux. A target
	 * on another engine (the JIT, or the other loop) runs nested and this frame exits with
	 * its r0.
	 */
tail_call: {
	struct ub_run_ctx *run = ub_run_current;
	const struct userbpf_prog *t = run ? run->tail_target : NULL;
	const struct ub_interp *tip;

	if (!t)
		NEXT(); /* the tail call failed: execution goes on */
	run->tail_target = NULL;
	run->prog = t;
	tip = t->interp;
	if (!t->jit_fn && tip && tip->loop == ip->loop) {
		prog = t;
		ip = tip;
		if (ip->has_callbacks)
			run->callback = ub_interp_callback;
		x = ip->code;
		memset(r, 0, sizeof(uint64_t) * 10);
		r[1] = (uint64_t)(uintptr_t)mem;
		may_goto = UB_MAY_GOTO_INIT;
#if UB_CHECKED
		memset((void *)(uintptr_t)cm.stack_lo, 0, USERBPF_STACK_SIZE);
		cm.extra = ip->regions;
		cm.extra_cnt = ip->region_cnt;
#endif
		DISPATCH();
	}
	if (t->jit_fn) {
		r[0] = t->jit_fn(mem, len);
	} else if (tip) {
		int err = tip->loop(t, tip, mem, len, &r[0], NULL, NULL, NULL);

		if (err)
			return err;
	} else {
		return UB_BUG(&prog->env->log, "%s: tail call target %s has no engine", prog->name,
			      t->name);
	}
	goto op_EXIT;
}

	/* ---- Loads and stores ---- */
#define LDX(N, T, CAST)                                                                         \
	op_##N : {                                                                              \
		T v_;                                                                           \
		addr = SRC + (uint64_t)(int64_t)x->off;                                         \
		CHECK_MEM(addr, sizeof(T), "load", x->src);                                     \
		memcpy(&v_, (const void *)(uintptr_t)addr, sizeof(T));                          \
		DST = (uint64_t)(CAST)v_;                                                       \
		NEXT();                                                                         \
	}
	LDX(LDXB, uint8_t, uint64_t)
	LDX(LDXH, uint16_t, uint64_t)
	LDX(LDXW, uint32_t, uint64_t)
	LDX(LDXDW, uint64_t, uint64_t)
	LDX(LDXSB, int8_t, int64_t)
	LDX(LDXSH, int16_t, int64_t)
	LDX(LDXSW, int32_t, int64_t)
#undef LDX
#define STORE(N, T, VAL, KIND)                                                                  \
	op_##N : {                                                                              \
		T v_ = (T)(VAL);                                                                \
		addr = DST + (uint64_t)(int64_t)x->off;                                         \
		CHECK_MEM(addr, sizeof(T), KIND, x->dst);                                       \
		memcpy((void *)(uintptr_t)addr, &v_, sizeof(T));                                \
		NEXT();                                                                         \
	}
	STORE(STB, uint8_t, x->imm, "store")
	STORE(STH, uint16_t, x->imm, "store")
	STORE(STW, uint32_t, x->imm, "store")
	STORE(STDW, uint64_t, IMM64, "store")
	STORE(STXB, uint8_t, SRC, "store")
	STORE(STXH, uint16_t, SRC, "store")
	STORE(STXW, uint32_t, SRC, "store")
	STORE(STXDW, uint64_t, SRC, "store")
#undef STORE

	/* ---- Atomics: the operation in place, optionally fetching the old value into src ---- */
#define ATOMIC(N, T, BUILTIN, FETCH)                                                            \
	op_##N : {                                                                              \
		T old_;                                                                         \
		addr = DST + (uint64_t)(int64_t)x->off;                                         \
		CHECK_ATOMIC(addr, sizeof(T), "atomic", x->dst);                                \
		old_ = BUILTIN((T *)(uintptr_t)addr, (T)SRC, __ATOMIC_SEQ_CST);                 \
		if (FETCH)                                                                      \
			SRC = old_;                                                             \
		NEXT();                                                                         \
	}
	ATOMIC(AADD32, uint32_t, __atomic_fetch_add, 0)
	ATOMIC(AOR32, uint32_t, __atomic_fetch_or, 0)
	ATOMIC(AAND32, uint32_t, __atomic_fetch_and, 0)
	ATOMIC(AXOR32, uint32_t, __atomic_fetch_xor, 0)
	ATOMIC(AFADD32, uint32_t, __atomic_fetch_add, 1)
	ATOMIC(AFOR32, uint32_t, __atomic_fetch_or, 1)
	ATOMIC(AFAND32, uint32_t, __atomic_fetch_and, 1)
	ATOMIC(AFXOR32, uint32_t, __atomic_fetch_xor, 1)
	ATOMIC(AXCHG32, uint32_t, __atomic_exchange_n, 1)
	ATOMIC(AADD64, uint64_t, __atomic_fetch_add, 0)
	ATOMIC(AOR64, uint64_t, __atomic_fetch_or, 0)
	ATOMIC(AAND64, uint64_t, __atomic_fetch_and, 0)
	ATOMIC(AXOR64, uint64_t, __atomic_fetch_xor, 0)
	ATOMIC(AFADD64, uint64_t, __atomic_fetch_add, 1)
	ATOMIC(AFOR64, uint64_t, __atomic_fetch_or, 1)
	ATOMIC(AFAND64, uint64_t, __atomic_fetch_and, 1)
	ATOMIC(AFXOR64, uint64_t, __atomic_fetch_xor, 1)
	ATOMIC(AXCHG64, uint64_t, __atomic_exchange_n, 1)
#undef ATOMIC
	/* cmpxchg: compare with r0, store src if equal; r0 = the old value (zero-extended). */
#define CMPXCHG(N, T)                                                                           \
	op_##N : {                                                                              \
		T exp_ = (T)r[0];                                                               \
		addr = DST + (uint64_t)(int64_t)x->off;                                         \
		CHECK_ATOMIC(addr, sizeof(T), "atomic", x->dst);                                \
		__atomic_compare_exchange_n((T *)(uintptr_t)addr, &exp_, (T)SRC, 0,              \
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);                \
		r[0] = exp_;                                                                    \
		NEXT();                                                                         \
	}
	CMPXCHG(ACMPXCHG32, uint32_t)
	CMPXCHG(ACMPXCHG64, uint64_t)
#undef CMPXCHG
#define LOAD_ACQ(N, T)                                                                          \
	op_##N : addr = SRC + (uint64_t)(int64_t)x->off;                                        \
	CHECK_ATOMIC(addr, sizeof(T), "load-acquire", x->src);                                  \
	DST = __atomic_load_n((T *)(uintptr_t)addr, __ATOMIC_ACQUIRE);                          \
	NEXT();
#define STORE_REL(N, T)                                                                         \
	op_##N : addr = DST + (uint64_t)(int64_t)x->off;                                        \
	CHECK_ATOMIC(addr, sizeof(T), "store-release", x->dst);                                 \
	__atomic_store_n((T *)(uintptr_t)addr, (T)SRC, __ATOMIC_RELEASE);                       \
	NEXT();
	LOAD_ACQ(LDACQB, uint8_t)
	LOAD_ACQ(LDACQH, uint16_t)
	LOAD_ACQ(LDACQW, uint32_t)
	LOAD_ACQ(LDACQDW, uint64_t)
	STORE_REL(STRELB, uint8_t)
	STORE_REL(STRELH, uint16_t)
	STORE_REL(STRELW, uint32_t)
	STORE_REL(STRELDW, uint64_t)
#undef LOAD_ACQ
#undef STORE_REL

	/* ---- 64-bit immediates: prepare resolved every pseudo source into the two imms ---- */
op_LDDW:
op_LDDW_MAP_FD:
op_LDDW_MAP_VALUE:
op_LDDW_BTF_ID:
op_LDDW_FUNC:
op_LDDW_MAP_IDX:
op_LDDW_MAP_IDX_VALUE:
	DST = (uint64_t)(uint32_t)x[0].imm | (uint64_t)(uint32_t)x[1].imm << 32;
	x += 2;
	DISPATCH();

	/*
	 * Legacy packet loads: big-endian, from the run's memory as the packet. Out of bounds
	 * ends the whole program with r0 = 0, as in Linux. LD_IND's offset is imm + (s32)src.
	 */
#define LDPKT(N, T, SWAP, OFF)                                                                  \
	op_##N : {                                                                              \
		int64_t o_ = (OFF);                                                             \
		T v_;                                                                           \
		if (__builtin_expect(o_ < 0 || (uint64_t)o_ + sizeof(T) > len, 0))               \
			goto pkt_out;                                                           \
		memcpy(&v_, (const char *)mem + o_, sizeof(T));                                 \
		r[0] = SWAP(v_);                                                                \
		NEXT();                                                                         \
	}
#define NOSWAP(v) (v)
	LDPKT(LDABSB, uint8_t, NOSWAP, (int64_t)x->imm)
	LDPKT(LDABSH, uint16_t, __builtin_bswap16, (int64_t)x->imm)
	LDPKT(LDABSW, uint32_t, __builtin_bswap32, (int64_t)x->imm)
	LDPKT(LDINDB, uint8_t, NOSWAP, (int64_t)(int32_t)((uint32_t)x->imm + (uint32_t)SRC))
	LDPKT(LDINDH, uint16_t, __builtin_bswap16,
	      (int64_t)(int32_t)((uint32_t)x->imm + (uint32_t)SRC))
	LDPKT(LDINDW, uint32_t, __builtin_bswap32,
	      (int64_t)(int32_t)((uint32_t)x->imm + (uint32_t)SRC))
#undef LDPKT
#undef NOSWAP

pkt_out:
	*retval = 0;
#if UB_CHECKED
	if (executed)
		*executed = budget - left;
	if (entry)
		entry->env->left = left;
#endif
	return 0;

	/* ---- Run-time errors: name the instruction, say what happened ---- */
op_BUG:
	return UB_BUG(&prog->env->log, "%s: insn %zu: executed the second half of an lddw",
		      prog->name, (size_t)(x - ip->code));
unknown_helper:
	ub_err(&prog->env->log, "%s: insn %zu: call to unknown helper %d", prog->name,
	       (size_t)(x - ip->code), prog->insns[x - ip->code].imm);
	return -EINVAL;
unknown_callx:
	ub_err(&prog->env->log, "%s: insn %zu: callx r%u: no helper with id %llu", prog->name,
	       (size_t)(x - ip->code), x->dst, (unsigned long long)DST);
	return -EINVAL;
no_kfunc:
	ub_err(&prog->env->log, "%s: insn %zu: call to host function (kfunc) %d: no kfuncs are "
	       "registered in this runtime", prog->name, (size_t)(x - ip->code), x->imm);
	return -EINVAL;
too_deep:
	ub_err(&prog->env->log, "%s: insn %zu: call too deep: more than %d frames", prog->name,
	       (size_t)(x - ip->code), UB_MAX_FRAMES);
	return -E2BIG;
no_run:
	ub_err(&prog->env->log, "%s: insn %zu: helper %u calls back into the program, which needs "
	       "a run started by userbpf_prog_run()", prog->name, (size_t)(x - ip->code),
	       ip->calls[x->imm].id);
	return -EINVAL;
#if UB_CHECKED
fault:
	ub_err(&prog->env->log, "%s: insn %zu: %s of %u bytes at r%d%+d = 0x%llx is outside the "
	       "memory this program may touch (its stack, the input memory, map values)",
	       prog->name, (size_t)(x - ip->code), f_kind, f_size, f_reg, x->off,
	       (unsigned long long)addr);
	return -EFAULT;
misaligned:
	ub_err(&prog->env->log, "%s: insn %zu: misaligned %s of %u bytes at r%d%+d = 0x%llx",
	       prog->name, (size_t)(x - ip->code), f_kind, f_size, f_reg, x->off,
	       (unsigned long long)addr);
	return -EFAULT;
out_of_budget:
	ub_err(&prog->env->log, "%s: insn %zu: instruction budget of %llu exhausted", prog->name,
	       (size_t)(x - ip->code), (unsigned long long)prog->insn_budget);
	if (entry)
		entry->env->left = 0;
	return -ETIME;
#endif

#undef DISPATCH
#undef NEXT
#undef JUMP_IF
#undef CHECK_MEM
#undef CHECK_ATOMIC
#undef IN_REGIONS
#undef DST
#undef SRC
#undef IMM64
#undef IMM32
}
