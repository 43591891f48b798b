/* SPDX-License-Identifier: Apache-2.0 */
/*
 * helpers.h: the built-in helper table (Linux helper ids, prototypes, flags, implementations)
 * and the per-thread "current run" that helpers needing the running program use.
 */
#ifndef UB_HELPERS_H
#define UB_HELPERS_H

#include <stdint.h>

#include "core/core.h"

/*
 * Argument kinds, Linux's enum bpf_arg_type (with its MEM_RDONLY/MEM_UNINIT/PTR_MAYBE_NULL
 * modifiers folded into separate kinds). The verifier checks each argument register against
 * its kind; UB_ARG_NONE ends the list.
 */
enum ub_arg_kind {
	UB_ARG_NONE = 0,
	UB_ARG_ANYTHING,		/* any initialised value */
	UB_ARG_CONST_MAP_PTR,		/* a map (from lddw map) */
	UB_ARG_PTR_TO_MAP_KEY,		/* key_size readable bytes (stack, map value, packet) */
	UB_ARG_PTR_TO_MAP_VALUE,	/* value_size readable bytes */
	UB_ARG_PTR_TO_UNINIT_MAP_VALUE, /* value_size writable bytes, need not be initialised */
	UB_ARG_PTR_TO_MEM,		/* readable memory; size in the next argument */
	UB_ARG_PTR_TO_MEM_OR_NULL,	/* the same, or NULL (then the size must be 0) */
	UB_ARG_PTR_TO_RDWR_MEM_OR_NULL, /* writable memory or NULL (snprintf's buffer) */
	UB_ARG_PTR_TO_UNINIT_MEM,	/* writable memory, need not be initialised; size follows */
	UB_ARG_CONST_SIZE,		/* size of the previous memory argument, > 0 */
	UB_ARG_CONST_SIZE_OR_ZERO,	/* size of the previous memory argument, >= 0 */
	UB_ARG_CONST_ALLOC_SIZE_OR_ZERO, /* a known constant: size of the returned memory */
	UB_ARG_PTR_TO_CTX,		 /* the program's context, unmodified */
	UB_ARG_PTR_TO_FUNC,		 /* a callback: lddw with src = BPF_PSEUDO_FUNC */
	UB_ARG_PTR_TO_STACK_OR_NULL,	 /* a pointer into the stack, or NULL */
	UB_ARG_PTR_TO_CONST_STR,	 /* NUL-terminated string in a read-only map value */
	UB_ARG_PTR_TO_LONG,		 /* 8 writable, 8-aligned bytes (strtol's result) */
	UB_ARG_PTR_TO_RINGBUF_MEM,	 /* memory from ringbuf_reserve; releases the reference */
	UB_ARG_KIND_COUNT,
};

/* Return kinds, Linux's enum bpf_return_type. */
enum ub_ret_kind {
	UB_RET_INTEGER = 0,
	UB_RET_VOID,			   /* r0 is undefined afterwards */
	UB_RET_PTR_TO_MAP_VALUE_OR_NULL,   /* value_size bytes of the map in arg 1, or NULL */
	UB_RET_PTR_TO_RINGBUF_MEM_OR_NULL, /* acquires a reference; size = the ALLOC_SIZE arg */
	UB_RET_KIND_COUNT,
};

/* Helper flags (struct ub_helper_proto.flags). */
#define UB_HF_GPL 0x01	      /* gpl_only in Linux: refused for non-GPL-compatible licenses */
#define UB_HF_PKT_CHANGE 0x02 /* may move packet data: invalidates packet pointers */
#define UB_HF_CALLBACK 0x04   /* calls a BPF callback (arg kind UB_ARG_PTR_TO_FUNC) */
#define UB_HF_TAIL_CALL 0x08  /* tail_call: the engine switches programs, see ub_run_ctx */
#define UB_HF_PERFMON 0x10    /* Linux needs CAP_PERFMON: refused in unprivileged mode */

/*
 * Helper groups: a helper is callable from a program type when its groups and the type's
 * groups (progtypes.def) intersect. One bit per family of program types, as in Linux's
 * *_func_proto() switches.
 */
#define UB_HG_BASE 0x01	 /* every program type (bpf_base_func_proto) */
#define UB_HG_TASK 0x02	 /* needs a current task: tracing, syscall, raw memory */
#define UB_HG_TRACE 0x04 /* attached to a function: kprobe, uprobe, fentry */
#define UB_HG_PKT 0x08	 /* packet programs: xdp, socket_filter, sched_cls/act */
#define UB_HG_XDP 0x10	 /* xdp only */

/* The prototype of one helper: one row of helpers.def. */
struct ub_helper_proto {
	uint32_t id;
	const char *name;     /* Linux name without "bpf_" */
	userbpf_helper_fn fn; /* built-in implementation */
	uint8_t ret;	      /* enum ub_ret_kind */
	uint8_t args[5];      /* enum ub_arg_kind, UB_ARG_NONE after the last */
	uint8_t flags;	      /* UB_HF_* */
	uint8_t groups;	      /* UB_HG_* */
};

/* The prototype of built-in helper `id`, or NULL when userbpf has no such built-in helper. */
const struct ub_helper_proto *ub_helper_proto(uint32_t id);
/* The prototype of the built-in helper named `name` ("map_lookup_elem"), or NULL. */
const struct ub_helper_proto *ub_helper_proto_by_name(const char *name);
/* Number of arguments of a prototype (index of the first UB_ARG_NONE). */
int ub_helper_nargs(const struct ub_helper_proto *p);
/* Names of kinds, for verifier messages: "ARG_PTR_TO_MAP_KEY", "RET_INTEGER". */
const char *ub_arg_kind_name(unsigned kind);
const char *ub_ret_kind_name(unsigned kind);

/* Fill env->helpers with the built-in helpers of helpers.def. */
void ub_helpers_install(struct userbpf_env *env);

/*
 * ==== The current run ===================================================================
 *
 * Helpers are plain C functions of five u64 arguments, but some need the running program
 * (trace_printk writes to its env's log, tail_call and bpf_loop need the engine, get_func_ip
 * and get_attach_cookie need the hook). Each engine keeps a `struct ub_run_ctx` on its own
 * stack for the duration of a run and publishes it in the thread-local ub_run_current (a
 * per-thread pointer: no lock, no allocation; nested runs save and restore the previous one).
 * ub_run_enter() also enters the map read-side critical section (epoch-based reclamation:
 * a map value pointer the program holds stays valid until ub_run_exit()).
 */

struct ub_run_ctx;
struct ub_xdp_buff;

/* Calls BPF function `fn` (from lddw BPF_PSEUDO_FUNC) with r1..r5 in the running program. */
typedef uint64_t (*ub_callback_fn)(struct ub_run_ctx *run, uint64_t fn, uint64_t r1, uint64_t r2,
				   uint64_t r3, uint64_t r4, uint64_t r5);

struct ub_run_ctx {
	const struct userbpf_prog *prog; /* the program now running (changes on tail calls) */
	void *ctx;			 /* r1 at entry */
	uint32_t tail_calls;		 /* tail calls taken so far in this run (max 33) */
	/*
	 * Set by the tail_call helper when the call succeeds: the engine, right after a call to
	 * helper 12 returns, checks it, clears it and continues at instruction 0 of that program
	 * with r1 = ctx and a fresh frame. NULL: the call failed, execution goes on.
	 */
	const struct userbpf_prog *tail_target;
	ub_callback_fn callback; /* set by the engine; NULL: callbacks unsupported */
	void *engine;		 /* engine's private state for callback */
	uint64_t func_ip;	 /* hooks: address of the traced function */
	uint64_t attach_cookie;	 /* hooks: the link's cookie */
	struct ub_run_ctx *prev; /* the run this one interrupted (nesting) */
	struct ub_xdp_buff *xdp; /* xdp runs: the buffer behind struct xdp_md */
	/*
	 * Memory this run may touch besides its ctx and stack (test runs: the whole packet
	 * frame, since packet pointers lead outside the ctx). A checked (unverified) engine
	 * must accept accesses in [extra_lo, extra_lo + extra_len). 0: none.
	 */
	uint64_t extra_lo, extra_len;
};
extern __thread struct ub_run_ctx *ub_run_current;

/* Start a run on this thread: link run (caller-owned, zeroed by this call except the fields
 * set afterwards), enter the epoch read section. Allocates nothing after the thread's first. */
void ub_run_enter(struct ub_run_ctx *run, const struct userbpf_prog *prog, void *ctx);
/* End the run started by the matching ub_run_enter(). */
void ub_run_exit(struct ub_run_ctx *run);

/* Linux's limit on tail calls per run (MAX_TAIL_CALL_CNT). */
#define UB_MAX_TAIL_CALLS 33

/*
 * For engines that handle `call 12` themselves: the program at `index` of prog_array `map`,
 * counting the tail call, or NULL (bad index, empty slot, not a prog_array, limit reached).
 */
const struct userbpf_prog *ub_tail_call_target(struct ub_run_ctx *run, struct userbpf_map *map,
					       uint64_t index);

#endif /* UB_HELPERS_H */
