/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hooks.h: what every hook shares: per-thread state (recursion guard, read-side sections,
 * pending returns), the grace-period wait, program lists, links and the program run entry.
 *
 * Attached programs are published as immutable lists (struct ub_hook_list) behind one pointer
 * per hook. A hook reads the pointer inside a read-side section, which is two plain increments
 * of a counter that only its own thread writes (no atomic instruction, no fence). A writer
 * replaces the pointer, then ub_hook_synchronize() issues membarrier(PRIVATE_EXPEDITED), which
 * makes every running thread execute a full barrier, and waits for every thread that was inside
 * a section to leave it; only then is the old list freed. This is user-space RCU with
 * sys_membarrier: readers pay nothing, writers (attach, detach) pay a system call.
 */
#ifndef UB_HOOKS_H
#define UB_HOOKS_H

#include <stdint.h>

#include "core/core.h"
#include "helpers/helpers.h"
#include "interp/interp.h"

/* Hot-path functions go to this section: trampolines refuse to patch them. */
#define UB_HOOK_HOT __attribute__((section("ub_hook_text"), noinline))

#define UB_HOOK_MAX_THREADS 1024 /* threads that can run hooked programs at once */
#define UB_HOOK_SHADOW_DEPTH 32  /* pending return hooks per thread */
#define UB_HOOK_MAX_ARGS 6       /* register arguments of fentry-style contexts */

struct ub_tramp;

/* One pending return hook: where the hooked function must really return to. */
struct ub_hook_ret {
	uint64_t ret_addr;  /* the caller's return address we replaced */
	uint64_t sp;        /* rsp at function entry (it pointed at ret_addr) */
	struct ub_tramp *tramp;
	uint64_t args[UB_HOOK_MAX_ARGS]; /* entry arguments, for fexit-style contexts */
};

/* A thread's hook state, in a static array so that writers can read it after membarrier. */
struct ub_hook_thread {
	uint32_t claimed;   /* 1 while a live thread owns the slot */
	uint32_t nest;      /* read-side sections open; > 0 also means "running a program" */
	uint64_t gen;       /* incremented each time nest drops back to 0 */
	uint32_t shadow_top;
	struct ub_hook_ret shadow[UB_HOOK_SHADOW_DEPTH];
} __attribute__((aligned(64)));

/* One attached program. */
struct ub_hook_entry {
	struct userbpf_prog *prog;
	struct userbpf_link *link;
	uint8_t kind;    /* enum userbpf_tramp_kind */
	uint8_t ctx;     /* enum userbpf_tramp_ctx */
	uint8_t nr_args;
	uint8_t plain;   /* JITed and calls no helper or kfunc: runs without a run context */
};

/* An immutable list of attached programs: entry ones, then override ones, then return ones. */
struct ub_hook_list {
	uint32_t cnt;
	uint32_t n_entry, n_ovr, n_ret;
	struct ub_hook_entry e[];
};

enum ub_link_type { UB_LINK_POINT = 1, UB_LINK_TRAMP = 2 };

struct userbpf_link {
	struct userbpf_env *env;
	struct userbpf_prog *prog;
	enum ub_link_type type;
	void *target;    /* struct userbpf_hook_point or struct ub_tramp */
	uint8_t kind, ctx, nr_args;
};

/* The calling thread's state: claims a slot on first use. NULL when all slots are taken. */
struct ub_hook_thread *ub_hook_thread_slow(void);
extern __thread struct ub_hook_thread *ub_hook_tls __attribute__((tls_model("initial-exec")));

static inline struct ub_hook_thread *ub_hook_thread(void)
{
	struct ub_hook_thread *th = ub_hook_tls;

	if (__builtin_expect((uintptr_t)th > 1, 1))
		return th;
	return th ? NULL : ub_hook_thread_slow(); /* 1: thread is exiting */
}

/* Open and close a read-side section (nestable). Compiler barriers only: see the top. */
static inline void ub_hook_enter(struct ub_hook_thread *th)
{
	__atomic_store_n(&th->nest, th->nest + 1, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static inline void ub_hook_exit(struct ub_hook_thread *th)
{
	uint32_t n = th->nest - 1;

	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (!n)
		__atomic_store_n(&th->gen, th->gen + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&th->nest, n, __ATOMIC_RELAXED);
}

/*
 * Register this process for membarrier (once). Returns 0, or -ENOTSUP with a message on log
 * when the kernel lacks it (hooks cannot be attached then).
 */
int ub_hook_sync_init(struct ub_log *log);
/* Wait until every read-side section open at the time of the call has closed. Slow path. */
void ub_hook_synchronize(void);
/* Serialize instruction fetch on every thread after code was modified. */
void ub_hook_sync_core(void);

/* The lock that serializes every attach and detach of the process. */
void ub_hooks_lock(void);
void ub_hooks_unlock(void);

/*
 * A copy of `old` (may be NULL) with `link` added (add = 1) or removed (add = 0), ordered by
 * kind then attach order. Returns NULL on ENOMEM, or a list of 0 entries. Free with free().
 */
struct ub_hook_list *ub_hook_list_edit(const struct ub_hook_list *old, struct userbpf_link *link,
				       int add);

/* Run one program on ctx with stats accounting; slow path of ub_hook_run(). */
uint64_t ub_hook_run_stats(struct userbpf_prog *prog, void *ctx, size_t len, uint64_t func_ip);

/*
 * Run one program: its JITed code when present, else the interpreter, inside a run context
 * (helpers.h: what bpf_get_func_ip and the map helpers see). func_ip: the hooked function, or
 * 0. A `plain` program (JITed, no helper or kfunc call) needs no run context: it only touches
 * its ctx, stack and map values its program holds references on, so it is called directly.
 * Allocates nothing (after the thread's first run).
 */
static inline uint64_t ub_hook_run(const struct ub_hook_entry *e, void *ctx, size_t len,
				   uint64_t func_ip)
{
	struct userbpf_prog *prog = e->prog;
	struct ub_run_ctx run;
	uint64_t r0 = 0;

	if (__builtin_expect(prog->env->hook_stats, 0))
		return ub_hook_run_stats(prog, ctx, len, func_ip);
	if (e->plain)
		return prog->jit_fn(ctx, len);
	ub_run_enter(&run, prog, ctx);
	run.func_ip = func_ip;
	if (prog->jit_fn)
		r0 = prog->jit_fn(ctx, len);
	else
		ub_interp_run(prog, ctx, len, &r0);
	ub_run_exit(&run);
	return r0;
}

/* Count one recursion miss for every program of list (entries [from, to)). */
static inline void ub_hook_miss(const struct ub_hook_list *list, uint32_t from, uint32_t to)
{
	for (uint32_t i = from; list && i < to; i++)
		__atomic_fetch_add(&list->e[i].prog->recursion_misses, 1, __ATOMIC_RELAXED);
}

/* Detach functions of each link type (called by userbpf_link_free with the hooks lock). */
void ub_point_detach(struct userbpf_link *link);
void ub_tramp_detach(struct userbpf_link *link);

/* A new link (env allocator) for prog. NULL with errno ENOMEM. */
struct userbpf_link *ub_link_new(struct userbpf_prog *prog, enum ub_link_type type, void *target);

#endif /* UB_HOOKS_H */
