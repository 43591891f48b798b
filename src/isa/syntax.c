/* SPDX-License-Identifier: Apache-2.0 */
/* syntax.c: the text templates of each operand format (fmt column), per syntax flavour. */
#include <stddef.h>

#include "isa/syntax.h"

/*
 * Pseudo-C as llvm-objdump prints it (LLVM 14 for the classic rows, LLVM 18+ and Linux for the
 * later ones: sdiv "s/=", movsx "(s8)", bswap, gotol, may_goto, load_acquire).
 */
static const char *const tmpl_llvm[UB_F_COUNT] = {
	[UB_F_ALU_K] = "%D %o %I",
	[UB_F_ALU_X] = "%D %o %S",
	[UB_F_NEG] = "%D = -%D",
	[UB_F_MOVSX] = "%D = (s%W)%S",
	[UB_F_END] = "%D = %o%W %D",
	[UB_F_JA] = "goto %O",
	[UB_F_JA32] = "gotol %J",
	[UB_F_JMP_K] = "if %D %o %I goto %O",
	[UB_F_JMP_X] = "if %D %o %S goto %O",
	[UB_F_CALL] = "call %I",
	[UB_F_CALL_LOCAL] = "call %T",
	[UB_F_CALL_KFUNC] = "call kfunc %I%F",
	[UB_F_CALLX] = "callx %R",
	[UB_F_EXIT] = "exit",
	[UB_F_MAY_GOTO] = "may_goto %O",
	[UB_F_LDX] = "%D = *(%o *)(%Q%M)",
	[UB_F_ST] = "*(%o *)(%P%M) = %I",
	[UB_F_STX] = "*(%o *)(%P%M) = %S",
	[UB_F_ATOMIC] = NULL, /* by kind, below */
	[UB_F_LOAD_ACQ] = "%D = load_acquire((%o *)(%Q%M))",
	[UB_F_STORE_REL] = "store_release((%o *)(%P%M), %S)",
	[UB_F_LDDW] = NULL, /* by pseudo source, below */
	[UB_F_LDABS] = "r0 = *(%o *)skb[%I]",
	[UB_F_LDIND] = "r0 = *(%o *)skb[%Q%N]",
};

/* The Linux verifier log ("12: (61) r2 = *(u32 *)(r1 +0)"); NULL: as pseudo-C. */
static const char *const tmpl_kernel[UB_F_COUNT] = {
	[UB_F_JMP_K] = "if %D %o %X goto %O",
	[UB_F_CALL] = "call %A",
};

/* bpf_conformance: mnemonic (cname column) and comma-separated operands. */
static const char *const tmpl_conf[UB_F_COUNT] = {
	[UB_F_ALU_K] = "%C %D, %I",
	[UB_F_ALU_X] = "%C %D, %S",
	[UB_F_NEG] = "%C %D",
	[UB_F_MOVSX] = "%C %D, %S",
	[UB_F_END] = "%C %D",
	[UB_F_JA] = "%C %O",
	[UB_F_JA32] = "%C %J",
	[UB_F_JMP_K] = "%C %D, %I, %O",
	[UB_F_JMP_X] = "%C %D, %S, %O",
	[UB_F_CALL] = "call %I",
	[UB_F_CALL_LOCAL] = "call local %J",
	[UB_F_CALL_KFUNC] = "call runtime %I%F",
	[UB_F_CALLX] = "call %R", /* the official assembler's spelling of callx */
	[UB_F_EXIT] = "exit",
	[UB_F_MAY_GOTO] = "%C %O",
	[UB_F_LDX] = "%C %D, [%Q%M]",
	[UB_F_ST] = "%C [%P%M], %I",
	[UB_F_STX] = "%C [%P%M], %S",
	[UB_F_ATOMIC] = "%C [%P%M], %S",
	[UB_F_LOAD_ACQ] = "%C %D, [%Q%M]",
	[UB_F_STORE_REL] = "%C [%P%M], %S",
	[UB_F_LDDW] = NULL, /* by pseudo source, below */
	[UB_F_LDABS] = "%C %I",
	[UB_F_LDIND] = "%C %S, %I",
};

/* Atomics by kind (plain, fetch, xchg, cmpxchg) and width (32, 64). */
enum { AK_PLAIN, AK_FETCH, AK_XCHG, AK_CMPXCHG };
static const char *const atomic_llvm[4][2] = {
	[AK_PLAIN] = { "lock *(%Z *)(%P%M) %o %S", "lock *(%Z *)(%P%M) %o %S" },
	[AK_FETCH] = { "%S = atomic_%o((%Z *)(%P%M), %S)", "%S = atomic_%o((%Z *)(%P%M), %S)" },
	[AK_XCHG] = { "%S = xchg32_32(%P%M, %S)", "%S = xchg_64(%P%M, %S)" },
	[AK_CMPXCHG] = { "w0 = cmpxchg32_32(%P%M, w0, %S)", "r0 = cmpxchg_64(%P%M, r0, %S)" },
};
static const char *const atomic_kernel[4] = {
	[AK_PLAIN] = "lock *(%Z *)(%P%M) %o %S",
	[AK_FETCH] = "%S = atomic%6_%o((%Z *)(%P%M), %S)",
	[AK_XCHG] = "%S = atomic%6_%o((%Z *)(%P%M), %S)",
	[AK_CMPXCHG] = "r0 = atomic%6_%o((%Z *)(%P%M), r0, %S)",
};

/* lddw by pseudo source (src_reg 0..6): Linux log forms for map references. */
static const char *const lddw_llvm[7] = {
	"%D = %K ll", "%D = map[id:%L]", "%D = map[id:%L][0]+%H", "%D = btf_id[%L][%H]",
	"%D = func[%T]", "%D = map[idx:%L]", "%D = map[idx:%L][0]+%H",
};
static const char *const lddw_conf[7] = {
	"%C %D, %K", "%C %D, %o %L", "%C %D, %o %L, %H", "%C %D, %o %L, %H",
	"%C %D, %o %J", "%C %D, %o %L", "%C %D, %o %L, %H",
};

static int atomic_kind(int32_t op)
{
	if (op == USERBPF_CMPXCHG)
		return AK_CMPXCHG;
	if (op == USERBPF_XCHG)
		return AK_XCHG;
	return (op & USERBPF_FETCH) ? AK_FETCH : AK_PLAIN;
}

const char *ub_syntax_tmpl(int id, int fl)
{
	const struct ub_insn_info *r = &ub_insn_table[id];

	if (r->fmt == UB_F_ATOMIC) {
		if (fl == UB_FL_CONF)
			return tmpl_conf[UB_F_ATOMIC];
		if (fl == UB_FL_KERNEL)
			return atomic_kernel[atomic_kind(r->mval)];
		return atomic_llvm[atomic_kind(r->mval)][USERBPF_SIZE(r->code) == USERBPF_DW];
	}
	if (r->fmt == UB_F_LDDW) {
		if (fl == UB_FL_KERNEL && r->mval == USERBPF_PSEUDO_IMM64)
			return "%D = %K";
		return (fl == UB_FL_CONF ? lddw_conf : lddw_llvm)[r->mval];
	}
	if (fl == UB_FL_CONF)
		return tmpl_conf[r->fmt];
	if (fl == UB_FL_KERNEL && tmpl_kernel[r->fmt])
		return tmpl_kernel[r->fmt];
	return tmpl_llvm[r->fmt];
}

const char *ub_syntax_alias(int id, int fl, int n)
{
	const struct ub_insn_info *r = &ub_insn_table[id];

	if (fl == UB_FL_CONF) {
		/* Spellings the official assembler (or its data files) also use. */
		switch (r->fmt) {
		case UB_F_CALL:
			return n == 0 ? "call helper %I" : NULL;
		case UB_F_CALLX:
			return n == 0 ? "call helper %R" : n == 1 ? "callx %R" : NULL;
		case UB_F_END:
			/* "bswap16" as well as "swap16". */
			return n == 0 && r->code == 0xd7 ? "b%C %D" : NULL;
		default:
			return NULL;
		}
	}
	/* Pseudo-C input also accepts the Linux log forms. */
	if (n == 0) {
		const char *k = ub_syntax_tmpl(id, UB_FL_KERNEL);

		return k != ub_syntax_tmpl(id, UB_FL_LLVM) ? k : NULL;
	}
	return NULL;
}

static int is_alu_or_jmp_value(int fmt)
{
	return fmt == UB_F_ALU_K || fmt == UB_F_ALU_X || fmt == UB_F_NEG || fmt == UB_F_MOVSX ||
	       fmt == UB_F_JMP_K || fmt == UB_F_JMP_X;
}

char ub_syntax_regc(int id, int fl)
{
	const struct ub_insn_info *r = &ub_insn_table[id];
	int cls = USERBPF_CLASS(r->code);

	if (is_alu_or_jmp_value(r->fmt))
		return (cls == USERBPF_ALU || cls == USERBPF_JMP32) ? 'w' : 'r';
	if (fl != UB_FL_LLVM)
		return 'r';
	/* LLVM prints 32-bit atomic results and sub-64-bit acquire/release values as wN. */
	if (r->fmt == UB_F_ATOMIC && USERBPF_SIZE(r->code) == USERBPF_W &&
	    atomic_kind(r->mval) != AK_PLAIN)
		return 'w';
	if ((r->fmt == UB_F_LOAD_ACQ || r->fmt == UB_F_STORE_REL) &&
	    USERBPF_SIZE(r->code) != USERBPF_DW)
		return 'w';
	return 'r';
}

int ub_syntax_reg_strict(int id)
{
	return is_alu_or_jmp_value(ub_insn_table[id].fmt);
}

const char *ub_syntax_size_name(int id)
{
	static const char *const names[] = { "u32", "u16", "u8", "u64" };

	return names[USERBPF_SIZE(ub_insn_table[id].code) >> 3];
}
