/* SPDX-License-Identifier: Apache-2.0 */
/* tnum.c: arithmetic on tristate numbers (known/unknown bits), each op sound bit by bit. */
#include <stdio.h>

#include "verifier/tnum.h"

struct ub_tnum ub_tnum_range(uint64_t min, uint64_t max)
{
	uint64_t chi = min ^ max, delta;
	unsigned bits;

	if (min > max)
		return UB_TNUM_UNKNOWN;
	bits = chi ? 64 - (unsigned)__builtin_clzll(chi) : 0;
	/* Every bit below the highest differing bit may take any value. */
	if (bits > 63)
		return UB_TNUM_UNKNOWN;
	delta = (1ull << bits) - 1;
	return UB_TNUM(min & ~delta, delta);
}

struct ub_tnum ub_tnum_add(struct ub_tnum a, struct ub_tnum b)
{
	uint64_t sm = a.mask + b.mask, sv = a.value + b.value;
	uint64_t sigma = sm + sv, chi = sigma ^ sv, mu = chi | a.mask | b.mask;

	/* mu: bits that may differ from sv because some unknown input bit or carry reached them. */
	return UB_TNUM(sv & ~mu, mu);
}

struct ub_tnum ub_tnum_sub(struct ub_tnum a, struct ub_tnum b)
{
	uint64_t dv = a.value - b.value, alpha = dv + a.mask, beta = dv - b.mask;
	uint64_t chi = alpha ^ beta, mu = chi | a.mask | b.mask;

	return UB_TNUM(dv & ~mu, mu);
}

struct ub_tnum ub_tnum_and(struct ub_tnum a, struct ub_tnum b)
{
	uint64_t alpha = a.value | a.mask, beta = b.value | b.mask, v = a.value & b.value;

	return UB_TNUM(v, alpha & beta & ~v);
}

struct ub_tnum ub_tnum_or(struct ub_tnum a, struct ub_tnum b)
{
	uint64_t v = a.value | b.value, mu = a.mask | b.mask;

	return UB_TNUM(v, mu & ~v);
}

struct ub_tnum ub_tnum_xor(struct ub_tnum a, struct ub_tnum b)
{
	uint64_t v = a.value ^ b.value, mu = a.mask | b.mask;

	return UB_TNUM(v & ~mu, mu);
}

/*
 * Long multiplication, one bit of a at a time: a known 1 adds b, an unknown bit adds
 * "0 or b", which is the tnum (0, b.value | b.mask).
 */
struct ub_tnum ub_tnum_mul(struct ub_tnum a, struct ub_tnum b)
{
	struct ub_tnum acc_v = ub_tnum_const(a.value * b.value);
	struct ub_tnum acc_m = ub_tnum_const(0);

	while (a.value || a.mask) {
		if (a.value & 1)
			acc_m = ub_tnum_add(acc_m, UB_TNUM(0, b.mask));
		else if (a.mask & 1)
			acc_m = ub_tnum_add(acc_m, UB_TNUM(0, b.value | b.mask));
		a = ub_tnum_rshift(a, 1);
		b = ub_tnum_lshift(b, 1);
	}
	return ub_tnum_add(acc_v, acc_m);
}

struct ub_tnum ub_tnum_neg(struct ub_tnum a)
{
	return ub_tnum_sub(ub_tnum_const(0), a);
}

struct ub_tnum ub_tnum_lshift(struct ub_tnum a, unsigned shift)
{
	if (shift > 63)
		return ub_tnum_const(0);
	return UB_TNUM(a.value << shift, a.mask << shift);
}

struct ub_tnum ub_tnum_rshift(struct ub_tnum a, unsigned shift)
{
	if (shift > 63)
		return ub_tnum_const(0);
	return UB_TNUM(a.value >> shift, a.mask >> shift);
}

struct ub_tnum ub_tnum_arshift(struct ub_tnum a, unsigned shift, unsigned width)
{
	if (width == 32) {
		uint32_t v = (uint32_t)((int32_t)(uint32_t)a.value >> (shift & 31));
		uint32_t m = (uint32_t)((int32_t)(uint32_t)a.mask >> (shift & 31));

		return UB_TNUM(v, m);
	}
	return UB_TNUM((uint64_t)((int64_t)a.value >> (shift & 63)),
		       (uint64_t)((int64_t)a.mask >> (shift & 63)));
}

struct ub_tnum ub_tnum_intersect(struct ub_tnum a, struct ub_tnum b)
{
	uint64_t v = a.value | b.value, mu = a.mask & b.mask;

	return UB_TNUM(v & ~mu, mu);
}

struct ub_tnum ub_tnum_union(struct ub_tnum a, struct ub_tnum b)
{
	uint64_t mu = a.mask | b.mask | (a.value ^ b.value);

	return UB_TNUM(a.value & ~mu, mu);
}

struct ub_tnum ub_tnum_cast(struct ub_tnum a, unsigned size)
{
	uint64_t keep = size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;

	return UB_TNUM(a.value & keep, a.mask & keep);
}

struct ub_tnum ub_tnum_subreg(struct ub_tnum a)
{
	return ub_tnum_cast(a, 4);
}

struct ub_tnum ub_tnum_clear_subreg(struct ub_tnum a)
{
	return ub_tnum_lshift(ub_tnum_rshift(a, 32), 32);
}

struct ub_tnum ub_tnum_with_subreg(struct ub_tnum a, struct ub_tnum b)
{
	return ub_tnum_or(ub_tnum_clear_subreg(a), ub_tnum_subreg(b));
}

struct ub_tnum ub_tnum_sext(struct ub_tnum a, unsigned bits)
{
	unsigned sh = 64 - bits;

	a = ub_tnum_lshift(a, sh);
	return ub_tnum_arshift(a, sh, 64);
}

bool ub_tnum_is_aligned(struct ub_tnum a, uint64_t size)
{
	if (!size)
		return true;
	return !((a.value | a.mask) & (size - 1));
}

int ub_tnum_str(char *buf, unsigned long size, struct ub_tnum a)
{
	return snprintf(buf, size, "(%#llx; %#llx)", (unsigned long long)a.value,
			(unsigned long long)a.mask);
}
