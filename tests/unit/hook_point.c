/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hook_point.c: host-declared hook points: nothing attached runs nothing, several programs run
 * in attach order on the host's context, detach, recursion misses, stats, and attach/detach
 * while two threads fire the hook.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <userbpf/hook.h>
#include <userbpf/userbpf.h>

#include "test.h"

struct req {
	uint64_t count;
	uint64_t id;
};

USERBPF_HOOK_POINT(on_req, struct req);
USERBPF_HOOK_POINT(on_other, struct req);

static struct userbpf_env *env;
static char logbuf[4096];

static void on_log(void *user, int level, const char *msg)
{
	(void)user, (void)level;
	snprintf(logbuf, sizeof(logbuf), "%s", msg);
}

static struct userbpf_prog *load(const char *text)
{
	struct userbpf_prog_opts o = { .sz = sizeof(o), .flags = USERBPF_PROG_F_TRUSTED };
	struct userbpf_insn *insns;
	struct userbpf_prog *p;
	size_t cnt;

	if (userbpf_asm(env, text, USERBPF_SYNTAX_LLVM, &insns, &cnt))
		return NULL;
	p = userbpf_prog_load(env, insns, cnt, &o);
	userbpf_insns_free(insns);
	return p;
}

/* Helper 902 fires on_req again from inside a program. */
static uint64_t h_refire(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	struct req inner = { 0, 0 };

	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	return USERBPF_HOOK(on_req, &inner) + inner.count;
}

static void test_basic(void)
{
	struct userbpf_prog *inc = load("r2 = *(u64 *)(r1 + 0)\n r2 += 1\n *(u64 *)(r1 + 0) = r2\n"
					"r0 = 1\n exit\n");
	struct userbpf_prog *x10 = load("r2 = *(u64 *)(r1 + 0)\n r2 *= 10\n *(u64 *)(r1 + 0) = r2\n"
					"r0 = r2\n r0 += 2\n exit\n");
	struct userbpf_prog *len = load("r0 = r2\n exit\n");
	struct userbpf_link *la, *lb, *lc;
	struct req c = { 0, 5 };

	if (!CHECK(inc && x10 && len, "programs load"))
		return;
	CHECK_EQ_U64(USERBPF_HOOK(on_req, &c), 0, "nothing attached: 0");
	CHECK_EQ_U64(c.count, 0, "nothing attached: ctx untouched");
	CHECK(on_req.active == NULL, "nothing attached: active pointer NULL");

	la = userbpf_hook_point_attach(&on_req, inc);
	lb = userbpf_hook_point_attach(&on_req, x10);
	CHECK(la && lb, "attach two programs");
	c.count = 0;
	CHECK_EQ_U64(USERBPF_HOOK(on_req, &c), 12, "r0 of the last program");
	CHECK_EQ_U64(c.count, 10, "attach order: (0 + 1) * 10");
	c.count = 3;
	USERBPF_HOOK(on_req, &c);
	CHECK_EQ_U64(c.count, 40, "again: (3 + 1) * 10");

	userbpf_link_free(la);
	c.count = 3;
	CHECK_EQ_U64(USERBPF_HOOK(on_req, &c), 32, "after detaching the first: only x10");
	CHECK_EQ_U64(c.count, 30, "only x10 ran");
	userbpf_link_free(lb);
	CHECK(on_req.active == NULL, "all detached: active pointer NULL again");
	c.count = 3;
	CHECK_EQ_U64(USERBPF_HOOK(on_req, &c), 0, "all detached: 0");
	CHECK_EQ_U64(c.count, 3, "all detached: ctx untouched");

	lc = userbpf_hook_point_attach(&on_other, len);
	CHECK_EQ_U64(USERBPF_HOOK(on_other, &c), sizeof(struct req), "r2 = context size");
	userbpf_link_free(lc);

	errno = 0;
	CHECK(!userbpf_hook_point_attach(NULL, inc) && errno == EINVAL, "NULL hook: EINVAL");
	CHECK(!userbpf_hook_point_attach(&on_req, NULL) && errno == EINVAL, "NULL prog: EINVAL");
	userbpf_link_free(NULL);
}

static void test_recursion_and_stats(void)
{
	struct userbpf_prog *p = load("r6 = r1\n call 902\n r2 = *(u64 *)(r6 + 0)\n r2 += 1\n"
				      "*(u64 *)(r6 + 0) = r2\n r0 = 5\n exit\n");
	struct userbpf_prog_stats st;
	struct userbpf_link *l;
	struct req c = { 0, 0 };

	if (!CHECK(p != NULL, "program loads"))
		return;
	userbpf_env_enable_stats(env, 1);
	l = userbpf_hook_point_attach(&on_req, p);
	CHECK_EQ_U64(USERBPF_HOOK(on_req, &c), 5, "outer run");
	CHECK_EQ_U64(c.count, 1, "outer ran once");
	CHECK_EQ_U64(USERBPF_HOOK(on_req, &c), 5, "outer run again");
	userbpf_prog_stats(p, &st);
	CHECK_EQ_U64(st.run_cnt, 2, "run_cnt");
	CHECK_EQ_U64(st.recursion_misses, 2, "the refire inside each run is a miss");
	userbpf_env_enable_stats(env, 0);
	USERBPF_HOOK(on_req, &c);
	userbpf_prog_stats(p, &st);
	CHECK_EQ_U64(st.run_cnt, 2, "stats off: run_cnt frozen");
	CHECK_EQ_U64(st.recursion_misses, 3, "misses always counted");
	CHECK(userbpf_prog_stats(NULL, &st) == -EINVAL, "stats of NULL: -EINVAL");
	userbpf_link_free(l);
}

static volatile int stop;
struct firer {
	uint64_t fired, seen, runs;
};

static void *firer_main(void *arg)
{
	struct firer *f = arg;

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		struct req c = { 0, 0 };

		if (USERBPF_HOOK(on_req, &c) == 7)
			f->seen++;
		f->runs += c.count;
		f->fired++;
	}
	return NULL;
}

static void test_threads(void)
{
	struct userbpf_prog *p = load("r2 = *(u64 *)(r1 + 0)\n r2 += 1\n *(u64 *)(r1 + 0) = r2\n"
				      "r0 = 7\n exit\n");
	struct firer f[2] = { 0 };
	pthread_t th[2];
	int fails = 0;

	if (!CHECK(p != NULL, "program loads"))
		return;
	stop = 0;
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, firer_main, &f[i]);
	/* Let both threads run before attaching (on a loaded machine they may start late). */
	while (!__atomic_load_n(&f[0].fired, __ATOMIC_RELAXED) ||
	       !__atomic_load_n(&f[1].fired, __ATOMIC_RELAXED))
		sched_yield();
	for (int i = 0; i < 3000; i++) {
		struct userbpf_link *l = userbpf_hook_point_attach(&on_req, p);

		if (!l) {
			fails++;
			continue;
		}
		userbpf_link_free(l);
	}
	stop = 1;
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK(fails == 0, "%d attaches failed: %s", fails, logbuf);
	CHECK_EQ_U64(f[0].seen + f[1].seen, f[0].runs + f[1].runs,
		     "every run seen by its caller, none twice");
	CHECK(f[0].fired && f[1].fired, "both threads fired");
}

int main(void)
{
	struct userbpf_env_opts eo = { .sz = sizeof(eo), .log_fn = on_log };

	env = userbpf_env_new(&eo);
	if (!CHECK(env != NULL, "env"))
		return ub_test_done("hook_point");
	userbpf_env_add_helper(env, 902, "refire", h_refire);
	test_basic();
	test_recursion_and_stats();
	test_threads();
	userbpf_env_free(env);
	return ub_test_done("hook_point");
}
