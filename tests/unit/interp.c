/* SPDX-License-Identifier: Apache-2.0 */
/*
 * interp.c: interpreter behaviour the data files cannot show: tail calls between programs
 * (same loop, across loops, from a subprogram, failing ones), the errno of each run-time error,
 * concurrent runs of one program, and that a run allocates nothing.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <userbpf/userbpf.h>

#include "interp/interp.h"

#include "test.h"

/* ---- tiny encoders (the ISA numbers of insn.h) ---- */
#define I(c, d, s, o, i) ((struct userbpf_insn){ (c), (d), (s), (o), (i) })
#define MOV(d, i) I(USERBPF_ALU64 | USERBPF_MOV | USERBPF_K, d, 0, 0, i)
#define MOVX(d, s) I(USERBPF_ALU64 | USERBPF_MOV | USERBPF_X, d, s, 0, 0)
#define ADD(d, i) I(USERBPF_ALU64 | USERBPF_ADD | USERBPF_K, d, 0, 0, i)
#define CALL(id) I(USERBPF_JMP | USERBPF_CALL, 0, 0, 0, id)
#define CALL_LOCAL(off) I(USERBPF_JMP | USERBPF_CALL, 0, USERBPF_CALL_LOCAL, 0, off)
#define EXIT() I(USERBPF_JMP | USERBPF_EXIT, 0, 0, 0, 0)
#define JA(off) I(USERBPF_JMP | USERBPF_JA, 0, 0, off, 0)
#define LDX_DW(d, s, o) I(USERBPF_LDX | USERBPF_MEM | USERBPF_DW, d, s, o, 0)
#define LD_MAP(d, idx)                                                                          \
	I(USERBPF_LD | USERBPF_IMM | USERBPF_DW, d, USERBPF_PSEUDO_MAP_IDX, 0, idx),              \
		I(0, 0, 0, 0, 0)
#define N(a) (sizeof(a) / sizeof((a)[0]))

static char last_error[512];

static void log_keep(void *user, int level, const char *msg)
{
	(void)user;
	if (level == USERBPF_LOG_ERROR)
		snprintf(last_error, sizeof(last_error), "%s", msg);
}

/* Counting allocator: the run path must not call it. */
static unsigned long allocs;

static void *count_alloc(void *u, size_t n)
{
	(void)u;
	__atomic_add_fetch(&allocs, 1, __ATOMIC_RELAXED);
	return malloc(n);
}

static void *count_realloc(void *u, void *p, size_t n)
{
	(void)u;
	__atomic_add_fetch(&allocs, 1, __ATOMIC_RELAXED);
	return realloc(p, n);
}

static void count_free(void *u, void *p)
{
	(void)u;
	free(p);
}

static const struct userbpf_allocator counting = { count_alloc, count_realloc, count_free, NULL };

static struct userbpf_prog *load(struct userbpf_env *env, const struct userbpf_insn *insns,
				 size_t cnt, struct userbpf_map **maps, size_t map_cnt,
				 uint64_t budget)
{
	struct userbpf_prog_opts o = { .sz = sizeof(o), .name = "t" };

	o.flags = USERBPF_PROG_F_UNVERIFIED;
	o.engine = USERBPF_ENGINE_INTERP;
	o.maps = maps;
	o.map_cnt = map_cnt;
	o.insn_budget = budget;
	return userbpf_prog_load(env, insns, cnt, &o);
}

static void test_tail_calls(struct userbpf_env *env)
{
	struct userbpf_map_opts mo = { .sz = sizeof(mo), .type = USERBPF_MAP_TYPE_PROG_ARRAY,
				       .key_size = 4, .value_size = 4, .max_entries = 4 };
	struct userbpf_map *pa = userbpf_map_create(env, &mo);
	/* target: r0 = 40 + r1 == ctx ? 2 : 0, so the test sees that r1 is the context */
	const struct userbpf_insn target[] = {
		MOV(0, 40),
		LDX_DW(3, 10, -8), /* its frame: readable (zeroed for unverified programs) */
		I(USERBPF_JMP | USERBPF_JEQ | USERBPF_K, 1, 0, 1, 0),
		ADD(0, 2),
		EXIT(),
	};
	/* caller: tail_call(ctx, map 0, index r3); falls through with r0 = 7 if it fails */
	const struct userbpf_insn caller[] = {
		LD_MAP(2, 0),
		MOV(3, 0),
		CALL(12),
		MOV(0, 7),
		EXIT(),
	};
	const struct userbpf_insn caller_miss[] = {
		LD_MAP(2, 0),
		MOV(3, 3), /* empty slot */
		CALL(12),
		MOV(0, 7),
		EXIT(),
	};
	/* From a subprogram: the target's exit returns to the subprogram's caller (+100). */
	const struct userbpf_insn caller_sub[] = {
		MOVX(6, 1),
		CALL_LOCAL(2),
		ADD(0, 100),
		EXIT(),
		MOVX(1, 6),
		LD_MAP(2, 0),
		MOV(3, 0),
		CALL(12),
		MOV(0, 7),
		EXIT(),
	};
	struct userbpf_prog *t, *c, *cm, *cs;
	uint64_t r0 = 0, ctx[2] = { 0 };
	int err;

	if (!CHECK(pa, "prog_array: %s", last_error))
		return;
	t = load(env, target, N(target), NULL, 0, 0);
	c = load(env, caller, N(caller), &pa, 1, 0);
	cm = load(env, caller_miss, N(caller_miss), &pa, 1, 0);
	cs = load(env, caller_sub, N(caller_sub), &pa, 1, 0);
	if (!CHECK(t && c && cm && cs, "load: %s", last_error))
		goto out;
	CHECK(userbpf_prog_array_set(pa, 0, t) == 0, "prog_array_set");
	err = userbpf_prog_run(c, ctx, sizeof(ctx), &r0);
	CHECK(err == 0 && r0 == 42, "tail call on the same loop: err %d r0 %" PRIu64, err, r0);
	err = userbpf_prog_run(cm, ctx, sizeof(ctx), &r0);
	CHECK(err == 0 && r0 == 7, "tail call to an empty slot goes on: err %d r0 %" PRIu64, err,
	      r0);
	err = userbpf_prog_run(cs, ctx, sizeof(ctx), &r0);
	CHECK(err == 0 && r0 == 142, "tail call from a subprogram returns to its caller: err %d "
	      "r0 %" PRIu64, err, r0);
	/* Target on the other loop (unchecked): runs nested, same result. */
	CHECK(ub_interp_prepare_as(t, 0) == 0, "prepare unchecked");
	err = userbpf_prog_run(c, ctx, sizeof(ctx), &r0);
	CHECK(err == 0 && r0 == 42, "tail call across loops: err %d r0 %" PRIu64, err, r0);
	/* A program that tail-calls itself stops after Linux's 33 tail calls. */
	CHECK(userbpf_prog_array_set(pa, 0, c) == 0, "prog_array_set self");
	err = userbpf_prog_run(c, ctx, sizeof(ctx), &r0);
	CHECK(err == 0 && r0 == 7, "self tail call stops at the limit: err %d r0 %" PRIu64, err,
	      r0);
out:
	userbpf_prog_free(t);
	userbpf_prog_free(c);
	userbpf_prog_free(cm);
	userbpf_prog_free(cs);
	userbpf_map_free(pa);
}

static void test_errors(struct userbpf_env *env)
{
	const struct userbpf_insn oob[] = { LDX_DW(0, 1, 0), EXIT() };
	const struct userbpf_insn loop[] = { JA(-1), EXIT() };
	const struct userbpf_insn helper[] = { CALL(999), EXIT() };
	const struct userbpf_insn deep[] = { CALL_LOCAL(-1), EXIT() };
	struct {
		const char *what;
		const struct userbpf_insn *insns;
		size_t cnt;
		int want;
		const char *msg;
	} cases[] = {
		{ "out of bounds", oob, N(oob), -EFAULT, "insn 0: load of 8 bytes at r1+0" },
		{ "budget", loop, N(loop), -ETIME, "insn 0: instruction budget of 100 exhausted" },
		{ "unknown helper", helper, N(helper), -EINVAL, "call to unknown helper 999" },
		{ "too deep", deep, N(deep), -E2BIG, "insn 0: call too deep" },
	};

	for (size_t i = 0; i < N(cases); i++) {
		struct userbpf_prog *p = load(env, cases[i].insns, cases[i].cnt, NULL, 0, 100);
		uint64_t r0 = 0;
		int err;

		if (!CHECK(p, "%s: load: %s", cases[i].what, last_error))
			continue;
		last_error[0] = 0;
		err = userbpf_prog_run(p, NULL, 0, &r0);
		CHECK(err == cases[i].want, "%s: run returned %d, want %d", cases[i].what, err,
		      cases[i].want);
		CHECK(strstr(last_error, cases[i].msg), "%s: log '%s' lacks '%s'", cases[i].what,
		      last_error, cases[i].msg);
		userbpf_prog_free(p);
	}
}

/* sum of the 64 words of the memory, in a loop: long enough for runs to overlap */
static const struct userbpf_insn sum_prog[] = {
	MOV(0, 0),
	MOV(3, 64),
	LDX_DW(4, 1, 0),
	I(USERBPF_ALU64 | USERBPF_ADD | USERBPF_X, 0, 4, 0, 0),
	ADD(1, 8),
	ADD(3, -1),
	I(USERBPF_JMP | USERBPF_JNE | USERBPF_K, 3, 0, -5, 0),
	EXIT(),
};

struct thread_arg {
	struct userbpf_prog *prog;
	uint64_t base;
	int bad;
};

static void *runner(void *p)
{
	struct thread_arg *a = p;
	uint64_t mem[64], want = 0, r0;

	for (int i = 0; i < 64; i++)
		want += mem[i] = a->base + (uint64_t)i;
	for (int n = 0; n < 20000; n++)
		if (userbpf_prog_run(a->prog, mem, sizeof(mem), &r0) || r0 != want)
			a->bad++;
	return NULL;
}

static void test_threads_and_allocs(void)
{
	struct userbpf_env_opts eo = { .sz = sizeof(eo), .log_fn = log_keep, .alloc = &counting };
	struct userbpf_env *env = userbpf_env_new(&eo);
	struct thread_arg args[4];
	pthread_t th[4];
	struct userbpf_prog *p;
	uint64_t mem[64] = { 0 }, r0;
	unsigned long before;

	if (!CHECK(env, "env with a counting allocator"))
		return;
	p = load(env, sum_prog, N(sum_prog), NULL, 0, 0);
	if (!CHECK(p, "load: %s", last_error))
		goto out;
	CHECK(userbpf_prog_run(p, mem, sizeof(mem), &r0) == 0, "warm-up run");
	before = __atomic_load_n(&allocs, __ATOMIC_RELAXED);
	for (int i = 0; i < 1000; i++)
		userbpf_prog_run(p, mem, sizeof(mem), &r0);
	CHECK(__atomic_load_n(&allocs, __ATOMIC_RELAXED) == before,
	      "1000 runs allocated %lu times", __atomic_load_n(&allocs, __ATOMIC_RELAXED) - before);
	for (int i = 0; i < 4; i++) {
		args[i] = (struct thread_arg){ p, (uint64_t)i << 32, 0 };
		pthread_create(&th[i], NULL, runner, &args[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK(args[i].bad == 0, "thread %d: %d wrong results", i, args[i].bad);
	}
out:
	userbpf_env_free(env);
}

int main(void)
{
	struct userbpf_env_opts eo = { .sz = sizeof(eo), .log_fn = log_keep };
	struct userbpf_env *env = userbpf_env_new(&eo);

	if (!CHECK(env, "userbpf_env_new"))
		return ub_test_done("interp");
	test_tail_calls(env);
	test_errors(env);
	userbpf_env_free(env);
	test_threads_and_allocs();
	return ub_test_done("interp");
}
