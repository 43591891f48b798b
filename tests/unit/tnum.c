/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tnum.c: tristate numbers against brute force: for every pair of 4-bit tnums, every concrete
 * result of every operation on values they contain must be contained in the abstract result.
 */
#include "test.h"
#include "verifier/tnum.h"

static void test_tnum(void)
{
	unsigned fail = 0;

	/* Exhaustive over 4-bit tnums (81 each) for add/sub/mul/and/or/xor. */
	for (uint64_t av = 0; av < 16; av++)
		for (uint64_t am = 0; am < 16; am++) {
			if (av & am)
				continue;
			for (uint64_t bv = 0; bv < 16; bv++)
				for (uint64_t bm = 0; bm < 16; bm++) {
					struct ub_tnum a = UB_TNUM(av, am), b = UB_TNUM(bv, bm);
					struct ub_tnum r[6];

					if (bv & bm)
						continue;
					r[0] = ub_tnum_add(a, b), r[1] = ub_tnum_sub(a, b);
					r[2] = ub_tnum_mul(a, b), r[3] = ub_tnum_and(a, b);
					r[4] = ub_tnum_or(a, b), r[5] = ub_tnum_xor(a, b);
					for (uint64_t x = 0; x < 16; x++)
						for (uint64_t y = 0; y < 16; y++) {
							uint64_t c[6] = { x + y, x - y, x * y, x & y,
									  x | y, x ^ y };

							if (!ub_tnum_contains(a, x) ||
							    !ub_tnum_contains(b, y))
								continue;
							for (int k = 0; k < 6; k++)
								if (!ub_tnum_contains(r[k], c[k]))
									fail++;
						}
				}
		}
	CHECK(fail == 0, "%u tnum results outside", fail);
	fail = 0;
	/* Shifts, casts, unions, intersections, ranges: exhaustive over 6-bit values. */
	for (uint64_t av = 0; av < 64; av++)
		for (uint64_t am = 0; am < 64; am++) {
			struct ub_tnum a = UB_TNUM(av, am);

			if (av & am)
				continue;
			for (unsigned sh = 0; sh < 8; sh++) {
				struct ub_tnum l = ub_tnum_lshift(a, sh), r = ub_tnum_rshift(a, sh);
				struct ub_tnum c = ub_tnum_cast(a, 1);

				for (uint64_t x = 0; x < 64; x++) {
					if (!ub_tnum_contains(a, x))
						continue;
					if (!ub_tnum_contains(l, x << sh) ||
					    !ub_tnum_contains(r, x >> sh) ||
					    !ub_tnum_contains(c, x & 0xff) ||
					    !ub_tnum_contains(ub_tnum_neg(a), 0 - x))
						fail++;
				}
			}
		}
	CHECK(fail == 0, "%u shift/cast results outside", fail);
	fail = 0;
	for (uint64_t lo = 0; lo < 64; lo++)
		for (uint64_t hi = lo; hi < 64; hi++) {
			struct ub_tnum r = ub_tnum_range(lo, hi);

			for (uint64_t x = lo; x <= hi; x++)
				if (!ub_tnum_contains(r, x))
					fail++;
		}
	CHECK(fail == 0, "%u range values outside", fail);
	{
		struct ub_tnum a = UB_TNUM(0x10, 0x0f), b = UB_TNUM(0x13, 0x00);
		struct ub_tnum u = ub_tnum_union(a, b), s = ub_tnum_sext(UB_TNUM(0x80, 0), 8);

		CHECK(ub_tnum_in(u, a) && ub_tnum_in(u, b), "union contains both");
		CHECK(ub_tnum_equals_const(ub_tnum_intersect(a, b), 0x13), "intersect");
		CHECK(ub_tnum_equals_const(s, 0xffffffffffffff80ull), "sext8 of 0x80");
		CHECK(ub_tnum_equals_const(ub_tnum_arshift(UB_TNUM(0x80000000u, 0), 4, 32),
					   0xf8000000u), "arsh32");
	}
	CHECK(ub_tnum_range(4, 7).value == 4 && ub_tnum_range(4, 7).mask == 3, "range 4..7");
	CHECK(ub_tnum_is_aligned(UB_TNUM(8, 0x30), 8) && !ub_tnum_is_aligned(UB_TNUM(8, 4), 8),
	      "aligned");
}

int main(void)
{
	test_tnum();
	return ub_test_done("tnum");
}
