/* SPDX-License-Identifier: Apache-2.0 */
/* bounds.c: scalar ranges (tnum + s64/u64/s32/u32): consistency, ALU transfer, refinement. */
#include <stdio.h>

#include "userbpf/insn.h"
#include "verifier/bounds.h"

#define U32_MAX 0xffffffffu
#define S32_MIN INT32_MIN
#define S32_MAX INT32_MAX
#define U64_MAX UINT64_MAX
#define S64_MIN INT64_MIN
#define S64_MAX INT64_MAX

#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define MIN(a, b) ((a) < (b) ? (a) : (b))

static void unknown32(struct ub_scalar *s)
{
	s->s32_min = S32_MIN;
	s->s32_max = S32_MAX;
	s->u32_min = 0;
	s->u32_max = U32_MAX;
}

static void unknown64(struct ub_scalar *s)
{
	s->smin = S64_MIN;
	s->smax = S64_MAX;
	s->umin = 0;
	s->umax = U64_MAX;
}

void ub_scalar_unknown(struct ub_scalar *s)
{
	s->var = UB_TNUM_UNKNOWN;
	unknown64(s);
	unknown32(s);
}

void ub_scalar_const(struct ub_scalar *s, uint64_t v)
{
	s->var = ub_tnum_const(v);
	s->smin = s->smax = (int64_t)v;
	s->umin = s->umax = v;
	s->s32_min = s->s32_max = (int32_t)(uint32_t)v;
	s->u32_min = s->u32_max = (uint32_t)v;
}

void ub_scalar_range(struct ub_scalar *s, uint64_t max)
{
	ub_scalar_unknown(s);
	s->umax = max;
	s->var = ub_tnum_range(0, max);
	ub_scalar_sync(s);
}

bool ub_scalar_is_const(const struct ub_scalar *s)
{
	return ub_tnum_is_const(s->var);
}

bool ub_scalar_contains(const struct ub_scalar *s, uint64_t x)
{
	uint32_t x32 = (uint32_t)x;

	return ub_tnum_contains(s->var, x) && x >= s->umin && x <= s->umax &&
	       (int64_t)x >= s->smin && (int64_t)x <= s->smax && x32 >= s->u32_min &&
	       x32 <= s->u32_max && (int32_t)x32 >= s->s32_min && (int32_t)x32 <= s->s32_max;
}

bool ub_scalar_in(const struct ub_scalar *a, const struct ub_scalar *b)
{
	return ub_tnum_in(a->var, b->var) && a->umin <= b->umin && a->umax >= b->umax &&
	       a->smin <= b->smin && a->smax >= b->smax && a->u32_min <= b->u32_min &&
	       a->u32_max >= b->u32_max && a->s32_min <= b->s32_min && a->s32_max >= b->s32_max;
}

/* Ranges implied by the known bits. */
static void bounds_from_tnum(struct ub_scalar *s)
{
	struct ub_tnum t = s->var, t32 = ub_tnum_subreg(s->var);

	s->umin = MAX(s->umin, t.value);
	s->umax = MIN(s->umax, t.value | t.mask);
	/* Smallest signed value: unknown sign bit set, other unknown bits clear. */
	s->smin = MAX(s->smin, (int64_t)(t.value | (t.mask & (1ull << 63))));
	s->smax = MIN(s->smax, (int64_t)(t.value | (t.mask & ~(1ull << 63))));
	s->u32_min = MAX(s->u32_min, (uint32_t)t32.value);
	s->u32_max = MIN(s->u32_max, (uint32_t)(t32.value | t32.mask));
	s->s32_min = MAX(s->s32_min, (int32_t)(uint32_t)(t32.value | (t32.mask & 0x80000000u)));
	s->s32_max = MIN(s->s32_max, (int32_t)(uint32_t)(t32.value | (t32.mask & 0x7fffffffu)));
}

/* Each range view tightens the others where the conversion is monotonic. */
static void deduce(struct ub_scalar *s)
{
	/* 32-bit signed <-> unsigned: valid when the range does not cross the sign boundary. */
	if ((int32_t)s->u32_min <= (int32_t)s->u32_max) {
		s->s32_min = MAX(s->s32_min, (int32_t)s->u32_min);
		s->s32_max = MIN(s->s32_max, (int32_t)s->u32_max);
	}
	if ((uint32_t)s->s32_min <= (uint32_t)s->s32_max) {
		s->u32_min = MAX(s->u32_min, (uint32_t)s->s32_min);
		s->u32_max = MIN(s->u32_max, (uint32_t)s->s32_max);
	}
	/* 64 -> 32: when the high halves agree, the low halves are ordered like the values. */
	if ((s->umin >> 32) == (s->umax >> 32)) {
		s->u32_min = MAX(s->u32_min, (uint32_t)s->umin);
		s->u32_max = MIN(s->u32_max, (uint32_t)s->umax);
		if ((int32_t)s->umin <= (int32_t)s->umax) {
			s->s32_min = MAX(s->s32_min, (int32_t)s->umin);
			s->s32_max = MIN(s->s32_max, (int32_t)s->umax);
		}
	}
	if (((uint64_t)s->smin >> 32) == ((uint64_t)s->smax >> 32)) {
		s->u32_min = MAX(s->u32_min, (uint32_t)s->smin);
		s->u32_max = MIN(s->u32_max, (uint32_t)s->smax);
		if ((int32_t)s->smin <= (int32_t)s->smax) {
			s->s32_min = MAX(s->s32_min, (int32_t)s->smin);
			s->s32_max = MIN(s->s32_max, (int32_t)s->smax);
		}
	}
	/* 32 -> 64: when the high half is fixed, the low half's range is the value's range. */
	if ((s->umin >> 32) == (s->umax >> 32)) {
		uint64_t hi = s->umin & ~(uint64_t)U32_MAX;

		s->umin = MAX(s->umin, hi | s->u32_min);
		s->umax = MIN(s->umax, hi | s->u32_max);
	}
	if (((uint64_t)s->smin >> 32) == ((uint64_t)s->smax >> 32)) {
		uint64_t hi = (uint64_t)s->smin & ~(uint64_t)U32_MAX;

		s->smin = MAX(s->smin, (int64_t)(hi | s->u32_min));
		s->smax = MIN(s->smax, (int64_t)(hi | s->u32_max));
	}
	/* A non-negative 32-bit signed range that is the whole value (high half zero). */
	if (s->umax <= U32_MAX && s->s32_min >= 0) {
		s->umin = MAX(s->umin, (uint64_t)s->u32_min);
		s->umax = MIN(s->umax, (uint64_t)s->u32_max);
	}
	/* 64-bit signed <-> unsigned. */
	if ((int64_t)s->umin <= (int64_t)s->umax) {
		s->smin = MAX(s->smin, (int64_t)s->umin);
		s->smax = MIN(s->smax, (int64_t)s->umax);
	}
	if ((uint64_t)s->smin <= (uint64_t)s->smax) {
		s->umin = MAX(s->umin, (uint64_t)s->smin);
		s->umax = MIN(s->umax, (uint64_t)s->smax);
	}
}

static bool tnum_from_bounds(struct ub_scalar *s)
{
	struct ub_tnum r = ub_tnum_range(s->umin, s->umax);
	struct ub_tnum r32 = ub_tnum_range(s->u32_min, s->u32_max);
	struct ub_tnum lo;

	/* Known bits that disagree: no value is possible. */
	if ((s->var.value ^ r.value) & ~(s->var.mask | r.mask))
		return false;
	s->var = ub_tnum_intersect(s->var, r);
	lo = ub_tnum_subreg(s->var);
	if ((lo.value ^ r32.value) & ~(lo.mask | r32.mask))
		return false;
	s->var = ub_tnum_with_subreg(s->var, ub_tnum_intersect(lo, r32));
	return true;
}

static bool consistent(const struct ub_scalar *s)
{
	return s->umin <= s->umax && s->smin <= s->smax && s->u32_min <= s->u32_max &&
	       s->s32_min <= s->s32_max && !(s->var.value & s->var.mask);
}

bool ub_scalar_sync(struct ub_scalar *s)
{
	for (int i = 0; i < 3; i++) {
		bounds_from_tnum(s);
		deduce(s);
		if (!consistent(s) || !tnum_from_bounds(s))
			return false;
	}
	bounds_from_tnum(s);
	return consistent(s);
}

void ub_scalar_zext32(struct ub_scalar *s)
{
	s->var = ub_tnum_subreg(s->var);
	s->umin = s->u32_min;
	s->umax = s->u32_max;
	s->smin = s->u32_min;
	s->smax = s->u32_max;
	ub_scalar_sync(s);
}

void ub_scalar_cast(struct ub_scalar *s, unsigned size)
{
	uint64_t max = size >= 8 ? U64_MAX : (1ull << (size * 8)) - 1;

	if (size >= 8)
		return;
	if (size == 4) {
		ub_scalar_zext32(s);
		return;
	}
	s->var = ub_tnum_cast(s->var, size);
	if (s->umax > max || (s->umin >> (size * 8)) != (s->umax >> (size * 8))) {
		s->umin = 0;
		s->umax = max;
	} else {
		s->umin &= max;
		s->umax &= max;
	}
	s->smin = (int64_t)s->umin;
	s->smax = (int64_t)s->umax;
	unknown32(s);
	ub_scalar_sync(s);
}

void ub_scalar_sext(struct ub_scalar *s, unsigned size)
{
	unsigned bits = size * 8;
	int64_t lo = -(1ll << (bits - 1)), hi = (1ll << (bits - 1)) - 1;
	struct ub_scalar r;

	if (size >= 8)
		return;
	ub_scalar_unknown(&r);
	r.var = ub_tnum_sext(s->var, bits);
	/* The value already fits: sign extension changes nothing. */
	if (s->smin >= lo && s->smax <= hi) {
		r.smin = s->smin;
		r.smax = s->smax;
	} else {
		r.smin = lo;
		r.smax = hi;
	}
	*s = r;
	ub_scalar_sync(s);
}

/* ---- ALU transfer ------------------------------------------------------------------------ */

/* Unsigned add/sub range at width w (32 or 64); false: the range is not contiguous. */
static bool uadd(uint64_t amin, uint64_t amax, uint64_t bmin, uint64_t bmax, unsigned w,
		 uint64_t *rmin, uint64_t *rmax)
{
	uint64_t lim = w == 64 ? U64_MAX : U32_MAX;
	uint64_t lo, hi;
	bool olo, ohi;

	if (w == 64) {
		olo = __builtin_add_overflow(amin, bmin, &lo);
		ohi = __builtin_add_overflow(amax, bmax, &hi);
	} else {
		lo = amin + bmin;
		hi = amax + bmax;
		olo = lo > lim;
		ohi = hi > lim;
		lo &= lim;
		hi &= lim;
	}
	if (olo != ohi)
		return false;
	*rmin = lo;
	*rmax = hi;
	return true;
}

static bool usub(uint64_t amin, uint64_t amax, uint64_t bmin, uint64_t bmax, unsigned w,
		 uint64_t *rmin, uint64_t *rmax)
{
	uint64_t lim = w == 64 ? U64_MAX : U32_MAX;
	bool ulo = amin < bmax, uhi = amax < bmin;

	if (ulo != uhi)
		return false;
	*rmin = (amin - bmax) & lim;
	*rmax = (amax - bmin) & lim;
	return true;
}

/* Signed add/sub range at width w; computed in 64 bits with overflow detection. */
static bool sadd(int64_t amin, int64_t amax, int64_t bmin, int64_t bmax, unsigned w, int64_t *rmin,
		 int64_t *rmax)
{
	if (w == 64)
		return !__builtin_add_overflow(amin, bmin, rmin) &&
		       !__builtin_add_overflow(amax, bmax, rmax);
	*rmin = amin + bmin;
	*rmax = amax + bmax;
	return *rmin >= S32_MIN && *rmax <= S32_MAX;
}

static bool ssub(int64_t amin, int64_t amax, int64_t bmin, int64_t bmax, unsigned w, int64_t *rmin,
		 int64_t *rmax)
{
	if (w == 64)
		return !__builtin_sub_overflow(amin, bmax, rmin) &&
		       !__builtin_sub_overflow(amax, bmin, rmax);
	*rmin = amin - bmax;
	*rmax = amax - bmin;
	return *rmin >= S32_MIN && *rmax <= S32_MAX;
}

static bool umul(uint64_t amin, uint64_t amax, uint64_t bmin, uint64_t bmax, unsigned w,
		 uint64_t *rmin, uint64_t *rmax)
{
	uint64_t hi;

	if (__builtin_mul_overflow(amax, bmax, &hi) || (w == 32 && hi > U32_MAX))
		return false;
	*rmin = amin * bmin;
	*rmax = hi;
	return true;
}

static bool smul(int64_t amin, int64_t amax, int64_t bmin, int64_t bmax, unsigned w, int64_t *rmin,
		 int64_t *rmax)
{
	int64_t p[4];

	if (__builtin_mul_overflow(amin, bmin, &p[0]) || __builtin_mul_overflow(amin, bmax, &p[1]) ||
	    __builtin_mul_overflow(amax, bmin, &p[2]) || __builtin_mul_overflow(amax, bmax, &p[3]))
		return false;
	*rmin = MIN(MIN(p[0], p[1]), MIN(p[2], p[3]));
	*rmax = MAX(MAX(p[0], p[1]), MAX(p[2], p[3]));
	return w == 64 || (*rmin >= S32_MIN && *rmax <= S32_MAX);
}

/* Concrete evaluation, exactly as the interpreter does it (Linux semantics). */
static uint64_t eval(uint64_t a, uint64_t b, unsigned op, bool is64, bool is_signed)
{
	if (!is64) {
		uint32_t x = (uint32_t)a, y = (uint32_t)b;

		switch (op) {
		case USERBPF_ADD: return (uint32_t)(x + y);
		case USERBPF_SUB: return (uint32_t)(x - y);
		case USERBPF_MUL: return (uint32_t)(x * y);
		case USERBPF_OR: return x | y;
		case USERBPF_AND: return x & y;
		case USERBPF_XOR: return x ^ y;
		case USERBPF_LSH: return (uint32_t)(x << (y & 31));
		case USERBPF_RSH: return x >> (y & 31);
		case USERBPF_ARSH: return (uint32_t)((int32_t)x >> (y & 31));
		case USERBPF_DIV:
			if (is_signed) {
				if (!y)
					return 0;
				if ((int32_t)y == -1)
					return (uint32_t)(-(int64_t)(int32_t)x);
				return (uint32_t)((int32_t)x / (int32_t)y);
			}
			return y ? x / y : 0;
		case USERBPF_MOD:
			if (is_signed) {
				if (!y)
					return x;
				if ((int32_t)y == -1)
					return 0;
				return (uint32_t)((int32_t)x % (int32_t)y);
			}
			return y ? x % y : x;
		}
		return 0;
	}
	switch (op) {
	case USERBPF_ADD: return a + b;
	case USERBPF_SUB: return a - b;
	case USERBPF_MUL: return a * b;
	case USERBPF_OR: return a | b;
	case USERBPF_AND: return a & b;
	case USERBPF_XOR: return a ^ b;
	case USERBPF_LSH: return a << (b & 63);
	case USERBPF_RSH: return a >> (b & 63);
	case USERBPF_ARSH: return (uint64_t)((int64_t)a >> (b & 63));
	case USERBPF_DIV:
		if (is_signed) {
			if (!b)
				return 0;
			if ((int64_t)b == -1)
				return 0 - a;
			return (uint64_t)((int64_t)a / (int64_t)b);
		}
		return b ? a / b : 0;
	case USERBPF_MOD:
		if (is_signed) {
			if (!b)
				return a;
			if ((int64_t)b == -1)
				return 0;
			return (uint64_t)((int64_t)a % (int64_t)b);
		}
		return b ? a % b : a;
	}
	return 0;
}

/* A width-neutral view of one operand: 64-bit fields, or the 32-bit ones widened. */
struct view {
	struct ub_tnum t;
	uint64_t umin, umax;
	int64_t smin, smax;
};

static struct view view_of(const struct ub_scalar *s, unsigned w)
{
	if (w == 64)
		return (struct view){ s->var, s->umin, s->umax, s->smin, s->smax };
	return (struct view){ ub_tnum_subreg(s->var), s->u32_min, s->u32_max, s->s32_min,
			      s->s32_max };
}

/*
 * dst OP src in width w; writes the result's tnum and ranges of that width into *r
 * (ranges left at "unknown" when they cannot be computed).
 */
static void alu_width(struct view *r, const struct view *a, const struct view *b, unsigned op,
		      unsigned w, bool is_signed)
{
	uint64_t lim = w == 64 ? U64_MAX : U32_MAX;
	int64_t smn = w == 64 ? S64_MIN : S32_MIN, smx = w == 64 ? S64_MAX : S32_MAX;
	unsigned sh;

	r->t = UB_TNUM(0, lim);
	r->umin = 0;
	r->umax = lim;
	r->smin = smn;
	r->smax = smx;
	switch (op) {
	case USERBPF_ADD:
		r->t = ub_tnum_add(a->t, b->t);
		if (!uadd(a->umin, a->umax, b->umin, b->umax, w, &r->umin, &r->umax))
			r->umin = 0, r->umax = lim;
		if (!sadd(a->smin, a->smax, b->smin, b->smax, w, &r->smin, &r->smax))
			r->smin = smn, r->smax = smx;
		break;
	case USERBPF_SUB:
		r->t = ub_tnum_sub(a->t, b->t);
		if (!usub(a->umin, a->umax, b->umin, b->umax, w, &r->umin, &r->umax))
			r->umin = 0, r->umax = lim;
		if (!ssub(a->smin, a->smax, b->smin, b->smax, w, &r->smin, &r->smax))
			r->smin = smn, r->smax = smx;
		break;
	case USERBPF_MUL:
		r->t = ub_tnum_mul(a->t, b->t);
		if (!umul(a->umin, a->umax, b->umin, b->umax, w, &r->umin, &r->umax))
			r->umin = 0, r->umax = lim;
		if (!smul(a->smin, a->smax, b->smin, b->smax, w, &r->smin, &r->smax))
			r->smin = smn, r->smax = smx;
		break;
	case USERBPF_AND:
		r->t = ub_tnum_and(a->t, b->t);
		r->umax = MIN(a->umax, b->umax);
		if (a->smin >= 0 || b->smin >= 0) {
			/* One side non-negative: so is the result, and no larger than it. */
			r->smin = 0;
			r->smax = a->smin >= 0 && b->smin >= 0 ? MIN(a->smax, b->smax) :
				  a->smin >= 0 ? a->smax : b->smax;
		}
		break;
	case USERBPF_OR:
		r->t = ub_tnum_or(a->t, b->t);
		r->umin = MAX(a->umin, b->umin);
		break;
	case USERBPF_XOR:
		r->t = ub_tnum_xor(a->t, b->t);
		break;
	case USERBPF_LSH:
	case USERBPF_RSH:
	case USERBPF_ARSH:
		/* A shift amount not known, or not below the width, leaves the value unknown. */
		if (!ub_tnum_is_const(b->t) || b->t.value >= w)
			break;
		sh = (unsigned)b->t.value;
		if (op == USERBPF_LSH) {
			r->t = ub_tnum_cast(ub_tnum_lshift(a->t, sh), w / 8);
			if (sh == 0 || (a->umax >> (w - sh)) == 0) {
				r->umin = a->umin << sh;
				r->umax = a->umax << sh;
			}
		} else if (op == USERBPF_RSH) {
			r->t = ub_tnum_rshift(a->t, sh);
			r->umin = a->umin >> sh;
			r->umax = a->umax >> sh;
		} else {
			r->t = ub_tnum_cast(ub_tnum_arshift(a->t, sh, w), w / 8);
			r->smin = a->smin >> sh;
			r->smax = a->smax >> sh;
		}
		break;
	case USERBPF_DIV:
	case USERBPF_MOD:
		if (is_signed)
			break;
		/* a / b <= a and a % b <= a for every b (division by zero gives 0 or a). */
		r->umax = a->umax;
		if (op == USERBPF_DIV && ub_tnum_is_const(b->t) && b->t.value) {
			r->umin = a->umin / b->t.value;
			r->umax = a->umax / b->t.value;
		} else if (op == USERBPF_MOD && b->umin > 0) {
			r->umax = MIN(a->umax, b->umax - 1);
		}
		r->t = ub_tnum_range(0, r->umax);
		break;
	}
}

void ub_scalar_alu(struct ub_scalar *dst, const struct ub_scalar *src, unsigned op, bool is64,
		   bool is_signed)
{
	unsigned w = is64 ? 64 : 32;
	struct view a, b, r;
	struct ub_scalar out;

	if (ub_tnum_is_const(dst->var) && ub_tnum_is_const(src->var)) {
		ub_scalar_const(dst, eval(dst->var.value, src->var.value, op, is64, is_signed));
		return;
	}
	a = view_of(dst, w);
	b = view_of(src, w);
	alu_width(&r, &a, &b, op, w, is_signed);
	ub_scalar_unknown(&out);
	if (is64) {
		struct view a32 = view_of(dst, 32), b32 = view_of(src, 32), r32;

		out.var = r.t;
		out.umin = r.umin, out.umax = r.umax;
		out.smin = r.smin, out.smax = r.smax;
		/* The low half of add/sub/mul/bitwise ops depends only on the low halves. */
		if (op != USERBPF_DIV && op != USERBPF_MOD && op != USERBPF_RSH &&
		    op != USERBPF_ARSH && op != USERBPF_LSH) {
			alu_width(&r32, &a32, &b32, op, 32, is_signed);
			out.u32_min = (uint32_t)r32.umin, out.u32_max = (uint32_t)r32.umax;
			out.s32_min = (int32_t)r32.smin, out.s32_max = (int32_t)r32.smax;
		}
	} else {
		out.var = r.t;
		out.u32_min = (uint32_t)r.umin, out.u32_max = (uint32_t)r.umax;
		out.s32_min = (int32_t)r.smin, out.s32_max = (int32_t)r.smax;
		out.umin = 0, out.umax = U32_MAX;
		out.smin = 0, out.smax = U32_MAX;
	}
	if (!ub_scalar_sync(&out))
		ub_scalar_unknown(&out); /* cannot happen for sound inputs; stay sound anyway */
	*dst = out;
}

static struct ub_tnum tnum_bswap(struct ub_tnum t, unsigned width)
{
	if (width == 16)
		return UB_TNUM(__builtin_bswap16((uint16_t)t.value),
			       __builtin_bswap16((uint16_t)t.mask));
	if (width == 32)
		return UB_TNUM(__builtin_bswap32((uint32_t)t.value),
			       __builtin_bswap32((uint32_t)t.mask));
	return UB_TNUM(__builtin_bswap64(t.value), __builtin_bswap64(t.mask));
}

void ub_scalar_end(struct ub_scalar *dst, bool swap, unsigned width)
{
	struct ub_tnum t = ub_tnum_cast(dst->var, width / 8);

	/* Little-endian host: to-LE only truncates; to-BE and bswap reverse the bytes. */
	if (!swap) {
		ub_scalar_cast(dst, width / 8);
		return;
	}
	ub_scalar_unknown(dst);
	dst->var = tnum_bswap(t, width);
	ub_scalar_sync(dst);
}

/* ---- Conditions -------------------------------------------------------------------------- */

unsigned ub_cond_negate(unsigned op)
{
	switch (op) {
	case USERBPF_JEQ: return USERBPF_JNE;
	case USERBPF_JNE: return USERBPF_JEQ;
	case USERBPF_JGT: return USERBPF_JLE;
	case USERBPF_JLE: return USERBPF_JGT;
	case USERBPF_JGE: return USERBPF_JLT;
	case USERBPF_JLT: return USERBPF_JGE;
	case USERBPF_JSGT: return USERBPF_JSLE;
	case USERBPF_JSLE: return USERBPF_JSGT;
	case USERBPF_JSGE: return USERBPF_JSLT;
	case USERBPF_JSLT: return USERBPF_JSGE;
	case USERBPF_JSET: return UB_JNSET;
	case UB_JNSET: return USERBPF_JSET;
	}
	return 0;
}

/* Range fields of one width, widened to 64-bit types so one routine refines both widths. */
struct rng {
	uint64_t umin, umax;
	int64_t smin, smax;
};

static struct rng rng_get(const struct ub_scalar *s, bool is32)
{
	if (is32)
		return (struct rng){ s->u32_min, s->u32_max, s->s32_min, s->s32_max };
	return (struct rng){ s->umin, s->umax, s->smin, s->smax };
}

static void rng_put(struct ub_scalar *s, const struct rng *r, bool is32)
{
	if (is32) {
		s->u32_min = (uint32_t)r->umin, s->u32_max = (uint32_t)r->umax;
		s->s32_min = (int32_t)r->smin, s->s32_max = (int32_t)r->smax;
	} else {
		s->umin = r->umin, s->umax = r->umax;
		s->smin = r->smin, s->smax = r->smax;
	}
}

/* a < b (unsigned, strict or not) refines a's max and b's min. false: impossible. */
static bool refine_lt_u(struct rng *a, struct rng *b, bool strict)
{
	if (strict) {
		if (b->umax == 0)
			return false;
		a->umax = MIN(a->umax, b->umax - 1);
		if (a->umin == UINT64_MAX)
			return false;
		b->umin = MAX(b->umin, a->umin + 1);
	} else {
		a->umax = MIN(a->umax, b->umax);
		b->umin = MAX(b->umin, a->umin);
	}
	return a->umin <= a->umax && b->umin <= b->umax;
}

static bool refine_lt_s(struct rng *a, struct rng *b, bool strict)
{
	if (strict) {
		if (b->smax == INT64_MIN)
			return false;
		a->smax = MIN(a->smax, b->smax - 1);
		if (a->smin == INT64_MAX)
			return false;
		b->smin = MAX(b->smin, a->smin + 1);
	} else {
		a->smax = MIN(a->smax, b->smax);
		b->smin = MAX(b->smin, a->smin);
	}
	return a->smin <= a->smax && b->smin <= b->smax;
}

/* a != b where b is a constant at an edge of a's range: shave that edge. */
static void refine_ne(struct rng *a, const struct ub_scalar *bs, bool is32)
{
	uint64_t v;

	if (!ub_tnum_is_const(is32 ? ub_tnum_subreg(bs->var) : bs->var))
		return;
	v = is32 ? (uint32_t)bs->var.value : bs->var.value;
	if (a->umin == v && a->umin != a->umax)
		a->umin++;
	else if (a->umax == v && a->umin != a->umax)
		a->umax--;
	if (is32) {
		if (a->smin == (int32_t)(uint32_t)v && a->smin != a->smax)
			a->smin++;
		else if (a->smax == (int32_t)(uint32_t)v && a->smin != a->smax)
			a->smax--;
	} else {
		if (a->smin == (int64_t)v && a->smin != a->smax)
			a->smin++;
		else if (a->smax == (int64_t)v && a->smin != a->smax)
			a->smax--;
	}
}

static bool tnum_meet(struct ub_tnum *a, struct ub_tnum *b)
{
	if ((a->value ^ b->value) & ~(a->mask | b->mask))
		return false;
	*a = *b = ub_tnum_intersect(*a, *b);
	return true;
}

bool ub_scalar_cond(struct ub_scalar *as, struct ub_scalar *bs, unsigned op, bool is32)
{
	struct rng a = rng_get(as, is32), b = rng_get(bs, is32);
	bool ok = true;

	switch (op) {
	case USERBPF_JEQ:
		a.umin = b.umin = MAX(a.umin, b.umin);
		a.umax = b.umax = MIN(a.umax, b.umax);
		a.smin = b.smin = MAX(a.smin, b.smin);
		a.smax = b.smax = MIN(a.smax, b.smax);
		if (is32) {
			struct ub_tnum x = ub_tnum_subreg(as->var), y = ub_tnum_subreg(bs->var);

			ok = tnum_meet(&x, &y);
			as->var = ub_tnum_with_subreg(as->var, x);
			bs->var = ub_tnum_with_subreg(bs->var, y);
		} else {
			ok = tnum_meet(&as->var, &bs->var);
		}
		break;
	case USERBPF_JNE:
		if (ub_scalar_branch(as, bs, USERBPF_JEQ, is32) == 1)
			return false;
		refine_ne(&a, bs, is32);
		refine_ne(&b, as, is32);
		break;
	case USERBPF_JLT: ok = refine_lt_u(&a, &b, true); break;
	case USERBPF_JLE: ok = refine_lt_u(&a, &b, false); break;
	case USERBPF_JGT: ok = refine_lt_u(&b, &a, true); break;
	case USERBPF_JGE: ok = refine_lt_u(&b, &a, false); break;
	case USERBPF_JSLT: ok = refine_lt_s(&a, &b, true); break;
	case USERBPF_JSLE: ok = refine_lt_s(&a, &b, false); break;
	case USERBPF_JSGT: ok = refine_lt_s(&b, &a, true); break;
	case USERBPF_JSGE: ok = refine_lt_s(&b, &a, false); break;
	case USERBPF_JSET:
		if (ub_scalar_branch(as, bs, USERBPF_JSET, is32) == 0)
			return false;
		/* A single-bit constant mask: that bit is set. */
		if (ub_tnum_is_const(bs->var) && bs->var.value &&
		    !(bs->var.value & (bs->var.value - 1)) && (!is32 || bs->var.value <= U32_MAX)) {
			struct ub_tnum bit = ub_tnum_const(bs->var.value);

			if (!(as->var.mask & bit.value) && !(as->var.value & bit.value))
				return false;
			as->var.value |= bit.value;
			as->var.mask &= ~bit.value;
		}
		break;
	case UB_JNSET:
		if (ub_scalar_branch(as, bs, USERBPF_JSET, is32) == 1)
			return false;
		/* Every bit of a constant mask is clear. */
		if (ub_tnum_is_const(bs->var)) {
			uint64_t m = is32 ? (uint32_t)bs->var.value : bs->var.value;

			as->var.value &= ~m;
			as->var.mask &= ~m;
		}
		break;
	default:
		return true;
	}
	if (!ok)
		return false;
	if (a.umin > a.umax || b.umin > b.umax || a.smin > a.smax || b.smin > b.smax)
		return false;
	rng_put(as, &a, is32);
	rng_put(bs, &b, is32);
	return ub_scalar_sync(as) && ub_scalar_sync(bs);
}

int ub_scalar_branch(const struct ub_scalar *as, const struct ub_scalar *bs, unsigned op, bool is32)
{
	struct ub_scalar a, b;

	if (op == USERBPF_JSET || op == UB_JNSET) {
		struct ub_tnum x = is32 ? ub_tnum_subreg(as->var) : as->var;
		struct ub_tnum y = is32 ? ub_tnum_subreg(bs->var) : bs->var;
		int r = -1;

		if (x.value & y.value)
			r = 1;
		else if (!((x.value | x.mask) & (y.value | y.mask)))
			r = 0;
		if (op == UB_JNSET && r >= 0)
			r = !r;
		return r;
	}
	if (op == USERBPF_JEQ || op == USERBPF_JNE) {
		struct ub_tnum x = is32 ? ub_tnum_subreg(as->var) : as->var;
		struct ub_tnum y = is32 ? ub_tnum_subreg(bs->var) : bs->var;
		struct rng ra = rng_get(as, is32), rb = rng_get(bs, is32);
		int eq = -1;

		if (ub_tnum_is_const(x) && ub_tnum_is_const(y))
			eq = x.value == y.value;
		else if ((x.value ^ y.value) & ~(x.mask | y.mask))
			eq = 0;
		else if (ra.umin > rb.umax || rb.umin > ra.umax || ra.smin > rb.smax ||
			 rb.smin > ra.smax)
			eq = 0;
		if (op == USERBPF_JNE && eq >= 0)
			eq = !eq;
		return eq;
	}
	a = *as, b = *bs;
	if (!ub_scalar_cond(&a, &b, op, is32))
		return 0;
	a = *as, b = *bs;
	if (!ub_scalar_cond(&a, &b, ub_cond_negate(op), is32))
		return 1;
	return -1;
}

int ub_scalar_str(char *buf, unsigned long size, const struct ub_scalar *s)
{
	int n = 0;

#define PUT(...)                                                                               \
	do {                                                                                   \
		int k_ = snprintf(buf + n, (size_t)n < size ? size - (size_t)n : 0, __VA_ARGS__); \
		if (k_ > 0)                                                                    \
			n += k_;                                                               \
	} while (0)
	if (ub_tnum_is_const(s->var))
		return snprintf(buf, size, "%lld", (long long)s->var.value);
	if (size)
		buf[0] = '\0';
	/* Like Linux's log: only what is known, in the order Linux prints it. */
	if (s->smin != S64_MIN)
		PUT("%ssmin=%lld", n ? "," : "", (long long)s->smin);
	if (s->smax != S64_MAX)
		PUT("%ssmax=%lld", n ? "," : "", (long long)s->smax);
	if (s->umin)
		PUT("%sumin=%llu", n ? "," : "", (unsigned long long)s->umin);
	if (s->umax != U64_MAX)
		PUT("%sumax=%#llx", n ? "," : "", (unsigned long long)s->umax);
	if (s->s32_min != S32_MIN)
		PUT("%ssmin32=%d", n ? "," : "", s->s32_min);
	if (s->s32_max != S32_MAX)
		PUT("%ssmax32=%d", n ? "," : "", s->s32_max);
	if (s->u32_min)
		PUT("%sumin32=%u", n ? "," : "", s->u32_min);
	if (s->u32_max != U32_MAX)
		PUT("%sumax32=%#x", n ? "," : "", s->u32_max);
	if (!ub_tnum_is_unknown(s->var))
		PUT("%svar_off=(%#llx; %#llx)", n ? "," : "", (unsigned long long)s->var.value,
		    (unsigned long long)s->var.mask);
#undef PUT
	return n;
}
