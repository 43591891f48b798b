/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tnum.h: tristate numbers, the verifier's bit-level knowledge of a 64-bit value.
 *
 * A tnum (value, mask) stands for every x with (x & ~mask) == value: bits set in mask are
 * unknown, the others equal the bits of value. Invariant: (value & mask) == 0.
 * Example: (0b100, 0b011) is {4, 5, 6, 7}.
 */
#ifndef UB_TNUM_H
#define UB_TNUM_H

#include <stdbool.h>
#include <stdint.h>

struct ub_tnum {
	uint64_t value;
	uint64_t mask;
};

#define UB_TNUM(v, m) ((struct ub_tnum){ .value = (v), .mask = (m) })
#define UB_TNUM_UNKNOWN UB_TNUM(0, ~0ull)

static inline struct ub_tnum ub_tnum_const(uint64_t v)
{
	return UB_TNUM(v, 0);
}

static inline bool ub_tnum_is_const(struct ub_tnum t)
{
	return t.mask == 0;
}

static inline bool ub_tnum_is_unknown(struct ub_tnum t)
{
	return t.mask == ~0ull;
}

/* Does t contain the concrete value x? */
static inline bool ub_tnum_contains(struct ub_tnum t, uint64_t x)
{
	return (x & ~t.mask) == t.value;
}

/* Is every value of b also a value of a? */
static inline bool ub_tnum_in(struct ub_tnum a, struct ub_tnum b)
{
	if (b.mask & ~a.mask)
		return false;
	return (b.value & ~a.mask) == a.value;
}

static inline bool ub_tnum_equals_const(struct ub_tnum t, uint64_t v)
{
	return t.mask == 0 && t.value == v;
}

/* The smallest tnum holding every value in [min, max] (unsigned). */
struct ub_tnum ub_tnum_range(uint64_t min, uint64_t max);

struct ub_tnum ub_tnum_add(struct ub_tnum a, struct ub_tnum b);
struct ub_tnum ub_tnum_sub(struct ub_tnum a, struct ub_tnum b);
struct ub_tnum ub_tnum_and(struct ub_tnum a, struct ub_tnum b);
struct ub_tnum ub_tnum_or(struct ub_tnum a, struct ub_tnum b);
struct ub_tnum ub_tnum_xor(struct ub_tnum a, struct ub_tnum b);
struct ub_tnum ub_tnum_mul(struct ub_tnum a, struct ub_tnum b);
struct ub_tnum ub_tnum_neg(struct ub_tnum a);
struct ub_tnum ub_tnum_lshift(struct ub_tnum a, unsigned shift);
struct ub_tnum ub_tnum_rshift(struct ub_tnum a, unsigned shift);
/* Arithmetic shift right of the low `width` (32 or 64) bits. */
struct ub_tnum ub_tnum_arshift(struct ub_tnum a, unsigned shift, unsigned width);
/* Values in both a and b (caller knows they overlap). */
struct ub_tnum ub_tnum_intersect(struct ub_tnum a, struct ub_tnum b);
/* Values in a or b (an over-approximation). */
struct ub_tnum ub_tnum_union(struct ub_tnum a, struct ub_tnum b);
/* Truncate to the low `size` bytes (zero-extended). */
struct ub_tnum ub_tnum_cast(struct ub_tnum a, unsigned size);
/* The low 32 bits, zero-extended / the high 32 bits in place with the low cleared. */
struct ub_tnum ub_tnum_subreg(struct ub_tnum a);
struct ub_tnum ub_tnum_clear_subreg(struct ub_tnum a);
/* Replace the low 32 bits of a with those of b. */
struct ub_tnum ub_tnum_with_subreg(struct ub_tnum a, struct ub_tnum b);
/* Sign-extend the low `bits` (8, 16, 32) bits to 64. */
struct ub_tnum ub_tnum_sext(struct ub_tnum a, unsigned bits);
/* Is a's value a multiple of `size` (a power of two) whatever the unknown bits are? */
bool ub_tnum_is_aligned(struct ub_tnum a, uint64_t size);
/* Format as "(0x..; 0x..)" into buf; returns snprintf's result. */
int ub_tnum_str(char *buf, unsigned long size, struct ub_tnum a);

#endif /* UB_TNUM_H */
