/* SPDX-License-Identifier: Apache-2.0 */
/* helpers.c: implementations of the built-in helpers and their installation. */
#include <sched.h>
#include <stdint.h>
#include <time.h>

#include "helpers/helpers.h"

static uint64_t ub_helper_ktime_get_ns(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	struct timespec ts;

	(void)a, (void)b, (void)c, (void)d, (void)e;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* xorshift64* per thread, seeded from the thread's address and the clock on first use. */
static uint64_t ub_helper_get_prandom_u32(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
					  uint64_t e)
{
	static __thread uint64_t state;

	if (!state)
		state = (ub_helper_ktime_get_ns(a, b, c, d, e) ^ (uint64_t)(uintptr_t)&state) | 1;
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return (uint32_t)((state * 0x2545f4914f6cdd1dull) >> 32);
}

static uint64_t ub_helper_get_smp_processor_id(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
					       uint64_t e)
{
	int cpu = sched_getcpu();

	(void)a, (void)b, (void)c, (void)d, (void)e;
	return cpu < 0 ? 0 : (uint64_t)cpu;
}

void ub_helpers_install(struct userbpf_env *env)
{
#define UB_HELPER(id, name, impl) env->helpers[id] = (struct ub_helper){ impl, #name, 0 };
#include "helpers/helpers.def"
#undef UB_HELPER
}
