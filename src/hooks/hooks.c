/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hooks.c: the machinery shared by every hook: per-thread slots, the membarrier grace period,
 * program lists, links and per-program statistics.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "hooks/hooks.h"

/*
 * Thread slots live in a static array, not in TLS: a writer reads them, and TLS memory goes
 * away with its thread. A thread claims a slot the first time it reaches a hook (a CAS, no lock,
 * no allocation, no system call) and gives it back from a pthread key destructor at exit.
 */
static struct ub_hook_thread threads[UB_HOOK_MAX_THREADS];
static uint32_t threads_hwm; /* slots [0, hwm) were ever claimed */
__thread struct ub_hook_thread *ub_hook_tls __attribute__((tls_model("initial-exec")));

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t key;
static int key_ok;

static pthread_mutex_t hooks_mutex = PTHREAD_MUTEX_INITIALIZER;
static int membarrier_state; /* 0 unknown, 1 registered, -1 unavailable */

static void thread_gone(void *p)
{
	struct ub_hook_thread *th = p;

	ub_hook_tls = (struct ub_hook_thread *)1; /* later hooks in this thread run nothing */
	th->shadow_top = 0;
	__atomic_store_n(&th->nest, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&th->claimed, 0, __ATOMIC_RELEASE);
}

/*
 * In a forked child only the forking thread exists: the other slots would look busy forever
 * (a synchronize would wait on them), and membarrier registration belongs to the parent's mm.
 */
static void child_after_fork(void)
{
	for (uint32_t i = 0; i < UB_HOOK_MAX_THREADS; i++) {
		if (&threads[i] == ub_hook_tls)
			continue;
		threads[i].nest = 0;
		threads[i].shadow_top = 0;
		__atomic_store_n(&threads[i].claimed, 0, __ATOMIC_RELAXED);
	}
	membarrier_state = 0;
}

static void key_init(void)
{
	key_ok = !pthread_key_create(&key, thread_gone);
	pthread_atfork(NULL, NULL, child_after_fork);
}

struct ub_hook_thread *ub_hook_thread_slow(void)
{
	pthread_once(&key_once, key_init);
	for (uint32_t i = 0; i < UB_HOOK_MAX_THREADS; i++) {
		struct ub_hook_thread *th = &threads[i];
		uint32_t zero = 0, hwm;

		if (__atomic_load_n(&th->claimed, __ATOMIC_RELAXED))
			continue;
		if (!__atomic_compare_exchange_n(&th->claimed, &zero, 1, 0, __ATOMIC_ACQ_REL,
						 __ATOMIC_RELAXED))
			continue;
		hwm = __atomic_load_n(&threads_hwm, __ATOMIC_RELAXED);
		while (hwm < i + 1 &&
		       !__atomic_compare_exchange_n(&threads_hwm, &hwm, i + 1, 0, __ATOMIC_RELEASE,
						    __ATOMIC_RELAXED))
			;
		th->shadow_top = 0;
		ub_hook_tls = th;
		if (key_ok)
			pthread_setspecific(key, th);
		return th;
	}
	return NULL;
}

static long membarrier(int cmd)
{
	return syscall(__NR_membarrier, cmd, 0, 0);
}

int ub_hook_sync_init(struct ub_log *log)
{
	/* Here, not on the first hook: the key's creation must not run inside a handler. */
	pthread_once(&key_once, key_init);
	if (!membarrier_state) {
		if (membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0 &&
		    membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE) == 0)
			membarrier_state = 1;
		else
			membarrier_state = -1;
	}
	if (membarrier_state < 0) {
		ub_err(log, "hooks: the kernel has no membarrier(PRIVATE_EXPEDITED[_SYNC_CORE]) "
		       "(Linux >= 4.16 needed): hooks cannot be attached safely");
		return -ENOTSUP;
	}
	return 0;
}

void ub_hook_sync_core(void)
{
	membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE);
}

void ub_hook_synchronize(void)
{
	uint64_t snap[UB_HOOK_MAX_THREADS];
	uint32_t n, busy = 0;
	struct ub_hook_thread *self = ub_hook_tls;

	/* Every running thread executes a full barrier: its nest++ is visible from here on. */
	membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
	n = __atomic_load_n(&threads_hwm, __ATOMIC_ACQUIRE);
	for (uint32_t i = 0; i < n; i++) {
		struct ub_hook_thread *th = &threads[i];

		snap[i] = UINT64_MAX;
		if (th == self || !__atomic_load_n(&th->claimed, __ATOMIC_ACQUIRE) ||
		    !__atomic_load_n(&th->nest, __ATOMIC_ACQUIRE))
			continue;
		snap[i] = __atomic_load_n(&th->gen, __ATOMIC_ACQUIRE);
		busy++;
	}
	for (uint32_t i = 0; busy && i < n; i++) {
		struct ub_hook_thread *th = &threads[i];
		unsigned spins = 0;

		if (snap[i] == UINT64_MAX)
			continue;
		/* Wait for that section to end: gen moves, or the thread exits. */
		while (__atomic_load_n(&th->claimed, __ATOMIC_ACQUIRE) &&
		       __atomic_load_n(&th->nest, __ATOMIC_ACQUIRE) &&
		       __atomic_load_n(&th->gen, __ATOMIC_ACQUIRE) == snap[i]) {
			if (++spins < 64) {
				sched_yield();
			} else {
				struct timespec ts = { 0, 100000 };

				nanosleep(&ts, NULL);
			}
		}
	}
}

void ub_hooks_lock(void)
{
	pthread_mutex_lock(&hooks_mutex);
}

void ub_hooks_unlock(void)
{
	pthread_mutex_unlock(&hooks_mutex);
}

/* Is prog JITed and free of helper and kfunc calls (see ub_hook_run)? */
static int prog_is_plain(const struct userbpf_prog *prog)
{
	if (!prog->jit_fn)
		return 0;
	for (size_t i = 0; i < prog->cnt; i++)
		if (prog->insns[i].code == (USERBPF_JMP | USERBPF_CALL) &&
		    prog->insns[i].src_reg != USERBPF_CALL_LOCAL)
			return 0;
	return 1;
}

struct ub_hook_list *ub_hook_list_edit(const struct ub_hook_list *old, struct userbpf_link *link,
				       int add)
{
	uint32_t cnt = old ? old->cnt : 0, n = 0;
	struct ub_hook_list *l;

	l = calloc(1, sizeof(*l) + (cnt + 1) * sizeof(l->e[0]));
	if (!l)
		return NULL;
	/* Entry programs, then override, then return: each group in attach order. */
	static const uint8_t order[] = { USERBPF_TRAMP_ENTRY, USERBPF_TRAMP_OVERRIDE,
					 USERBPF_TRAMP_RETURN };

	for (size_t g = 0; g < sizeof(order); g++) {
		uint8_t k = order[g];
		uint32_t start = n;

		for (uint32_t i = 0; i < cnt; i++)
			if (old->e[i].kind == k && (add || old->e[i].link != link))
				l->e[n++] = old->e[i];
		if (add && link->kind == k)
			l->e[n++] = (struct ub_hook_entry){ link->prog, link, link->kind, link->ctx,
							    link->nr_args,
							    (uint8_t)prog_is_plain(link->prog) };
		if (k == USERBPF_TRAMP_ENTRY)
			l->n_entry = n - start;
		else if (k == USERBPF_TRAMP_OVERRIDE)
			l->n_ovr = n - start;
		else
			l->n_ret = n - start;
	}
	l->cnt = n;
	return l;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

UB_HOOK_HOT uint64_t ub_hook_run_stats(struct userbpf_prog *prog, void *ctx, size_t len,
				       uint64_t func_ip)
{
	uint64_t t0 = now_ns(), r0 = 0;
	struct ub_run_ctx run;

	ub_run_enter(&run, prog, ctx);
	run.func_ip = func_ip;
	if (prog->jit_fn)
		r0 = prog->jit_fn(ctx, len);
	else
		ub_interp_run(prog, ctx, len, &r0);
	ub_run_exit(&run);
	__atomic_fetch_add(&prog->run_time_ns, now_ns() - t0, __ATOMIC_RELAXED);
	__atomic_fetch_add(&prog->run_cnt, 1, __ATOMIC_RELAXED);
	return r0;
}

struct userbpf_link *ub_link_new(struct userbpf_prog *prog, enum ub_link_type type, void *target)
{
	struct userbpf_link *link = ub_zalloc(prog->env, sizeof(*link));

	if (!link) {
		errno = ENOMEM;
		return NULL;
	}
	link->env = prog->env;
	link->prog = prog;
	link->type = type;
	link->target = target;
	return link;
}

USERBPF_API void userbpf_link_free(struct userbpf_link *link)
{
	if (!link)
		return;
	ub_hooks_lock();
	if (link->type == UB_LINK_POINT)
		ub_point_detach(link);
	else if (link->type == UB_LINK_TRAMP)
		ub_tramp_detach(link);
	ub_hooks_unlock();
	ub_free(link->env, link);
}

USERBPF_API int userbpf_prog_stats(const struct userbpf_prog *prog,
				   struct userbpf_prog_stats *stats)
{
	if (!prog || !stats)
		return -EINVAL;
	stats->run_cnt = __atomic_load_n(&prog->run_cnt, __ATOMIC_RELAXED);
	stats->run_time_ns = __atomic_load_n(&prog->run_time_ns, __ATOMIC_RELAXED);
	stats->recursion_misses = __atomic_load_n(&prog->recursion_misses, __ATOMIC_RELAXED);
	return 0;
}

USERBPF_API int userbpf_env_enable_stats(struct userbpf_env *env, int enable)
{
	if (!env)
		return -EINVAL;
	__atomic_store_n(&env->hook_stats, !!enable, __ATOMIC_RELAXED);
	return 0;
}
