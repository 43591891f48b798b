/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bounds.c: the scalar domain (tnum + ranges) against brute force: for random sets of concrete
 * values, every concrete ALU result and every value pair satisfying a branch must stay inside
 * the abstract result, and "always/never taken" must agree with every concrete pair.
 */
#include <stdlib.h>

#include "test.h"
#include "userbpf/insn.h"
#include "verifier/bounds.h"

#define NV 6

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Values near the interesting edges: 0, small, 32-bit and 64-bit sign and wrap points. */
static uint64_t pick(uint64_t base)
{
	static const uint64_t edges[] = { 0, 1, 2, 7, 0x7f, 0xff, 0x7fffffff, 0x80000000,
					  0xffffffff, 0x100000000ull, 0x7fffffffffffffffull,
					  0x8000000000000000ull, ~0ull, ~0ull - 1 };

	switch (rnd() % 4) {
	case 0: return edges[rnd() % (sizeof(edges) / sizeof(edges[0]))];
	case 1: return base + rnd() % 16;
	case 2: return base - rnd() % 16;
	default: return base ^ (rnd() & 0xff);
	}
}

/* The tightest abstract value of a set: union of constants, then ranges from min/max. */
static void abstract_of(struct ub_scalar *s, const uint64_t *v, int n)
{
	struct ub_scalar c;

	ub_scalar_const(s, v[0]);
	for (int i = 1; i < n; i++) {
		ub_scalar_const(&c, v[i]);
		s->var = ub_tnum_union(s->var, c.var);
		if (v[i] < s->umin) s->umin = v[i];
		if (v[i] > s->umax) s->umax = v[i];
		if ((int64_t)v[i] < s->smin) s->smin = (int64_t)v[i];
		if ((int64_t)v[i] > s->smax) s->smax = (int64_t)v[i];
		if ((uint32_t)v[i] < s->u32_min) s->u32_min = (uint32_t)v[i];
		if ((uint32_t)v[i] > s->u32_max) s->u32_max = (uint32_t)v[i];
		if ((int32_t)v[i] < s->s32_min) s->s32_min = (int32_t)v[i];
		if ((int32_t)v[i] > s->s32_max) s->s32_max = (int32_t)v[i];
	}
	ub_scalar_sync(s);
}

static uint64_t alu(uint64_t a, uint64_t b, unsigned op, int is64, int sgn)
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
			if (sgn)
				return !y ? 0 : (int32_t)y == -1 ? (uint32_t)(0 - x) :
					    (uint32_t)((int32_t)x / (int32_t)y);
			return y ? x / y : 0;
		case USERBPF_MOD:
			if (sgn)
				return !y ? x : (int32_t)y == -1 ? 0 :
					    (uint32_t)((int32_t)x % (int32_t)y);
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
		if (sgn)
			return !b ? 0 : (int64_t)b == -1 ? 0 - a : (uint64_t)((int64_t)a / (int64_t)b);
		return b ? a / b : 0;
	case USERBPF_MOD:
		if (sgn)
			return !b ? a : (int64_t)b == -1 ? 0 : (uint64_t)((int64_t)a % (int64_t)b);
		return b ? a % b : a;
	}
	return 0;
}

static int cond(uint64_t a, uint64_t b, unsigned op, int is32)
{
	if (is32) {
		a = (uint32_t)a;
		b = (uint32_t)b;
		switch (op) {
		case USERBPF_JSGT: return (int32_t)a > (int32_t)b;
		case USERBPF_JSGE: return (int32_t)a >= (int32_t)b;
		case USERBPF_JSLT: return (int32_t)a < (int32_t)b;
		case USERBPF_JSLE: return (int32_t)a <= (int32_t)b;
		}
	}
	switch (op) {
	case USERBPF_JEQ: return a == b;
	case USERBPF_JNE: return a != b;
	case USERBPF_JGT: return a > b;
	case USERBPF_JGE: return a >= b;
	case USERBPF_JLT: return a < b;
	case USERBPF_JLE: return a <= b;
	case USERBPF_JSET: return (a & b) != 0;
	case UB_JNSET: return (a & b) == 0;
	case USERBPF_JSGT: return (int64_t)a > (int64_t)b;
	case USERBPF_JSGE: return (int64_t)a >= (int64_t)b;
	case USERBPF_JSLT: return (int64_t)a < (int64_t)b;
	case USERBPF_JSLE: return (int64_t)a <= (int64_t)b;
	}
	return 0;
}

static void gen(uint64_t *v, int *n)
{
	uint64_t base = pick(rnd());

	*n = 1 + (int)(rnd() % NV);
	for (int i = 0; i < *n; i++)
		v[i] = pick(base);
	if (rnd() % 4 == 0) /* shift amounts and divisors: small constants */
		for (int i = 0; i < *n; i++)
			v[i] = rnd() % 70;
}

static unsigned alu_fail, cond_fail, branch_fail, ext_fail;

static void test_alu(void)
{
	static const unsigned ops[] = { USERBPF_ADD, USERBPF_SUB, USERBPF_MUL, USERBPF_OR,
					USERBPF_AND, USERBPF_XOR, USERBPF_LSH, USERBPF_RSH,
					USERBPF_ARSH, USERBPF_DIV, USERBPF_MOD };
	uint64_t va[NV], vb[NV];
	int na, nb;

	for (int iter = 0; iter < 200000; iter++) {
		unsigned op = ops[rnd() % (sizeof(ops) / sizeof(ops[0]))];
		int is64 = rnd() & 1, sgn = (op == USERBPF_DIV || op == USERBPF_MOD) && (rnd() & 1);
		struct ub_scalar a, b, r;

		gen(va, &na);
		gen(vb, &nb);
		abstract_of(&a, va, na);
		abstract_of(&b, vb, nb);
		r = a;
		ub_scalar_alu(&r, &b, op, is64, sgn);
		for (int i = 0; i < na; i++)
			for (int j = 0; j < nb; j++) {
				uint64_t x = alu(va[i], vb[j], op, is64, sgn);

				if (!ub_scalar_contains(&r, x) && alu_fail++ < 5)
					printf("FAIL alu op %#x is64 %d sgn %d: %#llx, %#llx -> %#llx "
					       "outside\n", op, is64, sgn, (unsigned long long)va[i],
					       (unsigned long long)vb[j], (unsigned long long)x);
			}
	}
	CHECK(alu_fail == 0, "%u ALU results outside the abstract result", alu_fail);
}

static void test_cond(void)
{
	static const unsigned ops[] = { USERBPF_JEQ, USERBPF_JNE, USERBPF_JGT, USERBPF_JGE,
					USERBPF_JLT, USERBPF_JLE, USERBPF_JSET, UB_JNSET,
					USERBPF_JSGT, USERBPF_JSGE, USERBPF_JSLT, USERBPF_JSLE };
	uint64_t va[NV], vb[NV];
	int na, nb;
	unsigned decided = 0;

	for (int iter = 0; iter < 200000; iter++) {
		unsigned op = ops[rnd() % (sizeof(ops) / sizeof(ops[0]))];
		int is32 = rnd() & 1, any = 0, all = 1, br;
		struct ub_scalar a, b, a2, b2;
		bool ok;

		gen(va, &na);
		gen(vb, &nb);
		if (rnd() & 1)
			nb = 1; /* comparisons with a constant are the common case */
		abstract_of(&a, va, na);
		abstract_of(&b, vb, nb);
		a2 = a, b2 = b;
		ok = ub_scalar_cond(&a2, &b2, op, is32);
		br = ub_scalar_branch(&a, &b, op, is32);
		decided += br >= 0;
		for (int i = 0; i < na; i++)
			for (int j = 0; j < nb; j++) {
				int c = cond(va[i], vb[j], op, is32);

				any |= c;
				all &= c;
				if (c && (!ok || !ub_scalar_contains(&a2, va[i]) ||
					  !ub_scalar_contains(&b2, vb[j])) && cond_fail++ < 5)
					printf("FAIL cond op %#x is32 %d: %#llx vs %#llx holds but was "
					       "refined away (ok=%d)\n", op, is32,
					       (unsigned long long)va[i], (unsigned long long)vb[j], ok);
			}
		if (((br == 1 && !all) || (br == 0 && any)) && branch_fail++ < 5)
			printf("FAIL branch op %#x is32 %d: said %d, any=%d all=%d\n", op, is32, br,
			       any, all);
	}
	CHECK(cond_fail == 0, "%u refinements dropped a satisfying pair", cond_fail);
	CHECK(branch_fail == 0, "%u wrong always/never verdicts", branch_fail);
	CHECK(decided > 1000, "branch decided only %u times (too imprecise)", decided);
}

static void test_ext(void)
{
	uint64_t va[NV];
	int na;

	for (int iter = 0; iter < 50000; iter++) {
		unsigned size = 1u << (rnd() % 3);
		struct ub_scalar a, c, s, z;

		gen(va, &na);
		abstract_of(&a, va, na);
		c = s = z = a;
		ub_scalar_cast(&c, size);
		ub_scalar_sext(&s, size);
		ub_scalar_zext32(&z);
		for (int i = 0; i < na; i++) {
			unsigned sh = 64 - size * 8;
			uint64_t cv = (va[i] << sh) >> sh;
			uint64_t sv = (uint64_t)((int64_t)(va[i] << sh) >> sh);

			if ((!ub_scalar_contains(&c, cv) || !ub_scalar_contains(&s, sv) ||
			     !ub_scalar_contains(&z, (uint32_t)va[i])) && ext_fail++ < 5)
				printf("FAIL ext size %u of %#llx\n", size, (unsigned long long)va[i]);
		}
	}
	CHECK(ext_fail == 0, "%u extension results outside", ext_fail);
}

static void test_precision(void)
{
	struct ub_scalar a, b;

	/* x in [0, 255] & 0xf0 -> in [0, 0xf0], multiple of 16. */
	ub_scalar_range(&a, 255);
	ub_scalar_const(&b, 0xf0);
	ub_scalar_alu(&a, &b, USERBPF_AND, true, false);
	CHECK(a.umax == 0xf0 && a.var.mask == 0xf0, "and mask: umax %llu mask %#llx",
	      (unsigned long long)a.umax, (unsigned long long)a.var.mask);
	/* if (x < 10) on unknown x: taken side x in [0, 9]. */
	ub_scalar_unknown(&a);
	ub_scalar_const(&b, 10);
	CHECK(ub_scalar_cond(&a, &b, USERBPF_JLT, false) && a.umax == 9 && a.smin == 0,
	      "jlt refine: umax %llu smin %lld", (unsigned long long)a.umax, (long long)a.smin);
	/* if (w32 s> -1) on unknown: s32_min 0. */
	ub_scalar_unknown(&a);
	ub_scalar_const(&b, 0xffffffff);
	CHECK(ub_scalar_cond(&a, &b, USERBPF_JSGT, true) && a.s32_min == 0 && a.u32_max == 0x7fffffff,
	      "jsgt32 refine: s32_min %d u32_max %u", a.s32_min, a.u32_max);
	/* Constant folding. */
	ub_scalar_const(&a, 7);
	ub_scalar_const(&b, 3);
	ub_scalar_alu(&a, &b, USERBPF_MOD, true, false);
	CHECK(ub_scalar_is_const(&a) && a.var.value == 1, "7 %% 3");
	/* 32-bit add wraps and zero-extends. */
	ub_scalar_const(&a, 0xffffffff);
	ub_scalar_const(&b, 2);
	ub_scalar_alu(&a, &b, USERBPF_ADD, false, false);
	CHECK(ub_scalar_is_const(&a) && a.var.value == 1, "w32 wrap");
	/* Never taken: [0, 9] > 20. */
	ub_scalar_range(&a, 9);
	ub_scalar_const(&b, 20);
	CHECK(ub_scalar_branch(&a, &b, USERBPF_JGT, false) == 0, "branch never");
	CHECK(ub_scalar_branch(&a, &b, USERBPF_JLT, false) == 1, "branch always");
}

int main(void)
{
	test_precision();
	test_alu();
	test_cond();
	test_ext();
	return ub_test_done("bounds");
}
