/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hook.h: host-declared hook points: a host names a place in its own code and the context it
 * passes there; eBPF programs attached to it (userbpf_hook_point_attach) run at that place.
 *
 *	struct req_ctx { uint64_t id; uint32_t len; uint32_t verdict; };
 *	USERBPF_HOOK_POINT(on_request, struct req_ctx);   // at file scope
 *	...
 *	struct req_ctx c = { id, len, 0 };
 *	uint64_t r0 = USERBPF_HOOK(on_request, &c);       // 0 when nothing is attached
 *
 * With nothing attached, USERBPF_HOOK costs one load and one predicted-not-taken branch (the
 * `active` pointer is NULL). With programs attached it runs them in attach order, each with
 * r1 = ctx and r2 = sizeof(context), and evaluates to the r0 of the last one.
 */
#ifndef USERBPF_HOOK_H
#define USERBPF_HOOK_H

#include <stddef.h>
#include <stdint.h>

#include "userbpf/userbpf.h"

#ifdef __cplusplus
extern "C" {
#endif

struct userbpf_hook_point {
	void *active;        /* internal: the attached programs, NULL when none */
	const char *name;    /* the hook's name, for listings and messages */
	size_t ctx_size;     /* sizeof the context the host passes */
};

/* Define a hook point named `var`, whose context is a `ctx_type`. */
#define USERBPF_HOOK_POINT(var, ctx_type)                                                     \
	struct userbpf_hook_point var = { NULL, #var, sizeof(ctx_type) }

/* Declare a hook point defined in another file. */
#define USERBPF_HOOK_POINT_EXTERN(var) extern struct userbpf_hook_point var

/* Run the programs attached to hook point `var` on context pointer `ctx`; evaluates to r0. */
#define USERBPF_HOOK(var, ctx)                                                                \
	(__builtin_expect(__atomic_load_n(&(var).active, __ATOMIC_RELAXED) != NULL, 0)          \
		 ? userbpf_hook_point_run(&(var), (ctx))                                        \
		 : (uint64_t)0)

#ifdef __cplusplus
}
#endif
#endif /* USERBPF_HOOK_H */
