/* SPDX-License-Identifier: Apache-2.0 */
/* isa.h: the instruction table (generated from opcodes.def), decoding and validation. */
#ifndef UB_ISA_H
#define UB_ISA_H

#include <stddef.h>
#include <stdint.h>

#include "userbpf/insn.h"
#include "util/log.h"

/* Row index of every instruction in opcodes.def: UB_I_ADD64_IMM, UB_I_EXIT, ... */
enum ub_insn_id {
#define UB_INSN(id, code, match, mval, fmt, cname, op) UB_I_##id,
#include "isa/opcodes.def"
#undef UB_INSN
	UB_I_COUNT,
	UB_I_INVALID = -1,
};

/* Which field, besides the code byte, selects a row. */
enum ub_match { UB_M_NONE, UB_M_OFF, UB_M_IMM, UB_M_SRC };

/*
 * Operand formats. Each says which fields are operands; every other field must be zero
 * (the validator enforces it). The fact table for formats is ub_fmt_info[] in isa.c.
 */
enum ub_fmt {
	UB_F_ALU_K,      /* dst op= imm */
	UB_F_ALU_X,      /* dst op= src */
	UB_F_NEG,        /* dst = -dst */
	UB_F_MOVSX,      /* dst = (sN)src, N in off */
	UB_F_END,        /* byte order of dst, width in imm */
	UB_F_JA,         /* goto off */
	UB_F_JA32,       /* goto imm (32-bit offset) */
	UB_F_JMP_K,      /* if dst op imm goto off */
	UB_F_JMP_X,      /* if dst op src goto off */
	UB_F_CALL,       /* call helper imm */
	UB_F_CALL_LOCAL, /* call pc + imm + 1 */
	UB_F_CALL_KFUNC, /* call host function imm */
	UB_F_CALLX,      /* call helper whose id is in dst */
	UB_F_EXIT,
	UB_F_MAY_GOTO,   /* may_goto off */
	UB_F_LDX,        /* dst = *(size *)(src + off) */
	UB_F_ST,         /* *(size *)(dst + off) = imm */
	UB_F_STX,        /* *(size *)(dst + off) = src */
	UB_F_ATOMIC,     /* atomic op on *(size *)(dst + off) with src */
	UB_F_LOAD_ACQ,   /* dst = load_acquire((size *)(src + off)) */
	UB_F_STORE_REL,  /* store_release((size *)(dst + off), src) */
	UB_F_LDDW,       /* dst = imm64 (two slots), meaning by src (pseudo) */
	UB_F_LDABS,      /* r0 = ntoh(*(size *)(skb + imm)) */
	UB_F_LDIND,      /* r0 = ntoh(*(size *)(skb + src + imm)) */
	UB_F_COUNT,
};

/* Field usage bits for ub_fmt_info.uses. */
#define UB_U_DST 0x01 /* dst_reg is an operand */
#define UB_U_SRC 0x02 /* src_reg is an operand */
#define UB_U_OFF 0x04 /* off is an operand */
#define UB_U_IMM 0x08 /* imm is an operand */
#define UB_U_WDST 0x10 /* dst_reg is written (so may not be r10) */
#define UB_U_JUMP 0x20 /* a jump: target = pc + off + 1 (or imm for JA32) */

struct ub_fmt_info {
	const char *name;
	uint8_t uses;
};

struct ub_insn_info {
	const char *name;  /* row id as text: "ADD64_IMM" */
	uint8_t code;
	uint8_t match;     /* enum ub_match */
	int32_t mval;
	uint8_t fmt;       /* enum ub_fmt */
	const char *cname; /* conformance mnemonic */
	const char *op;    /* pseudo-C operator */
};

extern const struct ub_insn_info ub_insn_table[UB_I_COUNT];
extern const struct ub_fmt_info ub_fmt_info[UB_F_COUNT];

/* Row of an instruction, or UB_I_INVALID if no row matches (unknown or reserved encoding). */
int ub_isa_decode(const struct userbpf_insn *insn);

/* Access size in bytes of a load/store/atomic row (1, 2, 4, 8), 0 for other rows. */
unsigned ub_isa_mem_size(int id);

/* Full 64-bit immediate of an lddw at insns[0..1]. */
static inline uint64_t ub_isa_imm64(const struct userbpf_insn *insns)
{
	return (uint64_t)(uint32_t)insns[0].imm | ((uint64_t)(uint32_t)insns[1].imm << 32);
}

/* Slots an instruction occupies: 2 for lddw, else 1. */
static inline unsigned ub_isa_slots(const struct userbpf_insn *insn)
{
	return insn->code == 0x18 ? 2 : 1;
}

/*
 * Check every instruction of a program for a well-formed encoding: known opcode, registers
 * 0..10, reserved fields zero, complete lddw pairs, jump and call targets inside the program and
 * not into the second half of an lddw, no write to r10, a final instruction that cannot fall
 * through. Logs "insn N: reason" for the first problem found.
 * Returns 0, -EINVAL on a malformed program, -E2BIG if cnt exceeds UB_MAX_INSNS.
 */
int ub_isa_validate(const struct userbpf_insn *insns, size_t cnt, struct ub_log *log);

#define UB_MAX_INSNS (1u << 20) /* Linux's BPF_COMPLEXITY_LIMIT_INSNS */

/*
 * Target register of a callx (code 0x8d). The standard encoding (GCC, LLVM 19+,
 * bpf_conformance) puts it in dst_reg with imm 0; LLVM up to 18 (clang 14 here) puts it in imm
 * with dst_reg 0. The validator accepts both; every engine must read the register through this.
 */
static inline unsigned ub_isa_callx_reg(const struct userbpf_insn *insn)
{
	return insn->dst_reg ? insn->dst_reg : (unsigned)insn->imm;
}

/* ==== Disassembly of one instruction (src/isa/disasm.c) ==================================== */

#define UB_DIS_CONF   0x1 /* bpf_conformance syntax ("ldxw %r0, [%r1+4]") */
#define UB_DIS_KERNEL 0x2 /* Linux verifier log flavour: "(61) r2 = *(u32 *)(r1 +0)" */

struct ub_disasm_ctx {
	unsigned flags; /* UB_DIS_* */
	/* Optional, Linux log flavour: name of helper `id` ("bpf_map_lookup_elem") or NULL. */
	const char *(*helper_name)(void *user, int32_t id);
	void *user;
	/* Optional: label_at[t] != 0 prints jump target t as the label "L<t>" (cnt entries). */
	const uint8_t *label_at;
	size_t cnt;
};

/*
 * Format the instruction at insns[0], whose index in the program is pc, into buf with snprintf
 * rules (truncated, NUL-terminated when size > 0). avail is how many slots are readable from
 * insns (an lddw reads two). *slots (may be NULL) receives the slots printed: 2 for a complete
 * lddw, else 1. Encodings that no row describes exactly print as ".insn 0x<16 hex digits>"
 * (the slot as a little-endian 64-bit number), so the text always assembles back to the same
 * bytes. ctx may be NULL (pseudo-C, no labels). Returns the length of the full text.
 */
int ub_disasm_insn(const struct userbpf_insn *insns, size_t avail, size_t pc,
		   const struct ub_disasm_ctx *ctx, char *buf, size_t size, unsigned *slots);

#endif /* UB_ISA_H */
