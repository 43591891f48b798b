/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test.h: the tiny test harness shared by every test program. A program counts checks, prints
 * "FAIL file:line: message" for each failure, and ends with the line "N passed, M failed"
 * that tests/run.sh adds up. Exit status: 0 if nothing failed.
 */
#ifndef UB_TEST_H
#define UB_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static unsigned ub_test_passed, ub_test_failed, ub_test_skipped;

/* Count one check; on failure print where and why. Evaluates to cond's truth. */
#define CHECK(cond, ...)                                                                        \
	({                                                                                      \
		int ok_ = !!(cond);                                                             \
		if (ok_) {                                                                      \
			ub_test_passed++;                                                       \
		} else {                                                                        \
			ub_test_failed++;                                                       \
			printf("FAIL %s:%d: ", __FILE__, __LINE__);                             \
			printf(__VA_ARGS__);                                                    \
			printf("  [%s]\n", #cond);                                              \
		}                                                                               \
		ok_;                                                                            \
	})

#define CHECK_EQ_U64(a, b, what)                                                                \
	CHECK((uint64_t)(a) == (uint64_t)(b), "%s: got 0x%" PRIx64 ", want 0x%" PRIx64, (what),  \
	      (uint64_t)(a), (uint64_t)(b))

/* A case that could not run here (say why): counted and shown, never silently dropped. */
#define SKIP(...)                                                                               \
	do {                                                                                    \
		ub_test_skipped++;                                                              \
		printf("SKIP ");                                                                \
		printf(__VA_ARGS__);                                                            \
		printf("\n");                                                                   \
	} while (0)

/* Print the summary line and return the exit status for main(). */
static inline int ub_test_done(const char *suite)
{
	printf("%s: %u passed, %u failed, %u skipped\n", suite, ub_test_passed, ub_test_failed,
	       ub_test_skipped);
	return ub_test_failed ? 1 : 0;
}

#endif /* UB_TEST_H */
