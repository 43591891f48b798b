/* SPDX-License-Identifier: Apache-2.0 */
/*
 * emit.h: x86-64 instruction encoders (REX, ModRM, SIB, immediates) writing into a byte buffer.
 * Only the encodings the code generator needs; each is checked against known bytes in
 * tests/unit/jit_x86_encode.c.
 */
#ifndef UB_X86_EMIT_H
#define UB_X86_EMIT_H

#include <stdint.h>
#include <string.h>

/* Host registers by hardware number. */
enum {
	X_RAX = 0, X_RCX, X_RDX, X_RBX, X_RSP, X_RBP, X_RSI, X_RDI,
	X_R8, X_R9, X_R10, X_R11, X_R12, X_R13, X_R14, X_R15,
};

/* Encoding flags for ub_x86_rr / ub_x86_rm. */
#define X_W    0x1 /* REX.W: 64-bit operand size */
#define X_P66  0x2 /* 0x66 prefix: 16-bit operand size */
#define X_BYTE 0x4 /* an operand is a byte register: force a REX so 4..7 mean spl..dil */
#define X_LOCK 0x8 /* 0xf0 lock prefix */

/* Condition codes (the low nibble of jcc). */
enum {
	X_CC_B = 0x2, X_CC_AE = 0x3, X_CC_E = 0x4, X_CC_NE = 0x5, X_CC_BE = 0x6, X_CC_A = 0x7,
	X_CC_S = 0x8, X_CC_L = 0xc, X_CC_GE = 0xd, X_CC_LE = 0xe, X_CC_G = 0xf,
};

/* An output cursor: the caller guarantees room (the driver reserves before each instruction). */
struct ub_x86_out {
	uint8_t *p;
	size_t n;
};

static inline void ub_x86_b(struct ub_x86_out *o, uint8_t b)
{
	o->p[o->n++] = b;
}

static inline void ub_x86_d16(struct ub_x86_out *o, uint16_t v)
{
	memcpy(o->p + o->n, &v, 2);
	o->n += 2;
}

static inline void ub_x86_d32(struct ub_x86_out *o, uint32_t v)
{
	memcpy(o->p + o->n, &v, 4);
	o->n += 4;
}

static inline void ub_x86_d64(struct ub_x86_out *o, uint64_t v)
{
	memcpy(o->p + o->n, &v, 8);
	o->n += 8;
}

static inline int ub_x86_is_imm8(int64_t v)
{
	return v >= -128 && v <= 127;
}

static inline int ub_x86_is_simm32(int64_t v)
{
	return v >= INT32_MIN && v <= INT32_MAX;
}

/* Prefixes, REX (when needed or forced), then opcode (1 byte, or 0x0f xx as 0x0fxx). */
static inline void ub_x86_head(struct ub_x86_out *o, unsigned fl, uint32_t op, int reg, int idx,
			       int rm)
{
	uint8_t rex = 0x40 | ((fl & X_W) ? 8 : 0) | ((reg & 8) >> 1) | ((idx & 8) >> 2) |
		      ((rm & 8) >> 3);

	if (fl & X_LOCK)
		ub_x86_b(o, 0xf0);
	if (fl & X_P66)
		ub_x86_b(o, 0x66);
	if (rex != 0x40 || ((fl & X_BYTE) && ((reg >= 4 && reg < 8) || (rm >= 4 && rm < 8))))
		ub_x86_b(o, rex);
	if (op > 0xff)
		ub_x86_b(o, (uint8_t)(op >> 8));
	ub_x86_b(o, (uint8_t)op);
}

/* op with ModRM register-direct: reg field `reg`, r/m field `rm`. */
static inline void ub_x86_rr(struct ub_x86_out *o, unsigned fl, uint32_t op, int reg, int rm)
{
	ub_x86_head(o, fl, op, reg, 0, rm);
	ub_x86_b(o, 0xc0 | ((reg & 7) << 3) | (rm & 7));
}

/* op with a memory operand [base + disp]; `reg` is the ModRM reg field (register or /ext). */
static inline void ub_x86_rm(struct ub_x86_out *o, unsigned fl, uint32_t op, int reg, int base,
			     int32_t disp)
{
	int mod = disp == 0 && (base & 7) != X_RBP ? 0 : ub_x86_is_imm8(disp) ? 1 : 2;

	ub_x86_head(o, fl, op, reg, 0, base);
	ub_x86_b(o, (uint8_t)((mod << 6) | ((reg & 7) << 3) | (base & 7)));
	if ((base & 7) == X_RSP)
		ub_x86_b(o, 0x24); /* SIB: base only */
	if (mod == 1)
		ub_x86_b(o, (uint8_t)disp);
	else if (mod == 2)
		ub_x86_d32(o, (uint32_t)disp);
}

/* op with a memory operand [base + index] (scale 1, no displacement; base not rbp/r13). */
static inline void ub_x86_rmx(struct ub_x86_out *o, unsigned fl, uint32_t op, int reg, int base,
			      int idx)
{
	ub_x86_head(o, fl, op, reg, idx, base);
	ub_x86_b(o, (uint8_t)(((reg & 7) << 3) | 4));
	ub_x86_b(o, (uint8_t)(((idx & 7) << 3) | (base & 7)));
}

/* Group-1 ALU with an immediate: /ext is 0 add, 1 or, 4 and, 5 sub, 6 xor, 7 cmp. */
static inline void ub_x86_alu_ri(struct ub_x86_out *o, unsigned fl, int ext, int rm, int32_t imm)
{
	if (ub_x86_is_imm8(imm)) {
		ub_x86_rr(o, fl, 0x83, ext, rm);
		ub_x86_b(o, (uint8_t)imm);
	} else {
		ub_x86_rr(o, fl, 0x81, ext, rm);
		ub_x86_d32(o, (uint32_t)imm);
	}
}

/* movabs dst, imm64: always 10 bytes (used where the size must not depend on the value). */
static inline void ub_x86_movabs(struct ub_x86_out *o, int dst, uint64_t imm)
{
	ub_x86_head(o, X_W, 0xb8 + (dst & 7), 0, 0, dst);
	ub_x86_d64(o, imm);
}

/* dst = imm, the shortest exact encoding; the 64-bit register receives the 64-bit value. */
static inline void ub_x86_mov_imm64(struct ub_x86_out *o, int dst, uint64_t imm)
{
	if (imm == 0) {
		ub_x86_rr(o, 0, 0x31, dst, dst); /* xor r32, r32 */
	} else if (imm <= UINT32_MAX) {
		ub_x86_head(o, 0, 0xb8 + (dst & 7), 0, 0, dst); /* mov r32, imm32 */
		ub_x86_d32(o, (uint32_t)imm);
	} else if (ub_x86_is_simm32((int64_t)imm)) {
		ub_x86_rr(o, X_W, 0xc7, 0, dst); /* mov r64, simm32 */
		ub_x86_d32(o, (uint32_t)imm);
	} else {
		ub_x86_movabs(o, dst, imm);
	}
}

#endif /* UB_X86_EMIT_H */
