/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bounds.h: the abstract value of a scalar: a tnum plus signed/unsigned 32- and 64-bit ranges,
 * kept consistent with each other; ALU transfer functions and branch refinement on it.
 *
 * Soundness contract (checked against brute force in tests/unit/bounds.c): if concrete inputs
 * lie in the abstract inputs, the concrete result of the operation lies in the abstract result.
 */
#ifndef UB_BOUNDS_H
#define UB_BOUNDS_H

#include <stdbool.h>
#include <stdint.h>

#include "verifier/tnum.h"

struct ub_scalar {
	struct ub_tnum var;
	int64_t smin, smax;
	uint64_t umin, umax;
	int32_t s32_min, s32_max;
	uint32_t u32_min, u32_max;
};

/* Operation codes: the USERBPF_* ALU and jump op values of insn.h. */

void ub_scalar_unknown(struct ub_scalar *s);
void ub_scalar_const(struct ub_scalar *s, uint64_t v);
/* A value in [0, max] (a zero-extended load of `size` bytes when max = 2^(8*size) - 1). */
void ub_scalar_range(struct ub_scalar *s, uint64_t max);
bool ub_scalar_is_const(const struct ub_scalar *s);
/* Does s hold the concrete value x (all of tnum and ranges)? */
bool ub_scalar_contains(const struct ub_scalar *s, uint64_t x);
/* Is every value of b also a value of a? */
bool ub_scalar_in(const struct ub_scalar *a, const struct ub_scalar *b);
/* Make the five views agree (tighten each from the others). false: no value fits (dead path). */
bool ub_scalar_sync(struct ub_scalar *s);
/* Keep only the low 32 bits, zero-extended (the result of every 32-bit ALU op). */
void ub_scalar_zext32(struct ub_scalar *s);
/* Truncate to `size` bytes zero-extended (loads), or sign-extend from `size` bytes (movsx). */
void ub_scalar_cast(struct ub_scalar *s, unsigned size);
void ub_scalar_sext(struct ub_scalar *s, unsigned size);

/*
 * dst = dst OP src for op one of USERBPF_ADD..USERBPF_ARSH (not MOV, not END), 64- or 32-bit
 * (is64 = false: the result is zero-extended), signed = the sdiv/smod variants (off = 1).
 */
void ub_scalar_alu(struct ub_scalar *dst, const struct ub_scalar *src, unsigned op, bool is64,
		   bool is_signed);
/* Byte order: to_be (USERBPF_TO_BE in class ALU) or bswap (class ALU64), width 16/32/64. */
void ub_scalar_end(struct ub_scalar *dst, bool swap, unsigned width);

/*
 * Refine a and b assuming `a OP b` is true (op a USERBPF_J* comparison, not JA), compared as
 * 64-bit or as the low 32 bits. Returns false if that is impossible.
 */
bool ub_scalar_cond(struct ub_scalar *a, struct ub_scalar *b, unsigned op, bool is32);
/* Internal op: the negation of JSET, (a & b) == 0. */
#define UB_JNSET 0x100
/* The opposite comparison: a OP b false <=> a NEG(OP) b true (JSET <-> UB_JNSET). */
unsigned ub_cond_negate(unsigned op);
/* 1: `a OP b` always holds; 0: never; -1: depends. */
int ub_scalar_branch(const struct ub_scalar *a, const struct ub_scalar *b, unsigned op, bool is32);

/* "smin=..,smax=..,umax=..,var_off=(..)" as the Linux log prints a scalar (only non-trivial). */
int ub_scalar_str(char *buf, unsigned long size, const struct ub_scalar *s);

#endif /* UB_BOUNDS_H */
